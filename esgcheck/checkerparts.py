"""The checker's options and the parts of a report it builds that need no
rule base loaded: a filing's report for a fault, a limit, an unreadable file,
the structural unit findings, the run's summary, and how reports travel
between processes as JSON (esgcheck.checker checks; esgcheck.checkermany
checks many files)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from esgcheck import __version__
from esgcheck.engine import grading
from esgcheck.engine.build import pointer
from esgcheck.engine.expr.types import TypedValue
from esgcheck.engine.expr.unreadable import describe as describe_unreadable
from esgcheck.engine.expr.values import MISSING
from esgcheck.engine.files import read_regular, sha256_regular
from esgcheck.engine.findings import (
    CitationOut,
    ConfigurationUsed,
    Evidence,
    FilingReport,
    Finding,
    InputProblem,
    Location,
    Report,
    RuleInfo,
    Summary,
    Tool,
    fingerprint,
)
from esgcheck.engine.model import SEVERITY_RANK, Text, text
from esgcheck.engine.quantities import quantity_fields
from esgcheck.engine.rulebase import RuleBase
from esgcheck.filings.adapters import Adapted
from esgcheck.filings.errors import InputError
from esgcheck.filings.limits import LimitExceeded, Limits
from esgcheck.filings.paths import display_name as display_name  # callers import it here
from esgcheck.filings.reader import Filing
from esgcheck.filings.validate import (
    once_per_source,
)
from esgcheck.messages import MESSAGES, message
from esgcheck.workers import Lost


@dataclass(frozen=True)
class Options:
    as_of: date | None = None
    filing_type: str | None = None
    limits: Limits = field(default_factory=Limits)


DEFAULT_OPTIONS = Options()


# The stages of checking one filing, in order: a fault of esgcheck's own is
# reported with the stage it happened in (see chain.STAGE).
STAGES = ("read", "limits", "validate", "as_of", "derive", "check", "findings", "grade",
          "send")


def before_first_version(filing: Filing, rb: RuleBase, as_of: date, source: str | None,
                         ran: list[str]) -> Finding:
    """The filing's own date is before the first version of a rule base: either
    the instrument does not apply to it, or its dates are placeholders. Not
    assessable under the instrument, located at the date it was read from."""
    first = rb.versions[0]
    instrument = rb.meta.instruments[0]
    rule = "ASOF.before-first-version"
    location = filing.location(tuple(p for p in (source or "").strip("/").split("/") if p)
                               if source and source != "option" else ())
    return Finding(
        rule_id=rule, rulebase=rb.id, rulebase_version=first.version, severity="major",
        outcome="not_assessable", title=text("asof.title"),
        message=Text(**{lang: message("asof.message", lang, as_of=as_of.isoformat(),
                                      source=source or "—", rulebase=rb.id,
                                      first=first.effective_from.isoformat(),
                                      ran=message("asof.ran", lang, rules=", ".join(ran))
                                      if ran else message("asof.none_ran", lang))
                        for lang in ("zh", "en")}),
        citation=CitationOut(instrument=instrument.id, instrument_title=instrument.title,
                             document_number=instrument.number, text=Text(
                                 zh=f"《{instrument.title.zh}》", en=instrument.title.en)),
        location=location,
        evidence=[Evidence(source="filing", name=location.pointer, value=as_of.isoformat(),
                           display=as_of.isoformat(), location=location)],
        fingerprint=fingerprint(rb.id, rule, location.pointer),
    )


def not_carried(finding: Finding, adapted: Adapted) -> Finding:
    """A finding on a filing read from an industry format, when it rests on a field
    that format has no place for: not assessable, naming the field, instead of a
    breach (or a bare "missing") the filer could not have avoided in that format."""
    absent: list[str] = []
    for e in finding.all_evidence(false_facts=False):
        if e.source == "filing" and not e.present and not adapted.carries(e.name) and (
                e.name not in absent):
            absent.append(e.name)
    if not absent or finding.outcome == "waived":
        return finding
    return finding.model_copy(update={
        "outcome": "not_assessable",
        "message": text("na.not_carried", format=adapted.format, fields=", ".join(absent)),
    })


def finding_order(f: Finding) -> tuple[Any, ...]:
    return (-SEVERITY_RANK[f.severity], f.outcome != "breach", f.rulebase, f.rule_id,
            f.location.pointer)


def internal_error(file: str, stage: str, exc: BaseException) -> FilingReport:
    """A filing esgcheck failed on, at ``stage``: not assessed, with code
    ``internal``, the stage and the kind of fault (not its text, which may hold
    addresses or the filing's content and would make the report differ
    between runs)."""
    kind = type(exc).__name__
    return FilingReport(file=file, status="not_assessed", error=InputProblem(
        code="internal", message=Text(**{
            lang: message("internal.stage", lang, kind=kind, stage=stage,
                          doing=message(f"stage.{stage}", lang)
                          if f"stage.{stage}" in MESSAGES else stage)
            for lang in ("zh", "en")})))


REPORT_JSON: TypeAdapter[FilingReport] = TypeAdapter(FilingReport)


def sendable(report: FilingReport) -> FilingReport:
    """The report, once it is known to write as JSON, as every output and the
    journal write it; else an internal error at the ``send`` stage."""
    try:
        REPORT_JSON.dump_json(report)
    except Exception as exc:  # whatever it is, it is this filing's alone
        return internal_error(report.file, "send", exc)
    return report


def received(result: bytes | Lost, display: str) -> FilingReport:
    """A report as a worker sent it; a worker that ended while checking the
    filing, or a report that does not read back, is an internal error."""
    if isinstance(result, Lost):
        return FilingReport(file=display, status="not_assessed", error=InputProblem(
            code="internal", message=text("internal.worker", how=result.describe())))
    try:
        return REPORT_JSON.validate_json(result)
    except Exception as exc:  # whatever it is, it is this filing's alone
        return internal_error(display, "send", exc)


def portable_name(name: str) -> str:
    """A file name every output can carry: a byte of the name that is not
    UTF-8 (which Python holds as a lone surrogate) is written ``\\xNN``, the
    same way every time."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = name.encode("utf-8", "surrogateescape")  # the name's own bytes
        except UnicodeEncodeError:  # a surrogate no byte stands for: written as itself
            raw = name.encode("utf-8", "backslashreplace")
        return raw.decode("utf-8", "backslashreplace")
    return name


def over_limit(exc: LimitExceeded) -> FilingReport:
    """A filing past a limit: not assessed, saying which limit and how to raise it."""
    return FilingReport(
        file=exc.file, status="not_assessed",
        error=InputProblem(code=exc.code, message=Text(
            zh=exc.describe("zh"), en=exc.describe("en"))))


def unreadable(exc: InputError) -> FilingReport:
    location = None
    if exc.line is not None or exc.pointer is not None:
        location = Location(file=exc.file, pointer=exc.pointer or "", line=exc.line,
                            column=exc.column, exists=True)
    return FilingReport(
        file=exc.file, status="unreadable",
        error=InputProblem(code=exc.code, message=Text(
            zh=exc.describe("zh"), en=exc.describe("en")), location=location))


def unit_findings(filing: Filing, version: str) -> list[Finding]:
    """A finding for each quantity whose unit is not of its field's dimension
    (``x-quantity`` in the schema): a breach for a unit of other dimensions, not
    assessable for a unit esgcheck does not know or cannot convert without more
    data (ppm for a concentration)."""
    ft = filing.filing_type
    rule = "SCHEMA.x-quantity"
    out: list[Finding] = []
    problems = quantity_fields(ft.schema, ft.types).problems(filing.doc)
    # a value an industry format gives once may sit at two canonical places
    problems = once_per_source(filing.doc, problems, lambda p: (*p.path, "unit"),
                               lambda p: p.kind)
    for problem in problems:
        location = filing.location((*problem.path, "unit"))
        raw = {"value": None, "unit": problem.unit}
        value = resolve_path(filing.doc, problem.path)
        if isinstance(value, dict):
            raw = value
        out.append(Finding(
            rule_id=rule, rulebase="schema", rulebase_version=version, severity="major",
            outcome="breach" if problem.kind == "dimension" else "not_assessable",
            title=text("schema.unit_title", type=ft.id),
            message=describe_unreadable(problem.expected, raw),
            citation=CitationOut(instrument=ft.id, text=Text(
                zh=f"{ft.title.zh}（{version}）", en=f"{ft.title.en} ({version})")),
            location=location,
            evidence=[Evidence(source="filing", name=pointer((*problem.path, "unit")),
                               value=problem.unit, display=problem.unit, location=location)],
            fingerprint=fingerprint("schema", rule, location.pointer),
        ))
    return out


def without_covered_units(findings: list[Finding]) -> list[Finding]:
    """One defect, one finding: a quantity whose unit a rule's finding already
    names (as a value it could not read, with the reason) does not also get the
    structural unit finding, unless the unit is plainly wrong (another
    dimension) and the rules could only say they cannot decide."""
    named: dict[str, bool] = {}  # pointer -> named by a breach
    for f in findings:
        if f.rulebase != "schema":
            for e in f.all_evidence():
                if e.problem is not None:
                    named[e.name] = named.get(e.name, False) or f.outcome == "breach"
    if not named:
        return findings
    return [f for f in findings if f.rule_id != "SCHEMA.x-quantity"
            or (quantity := f.evidence[0].name.removesuffix("/unit")) not in named
            or (f.outcome == "breach" and not named[quantity])]


def resolve_path(doc: Any, path: tuple[str | int, ...]) -> Any:
    node = doc
    for key in path:
        node = node[key]  # the path was found in this document
    return node


def unchanged(path: Path, display: str, digest: str, report: FilingReport
              ) -> tuple[FilingReport, str]:
    """A report and the digest to record it under, for a file hashed before it
    was checked: one that changed meanwhile may have been checked as other
    bytes than the digest names, so it becomes an entry of its own (``changed``)
    recorded under no digest, never taken for its content later."""
    if digest and file_digest(path) != digest:
        return unreadable(InputError("changed", display)), ""
    return report, digest


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content ("" when it cannot be read, or is not a
    regular file: checked anew, where reading says why)."""
    try:
        return sha256_regular(path)
    except OSError:
        return ""


def folder_digest(folder: Path) -> str:
    """SHA-256 over every file of a rule base, names and contents, in order."""
    sha = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        sha.update(path.relative_to(folder).as_posix().encode() + b"\0")
        sha.update(read_regular(path) + b"\0")
    return sha.hexdigest()


def config_text(value: Any) -> str | None:
    """A configuration value or table cell as the report shows it."""
    if isinstance(value, TypedValue):
        value = value.value
    if value is MISSING or value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(config_text(v)) for v in value) + "]"
    if isinstance(value, Mapping) and set(value) == {"value", "unit"}:
        return f"{value['value']} {value['unit']}"
    return str(value)


def make_report(filings: list[FilingReport], fail_on: str = "major",
                configuration: list[ConfigurationUsed] | None = None,
                rules: list[RuleInfo] | None = None) -> Report:
    return Report(tool=Tool(version=__version__), configuration=configuration or [],
                  rules=rules or [], filings=filings, summary=summarize(filings, fail_on))


def summarize(filings: Sequence[FilingReport], fail_on: str = "major",
              not_assessable: bool = True) -> Summary:
    """The run's counts. ``failed`` counts the checked filings that fail the
    gate: a breach at or above ``fail_on``, or (unless ``not_assessable`` is
    false) a finding at or above it that could not be assessed."""
    grades: dict[str, int] = {}
    for f in filings:
        if f.grade is not None:
            grades[f.grade] = grades.get(f.grade, 0) + 1
    return Summary(
        files=len(filings),
        checked=sum(f.status == "checked" for f in filings),
        failed=sum(f.status == "checked" and grading.fails(f, fail_on, not_assessable)
                   for f in filings),
        unreadable=sum(f.status == "unreadable" for f in filings),
        not_assessed=sum(f.status == "not_assessed" for f in filings),
        grades=dict(sorted(grades.items())),
        counts=grading.count(finding for f in filings for finding in f.findings),
    )
