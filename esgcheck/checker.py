"""The library entry point: check filings against rule bases and build reports.

    from esgcheck.checker import Checker
    checker = Checker()                       # the rule bases shipped with esgcheck
    report = checker.check_paths([Path("fixtures/cn-eidm-annual/compliant.json")])

The command line is a thin layer over this module.
"""


from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esgcheck.engine.build import ProofNodes, build_finding, citation
from esgcheck.engine.chain import STAGE, Evaluation, EvaluationLimitError
from esgcheck.engine.expr.runtime import LIMITS
from esgcheck.engine.filing_types import FilingType, Registry, default_registry
from esgcheck.engine.findings import (
    CitationOut,
    ConfigurationUsed,
    FilingReport,
    Finding,
    InputProblem,
    RuleBaseUsed,
    RuleInfo,
    fingerprint,
)
from esgcheck.engine.model import Severity, Text, text
from esgcheck.engine.rbload import load_rulebase
from esgcheck.engine.rulebase import Problem, RuleBase, RuleBaseError, discover
from esgcheck.engine.userconfig import UserConfig
from esgcheck.filings.errors import InputError
from esgcheck.filings.limits import LimitExceeded, Limits, measure
from esgcheck.filings.paths import display_name as display_name  # callers import it here
from esgcheck.filings.reader import Filing, file_bytes, read_bytes
from esgcheck.filings.validate import (
    depth_bound,
    is_valid,
    prepare,
    validate,
)
from esgcheck.messages import MESSAGES

if TYPE_CHECKING:  # (imported where used: most runs have neither)
    pass

from esgcheck.checkergrades import Grading
from esgcheck.checkermany import ManyFiles
from esgcheck.checkerparts import (
    DEFAULT_OPTIONS,
    REPORT_JSON,
    before_first_version,
    config_text,
    finding_order,
    not_carried,
    over_limit,
    without_covered_units,
)
from esgcheck.checkerparts import Options as Options
from esgcheck.checkerparts import internal_error as internal_error
from esgcheck.checkerparts import summarize as summarize
from esgcheck.checkerparts import unit_findings as unit_findings
from esgcheck.checkerparts import unreadable as unreadable

PACKAGE_RULES = Path(__file__).resolve().parent / "rules"
FILING_SUFFIXES = (".json", ".xml")

# Structural problems are major by default: a filing that does not fit its
# schema cannot be relied on. Unexpected extra fields are observations.
SCHEMA_SEVERITY: dict[str, Severity] = {"additionalProperties": "minor"}




class Checker(Grading, ManyFiles):
    def __init__(self, rule_dirs: Sequence[Path] | None = None,
                 user_config: UserConfig | None = None,
                 registry: Registry | None = None) -> None:
        self.registry = registry or default_registry()
        self.user_config = user_config
        # check rules switched off by the run's selection (esgcheck.selection):
        # they do not run; the derive rules still do
        self.deselected: frozenset[str] = frozenset()
        folders = discover(rule_dirs if rule_dirs else [PACKAGE_RULES])
        given = dict(user_config.rulebases) if user_config is not None else {}
        # esgcheck's own rule bases are built when a filing of their types is
        # checked (most runs need one or two of them); a rule base given with
        # --rules, or one the user's configuration changes, is built now, so that
        # whatever is wrong with it is said before any filing is read
        self.rulebases: list[RuleBase] = [
            load_rulebase(folder, self.registry, overrides=given.get(folder.name),
                          lazy=rule_dirs is None and folder.name not in given)
            for folder in folders
        ]
        unknown = sorted(set(given) - {rb.id for rb in self.rulebases})
        if unknown and user_config is not None:
            raise RuleBaseError([Problem(
                user_config.file, given[rb_id].line(), None,
                f"no rule base '{rb_id}' is loaded (loaded: "
                f"{', '.join(rb.id for rb in self.rulebases)})") for rb_id in unknown])

    def configuration(self) -> list[ConfigurationUsed]:
        """The configuration each rule base runs with, for the report."""
        out = []
        for rb in self.rulebases:
            given = rb.overrides
            data: dict[str, list[dict[str, str | None]]] = {}
            if given is not None:
                for name, rows in given.data.items():
                    data[name] = [{k: config_text(v) for k, v in row.items()} for row in rows]
            out.append(ConfigurationUsed(
                rulebase=rb.id,
                file=self.user_config.file if given is not None and self.user_config else None,
                sha256=self.user_config.sha256 if given is not None and self.user_config
                else None,
                values={k: config_text(v) for k, v in sorted(rb.config.items())}, data=data))
        return out

    def rule_catalogue(self, filing_types: Iterable[str]) -> list[RuleInfo]:
        """The check rules for ``filing_types``, as reports list them."""
        wanted = set(filing_types)
        out = []
        for rb in self.rulebases:
            if wanted.isdisjoint(rb.meta.filing_types):  # none of its rules: left unbuilt
                continue
            for r in rb.rules:
                s = r.spec
                if r.is_derive or r.filing_type not in wanted or r.id in self.deselected:
                    continue
                assert s.severity is not None
                instrument = rb.instrument(s.citation.instrument)
                out.append(RuleInfo(
                    id=s.id, rulebase=rb.id, filing_type=r.filing_type, severity=s.severity,
                    section=r.section, title=s.title, help=s.rationale or s.remediation,
                    citation=citation(rb, r),
                    url=s.citation.url or (instrument.url if instrument else None),
                    effective_from=s.effective_from, effective_to=s.effective_to))
        return out

    def build(self, filing_type: str | None = None) -> None:
        """Build the rule bases for ``filing_type`` (None: all of them) now
        rather than on first use."""
        for rb in self.rulebases:
            if filing_type is None or filing_type in rb.meta.filing_types:
                _ = rb.built

    def rulebases_for(self, ft: FilingType) -> list[RuleBase]:
        return [rb for rb in self.rulebases if ft.id in rb.meta.filing_types]

    def check_contained(self, path: Path, display: str, options: Options = DEFAULT_OPTIONS
                        ) -> FilingReport:
        """``check_file``, where a fault of esgcheck's own at any stage (reading,
        limits, validation, the as-of date, deriving, checking, building the
        findings, grading) costs only this filing: it is ``not_assessed`` with
        code ``internal``, naming the stage, and the run goes on."""
        STAGE.name = "read"
        try:
            return self.check_file(path, display, options)
        except Exception as exc:  # whatever it is, it is this filing's alone
            return internal_error(display, STAGE.name, exc)

    def check_serialised(self, path: Path, display: str, options: Options = DEFAULT_OPTIONS,
                         data: bytes | None = None) -> bytes:
        """A filing's report as JSON bytes (of its bytes ``data`` when given,
        else of the file), as a worker sends it: never raises for anything the
        filing holds (see ``check_contained``); a report that cannot be written
        as JSON is an internal error at the ``send`` stage."""
        if data is None:
            report = self.check_contained(path, display, options)
        else:
            STAGE.name = "read"
            try:
                report = self.check_bytes(data, display, options)
            except Exception as exc:  # as in check_contained
                report = internal_error(display, STAGE.name, exc)
        try:
            return REPORT_JSON.dump_json(report)
        except Exception as exc:  # whatever it is, it is this filing's alone
            return REPORT_JSON.dump_json(internal_error(display, "send", exc))

    # -- one file
    def check_file(self, path: Path, display: str, options: Options = DEFAULT_OPTIONS
                   ) -> FilingReport:
        """One file: only a regular file is read, never more than the bytes
        limit, and a path ``expand`` refused is reported without being opened
        (see esgcheck.filings.paths)."""
        try:
            data = file_bytes(path, display, options.limits.max_bytes)
        except LimitExceeded as exc:
            return over_limit(exc)
        except InputError as exc:
            return unreadable(exc)
        return self.check_bytes(data, display, options)

    def check_bytes(self, data: bytes, display: str, options: Options = DEFAULT_OPTIONS
                    ) -> FilingReport:
        """One filing's bytes. The ``seconds`` limit covers the whole filing:
        reading, measuring and validating count against it, and the rules get
        what is left."""
        limits = options.limits
        started = time.monotonic()
        try:
            if len(data) > limits.max_bytes:
                raise LimitExceeded("bytes", display, limits.max_bytes)
            filing = read_bytes(data, display, self.registry, options.filing_type, limits,
                                started)
            if not within_limits(filing, len(data), limits):
                measure(filing.doc, limits, display)
            prepare(filing)
            left = limits.max_seconds - (time.monotonic() - started)
            if left <= 0:
                raise LimitExceeded("seconds", display, limits.max_seconds,
                                    "limit.seconds_filing")
        except LimitExceeded as exc:
            return over_limit(exc)
        except InputError as exc:
            return unreadable(exc)
        report = self.check_guarded(filing, dataclasses.replace(
            options, limits=dataclasses.replace(limits, max_seconds=left)))
        if report.error is not None and report.error.code == "limit.seconds":
            # the rules had what reading left: say so, with the limit as given
            report = report.model_copy(update={"error": report.error.model_copy(update={
                "message": text("limit.seconds_filing", value=limits.max_seconds)})})
        return report

    def check_guarded(self, filing: Filing, options: Options) -> FilingReport:
        """``check_filing``, where even a fault of esgcheck's own costs only this
        filing: it is reported as not assessed, naming the stage, and the run
        goes on."""
        try:
            return self.check_filing(filing, options)
        except Exception as exc:  # whatever it is, it is this filing's alone
            return internal_error(filing.file, STAGE.name, exc).model_copy(update={
                "filing_type": filing.filing_type.id, "format": filing.format})

    def check_filing(self, filing: Filing, options: Options = DEFAULT_OPTIONS) -> FilingReport:
        LIMITS.regex_seconds = options.limits.regex_seconds
        ft = filing.filing_type
        STAGE.name = "validate"
        findings = schema_findings(filing)
        STAGE.name = "as_of"
        as_of, source = as_of_date(ft, filing.doc, options.as_of)
        used: list[RuleBaseUsed] = []
        evaluated = 0
        rulebases = self.rulebases_for(ft)
        if not rulebases:
            return FilingReport(file=filing.file, status="not_assessed", filing_type=ft.id,
                                format=filing.format, as_of=as_of, as_of_source=source,
                                error=InputProblem(code="no_rules", message=text(
                                    "no_rules", type=ft.id)))
        for rb in rulebases:
            version = rb.version_for(as_of)
            rules = rb.by_type[ft.id]
            active = rules.active_on(as_of)
            early = version is None and as_of is not None and as_of < rb.versions[0].effective_from
            if early and as_of is not None:
                # before the instrument: a finding of its own, and the checks of its
                # first version that do not depend on the date still run
                version = rb.versions[0]
                active = rules.data_checks
                findings.append(before_first_version(
                    filing, rb, as_of, source, sorted(r.id for r in rules.check
                                                      if r.id in active)))
            if self.deselected:
                active = {r.id for r in (*rules.derive, *rules.check) if r.id not in
                          self.deselected and (active is None or r.id in active)}
            used.append(RuleBaseUsed(
                id=rb.id, version=version.version if version else None, title=rb.meta.title,
                in_force=version is not None and not early,
                ran="none" if version is None else "data_checks" if early else "all"))
            if version is None:
                continue
            evaluation = Evaluation(filing.doc, rules, ft.entities, as_of,
                                    options.limits.max_steps, options.limits.max_seconds)
            try:
                hits = evaluation.run(active)
            except EvaluationLimitError as exc:
                return FilingReport(
                    file=filing.file, status="not_assessed", filing_type=ft.id,
                    format=filing.format,
                    as_of=as_of, as_of_source=source, rulebases=used,
                    error=InputProblem(code=f"limit.{exc.limit}",
                                       message=text(f"limit.{exc.limit}", value=exc.value)))
            evaluated += len(rules.check) if active is None else sum(
                1 for r in rules.check if r.id in active)
            STAGE.name = "findings"
            built: ProofNodes = {}
            own = [build_finding(hit, rb, version.version, evaluation, filing.location, built)
                   for hit in hits]
            if filing.adapted is not None:
                own = [not_carried(f, filing.adapted) for f in own]
            findings.extend(own)
        STAGE.name = "findings"
        findings = without_covered_units(findings)
        findings.sort(key=finding_order)
        STAGE.name = "grade"
        return FilingReport(
            file=filing.file, status="checked", filing_type=ft.id,
            format=filing.format, read_as=filing.read_as,
            as_of=as_of, as_of_source=source, rulebases=used,
            rules_evaluated=evaluated, findings=findings,
            **self.grade_fields(used, findings))


def as_of_date(ft: FilingType, doc: Any, forced: date | None = None
               ) -> tuple[date | None, str | None]:
    """The date that picks rule-base versions: --as-of, else the filing's own
    (the first of the type's as-of pointers that holds a date), and its source."""
    if forced is not None:
        return forced, "option"
    for ptr in ft.as_of:
        node: Any = doc
        for part in ptr.strip("/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str):
            try:
                return date.fromisoformat(node), ptr
            except ValueError:
                continue
    return None, None


def within_limits(filing: Filing, size: int, limits: Limits) -> bool:
    """Whether a JSON filing is known to be within the depth and value limits
    without walking it: it is valid against a schema that bounds its depth to
    the limit, and its text is too short to hold more values than allowed
    (each member or item takes at least two characters with its separator).
    Validation runs once: its verdict is kept for the structural findings."""
    STAGE.name = "limits"
    if filing.format != "json" or filing.adapted is not None:
        return False
    bound = depth_bound(filing.filing_type)
    if bound is None or bound > limits.max_depth or size // 2 + 1 > limits.max_values:
        return False
    filing.valid = is_valid(filing.filing_type, filing.doc)
    return filing.valid


def schema_findings(filing: Filing) -> list[Finding]:
    ft = filing.filing_type
    version = str(ft.schema.get("$id", ft.id))
    out: list[Finding] = []
    for problem in validate(ft, filing.doc, filing.valid):
        key = f"schema.{problem.keyword}"
        message = text(key, **problem.params) if key in MESSAGES and problem.params else text(
            "schema.other", detail=problem.detail)
        location = filing.location(problem.path)
        out.append(Finding(
            rule_id=f"SCHEMA.{problem.keyword}", rulebase="schema", rulebase_version=version,
            severity=SCHEMA_SEVERITY.get(problem.keyword, "major"),
            outcome="breach", title=text("schema.title", type=ft.id), message=message,
            citation=CitationOut(instrument=ft.id, text=Text(
                zh=f"{ft.title.zh}（{version}）", en=f"{ft.title.en} ({version})")),
            location=location,
            fingerprint=fingerprint("schema", f"SCHEMA.{problem.keyword}", location.pointer),
        ))
    out.extend(unit_findings(filing, version))
    return out
