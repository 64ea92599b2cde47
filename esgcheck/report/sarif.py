"""SARIF 2.1.0: findings for code-scanning services such as GitHub code scanning.

One run per invocation. The driver lists every check rule of the run's rule bases,
plus any rule (a schema check) that only appears in findings; each finding is one
result, located by line and column, by JSON Pointer and XPath, and identified
across runs by a partial fingerprint that holds no line number. A waived finding
is a suppressed result; a file that could not be read or assessed is a tool
execution notification, and an expired or unused waiver a configuration
notification. Nothing in the output comes from the clock or the host: the same
report renders to the same bytes.

Kind and level (SARIF §3.27.9, §3.27.10): a breach is ``kind: fail`` with a
level by severity (critical and major ``error``, minor ``warning``); an info
finding, a statement rather than a failure, is ``informational``; a finding
that could not be assessed is ``review`` (a person must decide); both have
level ``none``, as SARIF requires of every kind but ``fail``. A waived finding
stays ``fail`` with its suppression, at level ``note``: the waiver accepted it,
and viewers that do not read suppressions (GitHub code scanning) should not
fail a pull request on it. The esgcheck severity and outcome of every result
are kept in its properties.

The invocation carries the run's exit code when the caller knows it, whether
the run was usable (not exit 2), and its start and end times only when asked
for (``check --timestamps``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import metadata
from typing import Any
from urllib.parse import quote

from esgcheck.engine.findings import (
    FilingReport,
    Finding,
    Location,
    ProofNode,
    Report,
    RuleInfo,
    WaiverApplied,
    fingerprint,
)
from esgcheck.engine.grading import EXIT_INPUT
from esgcheck.messages import colon, message, words
from esgcheck.report import RenderOptions, waiver_notes
from esgcheck.safetext import json_safe

Json = dict[str, Any]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "esgcheck/v1"
SRCROOT = "%SRCROOT%"
# a breach's level by severity; an info finding is no failure: level none
LEVELS: dict[str, str] = {"critical": "error", "major": "error", "minor": "warning",
                          "info": "none"}
_LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
_ABSOLUTE = re.compile(r"^(/|[A-Za-z]:/)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")

# Labels of this format only; the tool's own words come from esgcheck.messages.
_LABELS: dict[str, tuple[str, str]] = {
    "note": ("说明", "note"),
}


def _cite(text: str, citation: str, lang: str) -> str:
    """``text`` ending with the citation it rests on."""
    basis = message("citation", lang)
    if lang == "zh":
        return f"{text}（{basis}：{citation}）"
    return f"{text} ({basis}: {citation})"


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _camel(title: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title))


# -- locations

def artifact_location(file: str) -> Json:
    """A filing's name as a URI: relative to the source root, or a file URI when
    the name is absolute (a file outside the working directory)."""
    if _ABSOLUTE.match(file):
        path = file if file.startswith("/") else f"/{file}"
        return {"uri": "file://" + quote(path, safe="/:")}
    return {"uri": quote(file, safe="/"), "uriBaseId": SRCROOT}


def _physical(file: str, line: int | None, column: int | None) -> Json:
    physical: Json = {"artifactLocation": artifact_location(file)}
    if line is not None and line >= 1:
        region: Json = {"startLine": line}
        if column is not None and column >= 1:
            region["startColumn"] = column
        physical["region"] = region
    return physical


def location(loc: Location) -> Json:
    logical: list[Json] = [{"fullyQualifiedName": loc.pointer, "kind": "value"}]
    if loc.xpath:
        logical.append({"fullyQualifiedName": loc.xpath, "kind": "element"})
    out: Json = {"physicalLocation": _physical(loc.file, loc.line, loc.column),
                 "logicalLocations": logical}
    if not loc.exists:
        out["properties"] = {"exists": False}
    return out


def related_locations(f: Finding) -> list[Json]:
    """The filing values a finding rests on, its own and those its derived facts
    came from, each where it was read, once."""
    out: list[Json] = []
    seen: set[str] = set()
    for e in f.all_evidence():
        if e.source != "filing" or e.location is None or e.name in seen:
            continue
        seen.add(e.name)
        related = location(e.location)
        related["id"] = len(out) + 1
        related["message"] = {"text": f"{e.name} = {e.display if e.present else '—'}"}
        out.append(related)
    return out


# -- rules

def _rule_properties(info: RuleInfo, lang: str) -> Json:
    tags = [info.rulebase, info.section, info.filing_type]
    c = info.citation
    props: Json = {
        "tags": list(dict.fromkeys(t for t in tags if t)),
        "precision": "very-high",
        "severity": info.severity,
        "rulebase": info.rulebase,
        "filing_type": info.filing_type,
        "section": info.section,
        "citation": c.text.get(lang),
        "instrument": c.instrument,
        "instrument_title": c.instrument_title.get(lang) if c.instrument_title else None,
        "document_number": c.document_number,
        "article": c.article,
        "paragraph": c.paragraph,
        "item": c.item,
        "citation_section": c.section,
        "effective_from": info.effective_from.isoformat() if info.effective_from else None,
        "effective_to": info.effective_to.isoformat() if info.effective_to else None,
    }
    return {k: v for k, v in props.items() if v is not None}


def _help_markdown(help_text: str, info: RuleInfo, lang: str) -> str:
    basis = message("citation", lang)
    basis = basis[:1].upper() + basis[1:]
    cited = _md(info.citation.text.get(lang))
    if info.url:
        target = info.url.replace("(", "%28").replace(")", "%29")
        cited = f"[{cited}]({target})"
    return f"{_md(help_text)}\n\n**{basis}**{colon(lang)}{cited}"


def rule_descriptor(info: RuleInfo, lang: str) -> Json:
    title = info.title.get(lang)
    cited = info.citation.text.get(lang)
    help_text = info.help.get(lang) if info.help is not None else title
    rule: Json = {
        "id": info.id,
        "name": _camel(info.title.en) or info.id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": _cite(title, cited, lang)},
        "help": {"text": _cite(help_text, cited, lang),
                 "markdown": _help_markdown(help_text, info, lang)},
    }
    if info.url:
        rule["helpUri"] = info.url
    rule["defaultConfiguration"] = {"level": LEVELS[info.severity]}
    rule["properties"] = _rule_properties(info, lang)
    return rule


def _from_finding(f: Finding, filing: FilingReport) -> RuleInfo:
    """A rule known only from its findings, such as a schema check."""
    return RuleInfo(id=f.rule_id, rulebase=f.rulebase, filing_type=filing.filing_type or "",
                    severity=f.severity, section=f.section, title=f.title,
                    citation=f.citation)


def rule_catalogue(report: Report) -> list[RuleInfo]:
    """The report's rules, each id once, then the rules only findings name."""
    rules: dict[str, RuleInfo] = {}
    for info in report.rules:
        rules.setdefault(info.id, info)
    for filing in report.filings:
        for f in filing.findings:
            if f.rule_id not in rules:
                rules[f.rule_id] = _from_finding(f, filing)
    return list(rules.values())


# -- results

def _proof_markdown(node: ProofNode, lang: str, depth: int) -> Iterator[str]:
    pad = "  " * depth
    rules = ", ".join(node.rules) or message("not_derived", lang)
    yield f"{pad}- facts.{_md(node.fact)} = {_md(node.value)} ← {_md(rules)}"
    for e in node.evidence:
        value = e.display if e.present else message("absent", lang)
        yield f"{pad}  - {_md(e.name)} = {_md(value)}"
    for note in node.notes:
        yield f"{pad}  - {words(_LABELS, 'note', lang)}{colon(lang)}{_md(note)}"
    for child in node.because:
        yield from _proof_markdown(child, lang, depth + 1)


def _message(f: Finding, options: RenderOptions) -> Json:
    lang = options.lang
    text = _cite(f.message.get(lang), f.citation.text.get(lang), lang)
    out: Json = {"text": text}
    if options.explain and f.derivation:
        proof = [line for node in f.derivation for line in _proof_markdown(node, lang, 0)]
        because = f"**{message('because', lang)}**{colon(lang)}"
        out["markdown"] = "\n\n".join([_md(text), because, "\n".join(proof)])
    return out


def _result_properties(f: Finding, options: RenderOptions) -> Json:
    lang = options.lang
    props: Json = {
        "severity": f.severity,
        "outcome": f.outcome,
        "rulebase": f.rulebase,
        "rulebase_version": f.rulebase_version,
    }
    if f.section is not None:
        props["section"] = f.section
    props["evidence"] = [
        {k: v for k, v in {"source": e.source, "name": e.name, "display": e.display,
                           "unit": e.unit, "present": e.present}.items() if v is not None}
        for e in f.evidence]
    if f.remediation is not None:
        props["remediation"] = f.remediation.get(lang)
    if f.notes:
        props["notes"] = list(f.notes)
    if options.explain:
        props["derivation"] = [node.model_dump(mode="json") for node in f.derivation]
    return props


def _suppression(w: WaiverApplied) -> Json:
    props: Json = {"waiver": w.id, "approver": w.approver, "expires": w.expires.isoformat()}
    if w.ticket is not None:
        props["ticket"] = w.ticket
    return {
        "kind": "external",
        "status": "accepted",
        "justification": w.justification,
        "location": {"physicalLocation": _physical(w.file, w.line, None)},
        "properties": props,
    }


def kind_and_level(f: Finding) -> tuple[str, str]:
    """A finding's SARIF ``kind`` and ``level`` (§3.27.9, §3.27.10): only a
    failure has a level other than ``none``."""
    if f.outcome == "not_assessable":
        return "review", "none"
    if f.severity == "info":
        return "informational", "none"
    if f.outcome == "waived":
        return "fail", "note"
    return "fail", LEVELS[f.severity]


def result(f: Finding, index: int, options: RenderOptions, baselined: bool = False) -> Json:
    kind, level = kind_and_level(f)
    out: Json = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "kind": kind,
        "level": level,
        "message": _message(f, options),
        "locations": [location(f.location)],
        "partialFingerprints": {
            FINGERPRINT_KEY: f.fingerprint or fingerprint(f.rulebase, f.rule_id,
                                                          f.location.pointer)},
    }
    related = related_locations(f)
    if related:
        out["relatedLocations"] = related
    if baselined:
        out["baselineState"] = "new"
    if f.waiver is not None:
        out["suppressions"] = [_suppression(f.waiver)]
    out["properties"] = _result_properties(f, options)
    return out


# -- the run

def _about(file: str, text: str, lang: str) -> str:
    """A notification's text naming the file it is about."""
    return f"{file}{colon(lang)}{text}"


def _execution_notifications(report: Report, lang: str) -> list[Json]:
    out: list[Json] = []
    for r in report.filings:
        if r.error is not None:
            where = (location(r.error.location) if r.error.location is not None
                     else {"physicalLocation": _physical(r.file, None, None)})
            out.append({"level": "error",
                        "message": {"text": _about(r.file, r.error.message.get(lang), lang)},
                        "descriptor": {"id": r.error.code}, "locations": [where]})
        elif r.status != "checked":
            out.append({"level": "error",
                        "message": {"text": _about(r.file, message(r.status, lang), lang)},
                        "descriptor": {"id": r.status},
                        "locations": [{"physicalLocation": _physical(r.file, None, None)}]})
        for rb in r.rulebases:
            if r.status == "checked" and not rb.in_force:
                text = f"{rb.id}: {message('not_in_force', lang)}"
                out.append({"level": "note", "message": {"text": text},
                            "descriptor": {"id": "not_in_force"},
                            "locations": [{"physicalLocation": _physical(r.file, None, None)}]})
    return out


def _configuration_notifications(report: Report, lang: str) -> list[Json]:
    if report.waivers is None:
        return []
    out: list[Json] = []
    for w in report.waivers.entries:
        if w.status == "applied":
            continue
        text = message(f"waiver_{w.status}", lang, id=w.id, rule=w.rule, line=w.line,
                       expires=w.expires.isoformat(), matched=w.matched)
        out.append({"level": "warning", "message": {"text": text},
                    "descriptor": {"id": f"waiver.{w.status}"},
                    "locations": [{"physicalLocation": _physical(report.waivers.file, w.line,
                                                                 None)}]})
    for w, note in waiver_notes(report, lang):
        out.append({"level": "warning", "message": {"text": note},
                    "descriptor": {"id": "waiver.scope"},
                    "locations": [{"physicalLocation": _physical(report.waivers.file, w.line,
                                                                 None)}]})
    return out


def _invocation(report: Report, options: RenderOptions) -> Json:
    """The run: its times when asked for, its exit code when known, and whether
    it could be used (exit 2, an unusable input, is the one unsuccessful run)."""
    lang = options.lang
    out: Json = {}
    if options.start_time is not None:
        out["startTimeUtc"] = options.start_time
    if options.end_time is not None:
        out["endTimeUtc"] = options.end_time
    if options.exit_code is not None:
        out["exitCode"] = options.exit_code
        out["executionSuccessful"] = options.exit_code != EXIT_INPUT
    else:
        out["executionSuccessful"] = all(r.status == "checked" for r in report.filings)
    execution = _execution_notifications(report, lang)
    if execution:
        out["toolExecutionNotifications"] = execution
    configuration = _configuration_notifications(report, lang)
    if configuration:
        out["toolConfigurationNotifications"] = configuration
    if report.selection is not None and report.selection.deselected:
        # rules switched off by the run's selection (SARIF 2.1.0 §3.20.5)
        out["ruleConfigurationOverrides"] = [
            {"descriptor": {"id": rule_id}, "configuration": {"enabled": False}}
            for rule_id in report.selection.deselected]
    return out


def _artifacts(report: Report) -> list[Json]:
    out: dict[str, Json] = {}
    for r in report.filings:
        artifact: Json = {"location": artifact_location(r.file), "roles": ["analysisTarget"]}
        if r.format is not None:
            artifact["sourceLanguage"] = r.format
        out.setdefault(r.file, artifact)
    return list(out.values())


def _run_properties(report: Report, lang: str) -> Json:
    used: dict[tuple[str, str | None], Json] = {}
    for r in report.filings:
        for rb in r.rulebases:
            used.setdefault((rb.id, rb.version), {
                "id": rb.id, "version": rb.version, "title": rb.title.get(lang),
                "in_force": rb.in_force})
    props: Json = {"schema_version": report.schema_version, "rulebases": list(used.values()),
                   "summary": report.summary.model_dump(mode="json")}
    if report.selection is not None:
        props["selection"] = report.selection.model_dump(mode="json")
    if report.waivers is not None:
        props["waivers"] = {"file": report.waivers.file, "sha256": report.waivers.sha256,
                            "today": report.waivers.today.isoformat()}
    if report.baseline is not None:
        props["baseline"] = {"file": report.baseline.file, "sha256": report.baseline.sha256,
                             "known": report.baseline.known,
                             "fixed": len(report.baseline.fixed)}
    return props


_URL_LABELS = ("homepage", "documentation", "repository", "source")


def information_uri(meta: metadata.PackageMetadata | None) -> str | None:
    """The address a package's metadata gives for it (``[project.urls]``:
    Homepage, else Documentation, Repository or Source; else ``Home-page``),
    or None when it declares none."""
    if meta is None:
        return None
    urls: dict[str, str] = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls.setdefault(label.strip().lower(), url.strip())
    for label in _URL_LABELS:
        if urls.get(label, "").startswith(("https://", "http://")):
            return urls[label]
    home = (meta.get_all("Home-page") or [""])[0]
    return home if home.startswith(("https://", "http://")) else None


@cache
def _installed_information_uri() -> str | None:
    try:
        return information_uri(metadata.metadata("esgcheck"))
    except metadata.PackageNotFoundError:
        return None


def _driver(report: Report, rules: list[RuleInfo], lang: str) -> Json:
    version = report.tool.version
    driver: Json = {"name": report.tool.name, "version": version}
    if _SEMVER.match(version):
        driver["semanticVersion"] = version
    uri = _installed_information_uri()
    if uri is not None:
        driver["informationUri"] = uri
    driver["rules"] = [rule_descriptor(info, lang) for info in rules]
    return driver


def run(report: Report, options: RenderOptions) -> Json:
    lang = options.lang
    rules = rule_catalogue(report)
    index = {info.id: i for i, info in enumerate(rules)}
    baselined = report.baseline is not None
    results = [result(f, index[f.rule_id], options, baselined)
               for r in report.filings for f in r.findings]
    return {
        "tool": {"driver": _driver(report, rules, lang)},
        "invocations": [_invocation(report, options)],
        "language": _LANGUAGES.get(lang, "en-US"),
        "automationDetails": {"id": "esgcheck/"},
        "columnKind": "unicodeCodePoints",
        "artifacts": _artifacts(report),
        "results": results,
        "properties": _run_properties(report, lang),
    }


def render(report: Report, options: RenderOptions) -> str:
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run(report, options)]}
    return json_safe(json.dumps(log, ensure_ascii=False, indent=2, sort_keys=False)) + "\n"
