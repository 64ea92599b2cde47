"""The library entry point: check filings against rule bases and build reports.

    from esgcheck.checker import Checker
    checker = Checker()                       # the rule bases shipped with esgcheck
    report = checker.check_paths([Path("fixtures/cn-eidm-annual/compliant.json")])

The command line is a thin layer over this module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing as mp
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from esgcheck import __version__
from esgcheck.engine import grading
from esgcheck.engine.build import build_finding, citation, pointer
from esgcheck.engine.chain import STAGE, Evaluation, EvaluationLimitError
from esgcheck.engine.expr.runtime import LIMITS
from esgcheck.engine.expr.types import TypedValue
from esgcheck.engine.expr.unreadable import describe as describe_unreadable
from esgcheck.engine.expr.values import MISSING
from esgcheck.engine.files import read_regular, sha256_regular
from esgcheck.engine.filing_types import FilingType, Registry, default_registry
from esgcheck.engine.findings import (
    REPORT_SCHEMA_VERSION,
    CitationOut,
    ConfigurationUsed,
    Evidence,
    FilingReport,
    Finding,
    InputProblem,
    Location,
    Report,
    RuleBaseUsed,
    RuleInfo,
    Summary,
    Tool,
    fingerprint,
)
from esgcheck.engine.model import SEVERITY_RANK, Severity, Text, text
from esgcheck.engine.quantities import quantity_fields
from esgcheck.engine.rulebase import Problem, RuleBase, RuleBaseError, discover, load_rulebase
from esgcheck.engine.userconfig import UserConfig
from esgcheck.filings.adapters import Adapted
from esgcheck.filings.errors import InputError
from esgcheck.filings.limits import LimitExceeded, Limits, measure
from esgcheck.filings.paths import display_name as display_name  # callers import it here
from esgcheck.filings.paths import expand
from esgcheck.filings.reader import Filing, file_bytes, read_bytes
from esgcheck.filings.validate import (
    depth_bound,
    is_valid,
    once_per_source,
    prepare,
    validate,
)
from esgcheck.journal import Journal
from esgcheck.messages import MESSAGES, message
from esgcheck.workers import Lost, results

if TYPE_CHECKING:  # (imported where used: most runs have neither)
    from esgcheck.baseline import Baseline
    from esgcheck.waivers import Waivers

PACKAGE_RULES = Path(__file__).resolve().parent / "rules"
FILING_SUFFIXES = (".json", ".xml")

# Structural problems are major by default: a filing that does not fit its
# schema cannot be relied on. Unexpected extra fields are observations.
SCHEMA_SEVERITY: dict[str, Severity] = {"additionalProperties": "minor"}


@dataclass(frozen=True)
class Options:
    as_of: date | None = None
    filing_type: str | None = None
    limits: Limits = field(default_factory=Limits)


# The stages of checking one filing, in order: a fault of esgcheck's own is
# reported with the stage it happened in (see chain.STAGE).
STAGES = ("read", "limits", "validate", "as_of", "derive", "check", "findings", "grade",
          "send")

_BATCH: tuple[Checker, Options, list[tuple[Path, str]]] | None = None  # for forked workers


def _check_item(n: int) -> bytes:
    assert _BATCH is not None
    checker, options, files = _BATCH
    path, display = files[n]
    return checker.check_serialised(path, display, options)


class Checker:
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

    # -- many files
    def check_paths(self, paths: Iterable[Path], options: Options = Options(),
                    jobs: int = 1, journal: Journal | None = None,
                    fail_on: str = "major") -> Report:
        """Check every file under ``paths``. With ``jobs`` above 1, files are
        checked by that many worker processes (forked, so they share the loaded
        rule bases); with a ``journal``, filings it already holds are taken from
        it and every newly checked one is added as soon as it is done. The
        report is the same either way, in the same order."""
        files = [(path, portable_name(display)) for path, display in expand(paths)]
        results: dict[int, FilingReport] = {}
        todo: list[tuple[int, tuple[Path, str]]] = []
        sums: dict[int, str] = {}
        for n, (path, display) in enumerate(files):
            if journal is not None:
                sums[n] = file_digest(path)
                known = journal.get(display, sums[n])
                if known is not None:
                    results[n] = known
                    continue
            todo.append((n, (path, display)))
        for (n, (path, display)), report in zip(todo, self.check_files(
                [f for _, f in todo], options, jobs), strict=True):
            if journal is not None:
                report, sums[n] = unchanged(path, display, sums[n], report)
                journal.add(display, sums[n], report)
            results[n] = report
        filings = [self.in_order(results[n]) for n in range(len(files))]
        return make_report(filings, fail_on, self.configuration(), self.rule_catalogue(
            f.filing_type for f in filings if f.filing_type is not None))

    def check_files(self, files: list[tuple[Path, str]], options: Options,
                    jobs: int) -> Iterator[FilingReport]:
        """Reports in the order of ``files``, each as soon as it is ready.
        Whatever goes wrong with one filing, at any stage, is that filing's
        ``not_assessed`` entry and the others are checked as if it were not
        there (see ``check_contained``)."""
        if jobs > 1 and len(files) > 1 and "fork" in mp.get_all_start_methods():
            yield from self.check_parallel(files, options, jobs)
        else:
            for path, display in files:
                yield sendable(self.check_contained(path, display, options))

    def in_order(self, report: FilingReport) -> FilingReport:
        """A report with its section grades in the rule bases' order of sections
        (as ``grade_fields`` writes them), whatever it was read back from: a
        journal, a worker, a store, another tool. Equal reports are then written
        byte for byte the same in every format."""
        grades = report.section_grades
        if len(grades) < 2:
            return report
        graded = {u.id for u in report.rulebases if u.ran != "none"}  # as in grade_fields
        order = list(dict.fromkeys(s for rb in self.rulebases if rb.id in graded
                                   for s in self.sections(rb) if s in grades))
        known = set(order)
        order += sorted(s for s in grades if s not in known)
        if list(grades) == order:
            return report
        return report.model_copy(update={"section_grades": {s: grades[s] for s in order}})

    @staticmethod
    def sections(rb: RuleBase) -> list[str]:
        return [s.id for s in rb.meta.sections]

    def settings(self, options: Options) -> dict[str, Any]:
        """What a journal's reports depend on besides the files themselves."""
        return {
            "esgcheck": __version__,
            "report_schema": REPORT_SCHEMA_VERSION,
            "as_of": options.as_of.isoformat() if options.as_of else None,
            "filing_type": options.filing_type,
            "limits": dataclasses.asdict(options.limits),
            "rulebases": [[rb.id, folder_digest(rb.folder)] for rb in self.rulebases],
            "rules_config": self.user_config.sha256 if self.user_config else None,
            **({"deselected": sorted(self.deselected)} if self.deselected else {}),
        }

    def check_parallel(self, files: list[tuple[Path, str]], options: Options,
                       jobs: int) -> Iterator[FilingReport]:
        """``jobs`` forked worker processes, each sent ranges of ``files`` and
        sending back each filing's report as JSON (see esgcheck.workers); a
        worker that ends while checking a filing costs only that filing."""
        global _BATCH
        self.build(options.filing_type)  # once, shared by the forked workers
        _BATCH = (self, options, files)
        try:
            for (_, display), result in zip(files, results(len(files), _check_item, jobs),
                                            strict=True):
                yield received(result, display)
        finally:
            _BATCH = None

    def check_contained(self, path: Path, display: str, options: Options = Options()
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

    def check_serialised(self, path: Path, display: str, options: Options = Options(),
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
            return _REPORT_JSON.dump_json(report)
        except Exception as exc:  # whatever it is, it is this filing's alone
            return _REPORT_JSON.dump_json(internal_error(display, "send", exc))

    # -- one file
    def check_file(self, path: Path, display: str, options: Options = Options()
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

    def check_bytes(self, data: bytes, display: str, options: Options = Options()
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

    def check_filing(self, filing: Filing, options: Options = Options()) -> FilingReport:
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
            own = [build_finding(hit, rb, version.version, evaluation, filing.location)
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

    def settle(self, report: Report, fail_on: str = "major", waivers: Waivers | None = None,
               today: date | None = None, baseline: Baseline | None = None) -> Report:
        """A report after the run's policy: waivers turn the findings they match
        into waived ones (and the filings are graded again), then the baseline
        leaves out the findings it knows; the summary follows."""
        filings = list(report.filings)
        update: dict[str, Any] = {}
        if waivers is not None:
            from esgcheck.waivers import apply_waivers

            waived, update["waivers"] = apply_waivers(filings, waivers, today or date.today())
            filings = [f if f is before else self.regrade(f)  # only those a waiver changed
                       for f, before in zip(waived, filings, strict=True)]
        if baseline is not None:
            from esgcheck.baseline import apply_baseline

            filings, update["baseline"] = apply_baseline(filings, baseline)
        return report.model_copy(update={
            **update, "filings": filings, "summary": summarize(filings, fail_on)})

    def regrade(self, report: FilingReport) -> FilingReport:
        """A checked filing graded again after its findings changed (waivers)."""
        if report.status != "checked":
            return report
        return report.model_copy(update=self.grade_fields(report.rulebases, report.findings))

    def grade_fields(self, used: Sequence[RuleBaseUsed], findings: Sequence[Finding]
                     ) -> dict[str, Any]:
        """A filing's grades and counts from its findings: each rule base in force
        grades its own findings and the structural ones by its policy, and the
        filing takes the worst of those grades."""
        grades: list[tuple[int, str, Text]] = []
        sections: dict[str, str] = {}
        in_force = {u.id for u in used if u.ran != "none"}
        for rb in self.rulebases:
            if rb.id not in in_force:
                continue
            scope = [f for f in findings if f.rulebase in (rb.id, "schema")]
            step_grade, label, rank = grading.grade(scope, rb.meta.grading)
            grades.append((rank, step_grade, label))
            sections.update(grading.section_grades(scope, rb.meta.grading, self.sections(rb)))
        worst = min(grades, key=lambda g: g[0]) if grades else None
        return {"grade": worst[1] if worst else None,
                "grade_label": worst[2] if worst else None,
                "section_grades": sections, "counts": grading.count(findings)}

    def grades(self) -> list[str]:
        """Every grade the loaded rule bases' policies give, worst first."""
        out: list[str] = []
        for rb in self.rulebases:
            for g in rb.meta.grading.order:
                if g not in out:
                    out.append(g)
        return out

    def fails_grade(self, report: FilingReport, threshold: str) -> bool:
        """Whether a checked filing's grade is ``threshold`` or worse, by the
        policy of the rule base that graded it."""
        if report.grade is None:
            return False
        in_force = {u.id for u in report.rulebases if u.in_force}
        for rb in self.rulebases:
            order = rb.meta.grading.order
            if rb.id in in_force and report.grade in order and threshold in order:
                return order.index(report.grade) <= order.index(threshold)
        return False


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


_REPORT_JSON: TypeAdapter[FilingReport] = TypeAdapter(FilingReport)


def sendable(report: FilingReport) -> FilingReport:
    """The report, once it is known to write as JSON, as every output and the
    journal write it; else an internal error at the ``send`` stage."""
    try:
        _REPORT_JSON.dump_json(report)
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
        return _REPORT_JSON.validate_json(result)
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
