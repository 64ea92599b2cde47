"""The results store: open it, write a run into it, ask it questions.

    store = open_store("results.db")              # or postgresql://user@host/db
    run = store.begin_run(settings, rulebases, files=len(paths), label="2026-Q4")
    report = checker.check_paths(paths, options, journal=run)   # resumable
    run.finish(checker.settle(report, waivers=...))
    store.summary(run.id)

A run writes each filing's report as it is checked, in transactions of
``BATCH`` filings (or every ``BATCH_SECONDS``, whichever comes first): a killed
run loses at most the reports of its last open transaction, never one that was
committed, and a report is stored once however often its filing is checked.
Running the same command again takes the filings whose bytes and settings are
unchanged from the store instead of checking them again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import Insert

from esgcheck import __version__
from esgcheck.engine.findings import FilingReport, Report
from esgcheck.store.errors import StoreError, advice, reason
from esgcheck.store.questions import Questions
from esgcheck.store.schema import findings, reports, run_filings, runs, waived

# Reports written per transaction. A transaction costs a commit (an fsync on
# SQLite, a round trip on PostgreSQL); at 50 filings that cost is under a
# millisecond a filing, and a killed run loses at most the last 50, which the
# next run checks again.
BATCH = 50
BATCH_SECONDS = 2.0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def settings_key(settings: Mapping[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(_json(settings).encode()).hexdigest()


@dataclass(frozen=True)
class RunInfo:
    id: int
    started: str
    finished: str | None
    status: str
    esgcheck_version: str
    label: str | None
    files: int


class Store(Questions):
    """A results store: its runs, their filings and findings (the questions over
    them in esgcheck.store.questions)."""

    def __init__(self, engine: Engine, shown: str) -> None:
        self.engine = engine
        self.url = shown

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except (SQLAlchemyError, OSError) as exc:
            why = reason(exc)
            raise StoreError(f"store {self.url}: {why}{advice(why)}") from None

    def _insert(self, table: Any) -> Insert:
        """An INSERT that leaves an existing row alone (a report another run
        stored in the meantime)."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing()
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()

    # -- writing
    def begin_run(self, settings: Mapping[str, Any], rulebases: Sequence[Mapping[str, Any]],
                  files: int, label: str | None = None) -> RunWriter:
        with self._tx() as tx:
            run_id = tx.execute(runs.insert().values(
                started=_now(), status="running", esgcheck_version=__version__, label=label,
                settings=_json(settings), settings_key=settings_key(settings),
                rulebases=_json(list(rulebases)), files=files)).inserted_primary_key
        assert run_id is not None
        return RunWriter(self, int(run_id[0]), settings_key(settings))

    # -- reading
    def runs(self) -> list[RunInfo]:
        with self._tx() as tx:
            rows = tx.execute(select(runs).order_by(runs.c.id)).mappings().all()
        return [RunInfo(r["id"], r["started"], r["finished"], r["status"],
                        r["esgcheck_version"], r["label"], r["files"]) for r in rows]

    def run_id(self, wanted: int | None = None) -> int:
        """``wanted``, or the latest complete run."""
        with self._tx() as tx:
            if wanted is not None:
                found = tx.execute(select(runs.c.id).where(runs.c.id == wanted)).scalar()
                if found is None:
                    raise StoreError(f"store {self.url} has no run {wanted}")
                return int(found)
            latest = tx.execute(select(func.max(runs.c.id)).where(
                runs.c.status == "complete")).scalar()
        if latest is None:
            raise StoreError(f"store {self.url} holds no complete run")
        return int(latest)

    def filings(self, run_id: int) -> list[FilingReport]:
        """The run's filing reports in order, as the run settled them."""
        with self._tx() as tx:
            rows = tx.execute(
                select(run_filings.c.settled, reports.c.report)
                .join(reports, reports.c.id == run_filings.c.report_id)
                .where(run_filings.c.run_id == run_id)
                .order_by(run_filings.c.position)).all()
        return [FilingReport.model_validate_json(settled or raw) for settled, raw in rows]

    def iter_filings(self, run_id: int, raw: bool = False, page: int = 200
                     ) -> Iterator[tuple[int, FilingReport]]:
        """(position, report) of the run in order, ``page`` at a time: as the run
        settled them, or as checked (``raw``)."""
        after = -1
        while True:
            with self._tx() as tx:
                rows = tx.execute(
                    select(run_filings.c.position, run_filings.c.settled, reports.c.report)
                    .join(reports, reports.c.id == run_filings.c.report_id)
                    .where(run_filings.c.run_id == run_id, run_filings.c.position > after)
                    .order_by(run_filings.c.position).limit(page)).all()
            if not rows:
                return
            for position, settled, report in rows:
                yield position, FilingReport.model_validate_json(
                    report if raw or settled is None else settled)
            after = rows[-1][0]

    @contextmanager
    def settling(self, run_id: int) -> Iterator[Callable[[int, FilingReport], None]]:
        """A function recording a filing of the run as its waivers left it: its
        grade, and the findings they waived; written in batches."""
        pending: list[tuple[int, FilingReport]] = []

        def write_all() -> None:
            with self._tx() as tx:
                for position, filing in pending:
                    _settle_one(tx, run_id, position, filing)
            pending.clear()

        def write(position: int, filing: FilingReport) -> None:
            pending.append((position, filing))
            if len(pending) >= BATCH:
                write_all()

        yield write
        write_all()

    def filing(self, run_id: int, path: str) -> FilingReport | None:
        with self._tx() as tx:
            row = tx.execute(
                select(run_filings.c.settled, reports.c.report)
                .join(reports, reports.c.id == run_filings.c.report_id)
                .where(run_filings.c.run_id == run_id, reports.c.path == path)).first()
        if row is None:
            return None
        return FilingReport.model_validate_json(row[0] or row[1])

class RunWriter:
    """One run being written. It serves as the checker's journal: ``get`` gives
    a report the store already holds for the same bytes and settings, ``add``
    stores a new one; both record the filing's place in the run."""

    def __init__(self, store: Store, run_id: int, key: str) -> None:
        self.store = store
        self.id = run_id
        self.key = key
        self._positions: dict[str, list[int]] = {}
        self._next = 0
        # position, file, sha256, report (None: reused), stored report id, its grade
        self._pending: list[tuple[int, str, str, FilingReport | None, int | None,
                                  str | None]] = []
        self._last = time.monotonic()
        self.reused = 0
        self.stored = 0

    def skip_to(self, position: int) -> None:
        """The next filing asked for is at ``position``: a batch resumed after
        the filings before it were stored (esgcheck/store/pending.py)."""
        self._next = position

    def get(self, file: str, sha256: str) -> FilingReport | None:
        position = self._next
        self._next += 1
        self._positions.setdefault(file, []).append(position)
        with self.store._tx() as tx:
            row = tx.execute(select(reports.c.id, reports.c.report, reports.c.grade).where(
                reports.c.path == file, reports.c.sha256 == sha256,
                reports.c.settings_key == self.key)).first()
        if row is None or not sha256:
            return None
        self._queue(position, file, sha256, None, int(row[0]), row[2])
        self.reused += 1
        return FilingReport.model_validate_json(row[1])

    def add(self, file: str, sha256: str, report: FilingReport) -> None:
        positions = self._positions.get(file)
        if positions:
            position = positions.pop(0)
        else:  # a run that did not ask first
            position = self._next
            self._next += 1
        self._queue(position, file, sha256, report, None, report.grade)

    def _queue(self, position: int, file: str, sha256: str, report: FilingReport | None,
               report_id: int | None, grade: str | None) -> None:
        self._pending.append((position, file, sha256, report, report_id, grade))
        if len(self._pending) >= BATCH or time.monotonic() - self._last >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the queued filings in one transaction."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        with self.store._tx() as tx:
            for position, file, sha256, report, report_id, grade in pending:
                if report_id is None:
                    assert report is not None
                    report_id = self._store_report(tx, file, sha256, report)
                    self.stored += 1
                tx.execute(self.store._insert(run_filings).values(
                    run_id=self.id, position=position, report_id=report_id,
                    reused=report is None, grade=grade))
        self._last = time.monotonic()

    def _store_report(self, tx: Connection, file: str, sha256: str,
                      report: FilingReport) -> int:
        result = tx.execute(self.store._insert(reports).values(
            path=file, sha256=sha256 or "-", settings_key=self.key, status=report.status,
            filing_type=report.filing_type, format=report.format, as_of=report.as_of,
            grade=report.grade, error_code=report.error.code if report.error else None,
            report=report.model_dump_json()))
        found = tx.execute(select(reports.c.id).where(
            reports.c.path == file, reports.c.sha256 == (sha256 or "-"),
            reports.c.settings_key == self.key)).scalar_one()
        if result.rowcount and report.findings:  # new: its findings too
            tx.execute(findings.insert(), [{
                "report_id": found, "ordinal": i, "rule_id": f.rule_id,
                "rulebase": f.rulebase, "rulebase_version": f.rulebase_version,
                "severity": f.severity, "outcome": f.outcome, "section": f.section,
                "pointer": f.location.pointer, "line": f.location.line,
                "col": f.location.column, "fingerprint": f.fingerprint,
            } for i, f in enumerate(report.findings)])
        return int(found)

    def finish(self, report: Report) -> None:
        """Record the run as settled (waivers applied: each filing's grade and
        the findings waived) and complete."""
        self.flush()
        with self.store._tx() as tx:
            ids = dict(tx.execute(select(run_filings.c.position, run_filings.c.report_id).where(
                run_filings.c.run_id == self.id)).all())
            for position, filing in enumerate(report.filings):
                if position in ids:
                    _settle_one(tx, self.id, position, filing)
            tx.execute(update(runs).where(runs.c.id == self.id).values(
                status="complete", finished=_now()))

    def finish_settled(self) -> None:
        """Mark the run complete (its waivers applied with ``Store.settling``)."""
        self.flush()
        with self.store._tx() as tx:
            tx.execute(update(runs).where(runs.c.id == self.id).values(
                status="complete", finished=_now()))

    def interrupt(self) -> None:
        """Keep what was checked; mark the run interrupted."""
        try:
            self.flush()
        finally:
            with self.store._tx() as tx:
                tx.execute(update(runs).where(runs.c.id == self.id).values(
                    status="interrupted", finished=_now()))


def _settle_one(tx: Connection, run_id: int, position: int, filing: FilingReport) -> None:
    """A filing of a run as the run's waivers left it."""
    marks = [(i, f) for i, f in enumerate(filing.findings) if f.waiver is not None]
    tx.execute(update(run_filings).where(
        run_filings.c.run_id == run_id, run_filings.c.position == position
    ).values(grade=filing.grade, settled=filing.model_dump_json() if marks else None))
    if not marks:
        return
    report_id = tx.execute(select(run_filings.c.report_id).where(
        run_filings.c.run_id == run_id, run_filings.c.position == position)).scalar_one()
    by_ordinal = dict(tx.execute(select(findings.c.ordinal, findings.c.id).where(
        findings.c.report_id == report_id)).all())
    for i, f in marks:
        assert f.waiver is not None
        tx.execute(waived.insert().values(
            run_id=run_id, finding_id=by_ordinal[i], waiver_id=f.waiver.id,
            justification=f.waiver.justification, approver=f.waiver.approver,
            expires=f.waiver.expires))
