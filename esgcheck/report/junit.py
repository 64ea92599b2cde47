"""JUnit XML: filings as test suites and rules as test cases, for CI servers that
chart test results (Jenkins, GitLab, Azure DevOps).

Each filing is a ``<testsuite>``; each rule that ran on it is a ``<testcase>``.
A breach at or above the ``--fail-on`` severity fails its rule's case, with the
severity as the failure's type and every breach written out with its citation
and location; a lesser breach (an observation) passes, written to
``<system-out>``; a rule whose findings are all not assessable is skipped; a waived finding passes,
its waiver noted in ``<system-out>``; a rule base not in force on the filing's
as-of date is one skipped case; a file that could not be read or assessed is one
case in error. Times are 0 and there is no timestamp or host name: the same
report renders to the same bytes.

The output validates against the Jenkins xunit plugin's ``junit-10.xsd``, which
has no place for a test case's file or for a skipped count on the root: the file
is the suite's name and ``file``, and each suite counts its own skipped cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from esgcheck.engine.findings import Evidence, FilingReport, Finding, Report, WaiverApplied
from esgcheck.engine.model import SEVERITY_RANK
from esgcheck.messages import colon, message, words
from esgcheck.report import RenderOptions, waiver_text
from esgcheck.report.text import where
from esgcheck.safetext import xml_safe

# Characters XML 1.0 cannot carry; a filing's own text may contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Labels of this format only; the tool's own words come from esgcheck.messages.
_LABELS: dict[str, tuple[str, str]] = {
    "breaches": ("{n} 处不符合", "{n} breaches"),
    "findings_na": ("{n} 项无法判定", "{n} not assessable"),
}


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _element(parent: etree._Element, tag: str, text: str | None = None,
             **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: _xml(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _xml(text)
    return el


def _dotted(file: str) -> str:
    """A file name as a dotted class name: folders become packages, and the dot
    before the extension an underscore, so the file stays the class."""
    return ".".join(p.replace(".", "_") for p in re.split(r"[/\\]", file) if p)


# -- what goes into a case

@dataclass
class _Case:
    rule_id: str
    rulebase: str
    title: str
    findings: list[Finding] = field(default_factory=list)

    def of(self, outcome: str) -> list[Finding]:
        return [f for f in self.findings if f.outcome == outcome]


def _cases(report: Report, filing: FilingReport, lang: str) -> list[_Case]:
    """The rules that ran on ``filing``, in catalogue order, then the rules only
    its findings name (schema checks), each with its findings."""
    cases: dict[str, _Case] = {}
    for info in report.rules:
        if info.id not in cases and info.applies_to(filing):
            cases[info.id] = _Case(info.id, info.rulebase, info.title.get(lang))
    for f in filing.findings:
        case = cases.setdefault(f.rule_id, _Case(f.rule_id, f.rulebase, f.title.get(lang)))
        case.findings.append(f)
    return list(cases.values())


def _evidence(e: Evidence, lang: str) -> str:
    value = e.display if e.present else message("absent", lang)
    return f"facts.{e.name} = {value}" if e.source == "fact" else f"{e.name} = {value}"


def _finding_text(f: Finding, lang: str) -> str:
    c = colon(lang)
    lines = [f.message.get(lang),
             f"  {message('citation', lang)}{c}{f.citation.text.get(lang)}",
             f"  {message('location', lang)}{c}{where(f.location)}"]
    if f.evidence:
        shown = "; ".join(_evidence(e, lang) for e in f.evidence)
        lines.append(f"  {message('evidence', lang)}{c}{shown}")
    if f.remediation is not None:
        lines.append(f"  {message('remediation', lang)}{c}{f.remediation.get(lang)}")
    lines += [f"  note{c}{note}" for note in f.notes]
    return "\n".join(lines)


def _summary(key: str, findings: list[Finding], lang: str) -> str:
    """One line for an attribute: the only finding's message, or a count and the first."""
    first = findings[0].message.get(lang)
    if len(findings) == 1:
        return first
    return f"{words(_LABELS, key, lang, n=len(findings))}{colon(lang)}{first} …"


def _waiver_text(f: Finding, w: WaiverApplied, lang: str) -> str:
    return f"{message('waived', lang)}{colon(lang)}{where(f.location)}\n  {waiver_text(w, lang)}"


def _testcase(parent: etree._Element, classname: str, name: str) -> etree._Element:
    return _element(parent, "testcase", classname=classname, name=name, time="0")


def _rule_case(parent: etree._Element, case: _Case, file: str, options: RenderOptions
               ) -> None:
    lang = options.lang
    el = _testcase(parent, f"{case.rulebase}.{_dotted(file)}", f"{case.rule_id}: {case.title}")
    threshold = SEVERITY_RANK.get(options.fail_on, len(SEVERITY_RANK) + 1)  # "never": none
    breaches = [f for f in case.of("breach") if SEVERITY_RANK[f.severity] >= threshold]
    observed = [f for f in case.of("breach") if SEVERITY_RANK[f.severity] < threshold]
    unknown = case.of("not_assessable")
    if breaches:
        worst = max(breaches, key=lambda f: SEVERITY_RANK[f.severity]).severity
        _element(el, "failure", "\n\n".join(_finding_text(f, lang) for f in breaches),
                 message=_summary("breaches", breaches, lang), type=worst)
    elif unknown:
        label = message("not_assessable", lang)
        text = _summary("findings_na", unknown, lang)
        if not text.startswith(label):
            text = f"{label}{colon(lang)}{text}"
        _element(el, "skipped", "\n\n".join(_finding_text(f, lang) for f in unknown),
                 message=text)
    out = [_finding_text(f, lang) for f in observed]
    out += [_waiver_text(f, f.waiver, lang) for f in case.of("waived") if f.waiver]
    if out:
        _element(el, "system-out", "\n\n".join(out))


def _not_in_force_cases(parent: etree._Element, filing: FilingReport, lang: str) -> None:
    for rb in filing.rulebases:
        if not rb.in_force:
            el = _testcase(parent, f"{rb.id}.{_dotted(filing.file)}",
                           f"{rb.id}: {rb.title.get(lang)}")
            _element(el, "skipped", message=message("not_in_force", lang))


def _error_case(parent: etree._Element, filing: FilingReport, lang: str) -> None:
    label = message(filing.status, lang)
    el = _testcase(parent, f"esgcheck.{_dotted(filing.file)}", f"{filing.file}: {label}")
    error = filing.error
    if error is None:
        _element(el, "error", label, message=label, type=filing.status)
        return
    text = error.message.get(lang)  # it begins with the file, line and column
    if error.location is not None and error.location.pointer:
        text += f"\n  {message('location', lang)}{colon(lang)}{where(error.location)}"
    _element(el, "error", text, message=error.message.get(lang), type=error.code)


def _properties(parent: etree._Element, filing: FilingReport) -> None:
    values = {"status": filing.status, "filing_type": filing.filing_type,
              "format": filing.format, "read_as": filing.read_as,
              "as_of": filing.as_of.isoformat() if filing.as_of else None,
              "grade": filing.grade}
    values.update({f"rulebase.{rb.id}": rb.version or "-" for rb in filing.rulebases})
    props = _element(parent, "properties")
    for name, value in values.items():
        if value is not None:
            _element(props, "property", name=name, value=value)


def _count(cases: Iterable[etree._Element], tag: str) -> int:
    return sum(1 for c in cases if c.find(tag) is not None)


def testsuite(parent: etree._Element, report: Report, filing: FilingReport,
              options: RenderOptions) -> etree._Element:
    lang = options.lang
    suite = _element(parent, "testsuite", name=filing.file)
    _properties(suite, filing)
    if filing.status != "checked":
        _error_case(suite, filing, lang)
    else:
        for case in _cases(report, filing, lang):
            _rule_case(suite, case, filing.file, options)
        _not_in_force_cases(suite, filing, lang)
    cases = suite.findall("testcase")
    for name, value in (("tests", len(cases)), ("failures", _count(cases, "failure")),
                        ("errors", _count(cases, "error")),
                        ("skipped", _count(cases, "skipped"))):
        suite.set(name, str(value))
    suite.set("time", "0")
    suite.set("file", _xml(filing.file))
    return suite


def render(report: Report, options: RenderOptions) -> str:
    root = etree.Element("testsuites", name="esgcheck")
    suites = [testsuite(root, report, filing, options) for filing in report.filings]
    for name in ("tests", "failures", "errors"):
        root.set(name, str(sum(int(s.get(name, "0")) for s in suites)))
    root.set("time", "0")
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml_safe(xml.decode("utf-8"))  # C1 and bidirectional controls as references
