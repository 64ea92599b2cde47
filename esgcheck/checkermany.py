"""Checking many files with one checker: in order or in forked worker
processes, through a journal, into one report (esgcheck.checker checks one)."""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esgcheck import __version__
from esgcheck.checkerparts import (
    DEFAULT_OPTIONS,
    Options,
    file_digest,
    folder_digest,
    make_report,
    portable_name,
    received,
    sendable,
    unchanged,
)
from esgcheck.engine.findings import (
    REPORT_SCHEMA_VERSION,
    ConfigurationUsed,
    FilingReport,
    Report,
    RuleInfo,
)
from esgcheck.engine.rulebase import RuleBase
from esgcheck.engine.userconfig import UserConfig
from esgcheck.filings.paths import display_name as display_name  # callers import it here
from esgcheck.filings.paths import expand
from esgcheck.journal import Journal
from esgcheck.workers import results

_BATCH: tuple[ManyFiles, Options, list[tuple[Path, str]]] | None = None  # for forked workers


def _check_item(n: int) -> bytes:
    assert _BATCH is not None
    checker, options, files = _BATCH
    path, display = files[n]
    return checker.check_serialised(path, display, options)


class ManyFiles:
    """What a Checker does with many files (mixed into esgcheck.checker.Checker)."""

    rulebases: list[RuleBase]
    user_config: UserConfig | None
    deselected: frozenset[str]

    if TYPE_CHECKING:  # (the Checker's own)
        def configuration(self) -> list[ConfigurationUsed]: ...

        def rule_catalogue(self, filing_types: Iterable[str]) -> list[RuleInfo]: ...

        def build(self, filing_type: str | None = None) -> None: ...

        def check_contained(self, path: Path, display: str, options: Options = ...
                            ) -> FilingReport: ...

        def check_serialised(self, path: Path, display: str, options: Options = ...,
                             data: bytes | None = None) -> bytes: ...

    def check_paths(self, paths: Iterable[Path], options: Options = DEFAULT_OPTIONS,
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
