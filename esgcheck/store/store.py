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
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.sql.dml import Insert

from esgcheck import __version__
from esgcheck.engine.findings import FilingReport, Report
from esgcheck.engine.model import SEVERITY_RANK
from esgcheck.store.schema import findings, reports, run_filings, runs, waived

# Reports written per transaction. A transaction costs a commit (an fsync on
# SQLite, a round trip on PostgreSQL); at 50 filings that cost is under a
# millisecond a filing, and a killed run loses at most the last 50, which the
# next run checks again.
BATCH = 50
BATCH_SECONDS = 2.0

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(Exception):
    """A store that cannot be used: unreachable, made by a newer esgcheck,
    read-only or full. The message says which, and the URL (without password)."""


def normalise_url(url: str) -> str:
    """A store's SQLAlchemy URL: a plain path is a SQLite file; postgresql://
    uses the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def safe_url(url: str) -> str:
    """The URL as messages may show it: no password."""
    head, sep, rest = url.partition("://")
    if "@" in rest:
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{head}{sep}{user}@{host}"
    return url


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets a reader (esgcheck results, the service) read while a run writes;
    # a second writer waits for the lock instead of failing at once
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def open_store(url: str) -> Store:
    """Open (and create or migrate) the store at ``url``. Raises StoreError for a
    store that cannot be reached or written, or that a newer esgcheck made."""
    full = normalise_url(url)
    shown = safe_url(url)
    try:
        if full.startswith("sqlite:///"):
            folder = Path(full.removeprefix("sqlite:///")).parent
            if not folder.is_dir():
                raise StoreError(f"cannot open store {shown}: folder {folder} does not exist")
        engine = create_engine(full, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        with engine.connect() as connection, _migration_lock(engine, connection):
            script = ScriptDirectory.from_config(_alembic(connection))
            current = MigrationContext.configure(connection).get_current_revision()
            known = {rev.revision for rev in script.walk_revisions()}
            if current is not None and current not in known:
                raise StoreError(
                    f"store {shown} was made by a newer esgcheck (schema revision {current}; "
                    f"this esgcheck {__version__} knows up to {script.get_current_head()})")
            if current != script.get_current_head():
                command.upgrade(_alembic(connection), "head")
                connection.commit()
    except StoreError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise StoreError(f"cannot open store {shown}: {_reason(exc)}") from None
    return Store(engine, shown)


@contextmanager
def _migration_lock(engine: Engine, connection: Connection) -> Iterator[None]:
    """One process at a time creates or migrates a store: two runs started at
    once on a new store would otherwise both create its tables. PostgreSQL has
    advisory locks; a SQLite file is locked with flock, which SQLite's own
    byte-range locks do not see."""
    if engine.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
            connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(database, "ab") as handle:  # creates the file SQLite will use
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_LOCK_KEY = 0x65_73_67_63  # "esgc": the advisory lock esgcheck's migrations take


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig).strip().splitlines()[0]
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# What the databases say when the disk is full or the store cannot be written
# (SQLite, PostgreSQL and the operating system), lower-case.
_CANNOT_WRITE = ("disk i/o error", "disk is full", "no space left", "readonly database",
                 "read-only file system", "could not extend file", "file too large",
                 "permission denied")


def _advice(reason: str) -> str:
    """What a user does about a store that cannot be written: the transaction
    that failed is undone and everything stored before it stays."""
    if not any(cue in reason.lower() for cue in _CANNOT_WRITE):
        return ""
    return (" (the disk is full or the store cannot be written: what was stored before "
            "stays; free space or fix the permissions and run the same command again to "
            "go on / 磁盘已满或结果库不可写：已存储的结果保留，"
            "腾出空间或修正权限后重跑同一命令即可续跑)")


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


class Store:
    def __init__(self, engine: Engine, shown: str) -> None:
        self.engine = engine
        self.url = shown

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except (SQLAlchemyError, OSError) as exc:
            reason = _reason(exc)
            raise StoreError(f"store {self.url}: {reason}{_advice(reason)}") from None

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

    def _live(self, run_id: int) -> Any:
        """The run's findings that count: not waived in this run."""
        return (select(findings.c.id, findings.c.rule_id, findings.c.severity,
                       findings.c.outcome, findings.c.pointer, findings.c.fingerprint,
                       reports.c.path, run_filings.c.position)
                .join(reports, reports.c.id == findings.c.report_id)
                .join(run_filings, run_filings.c.report_id == reports.c.id)
                .where(run_filings.c.run_id == run_id)
                .where(~select(waived.c.finding_id).where(
                    waived.c.run_id == run_id, waived.c.finding_id == findings.c.id).exists()))

    def summary(self, run_id: int, top: int = 10) -> dict[str, Any]:
        with self._tx() as tx:
            status: dict[str, int] = dict(tx.execute(
                select(reports.c.status, func.count())
                .join(run_filings, run_filings.c.report_id == reports.c.id)
                .where(run_filings.c.run_id == run_id).group_by(reports.c.status)).all())
            grades: dict[str, int] = dict(tx.execute(
                select(run_filings.c.grade, func.count())
                .where(run_filings.c.run_id == run_id, run_filings.c.grade.is_not(None))
                .group_by(run_filings.c.grade)).all())
            live = self._live(run_id).subquery()
            by_severity = tx.execute(
                select(live.c.severity, live.c.outcome, func.count())
                .group_by(live.c.severity, live.c.outcome)).all()
            waived_count = tx.execute(select(func.count()).select_from(waived).where(
                waived.c.run_id == run_id)).scalar() or 0
            top_rules = tx.execute(
                select(live.c.rule_id, func.count(func.distinct(live.c.position)).label("n"))
                .where(live.c.outcome == "breach", live.c.severity != "info")
                .group_by(live.c.rule_id)
                .order_by(func.count(func.distinct(live.c.position)).desc(), live.c.rule_id)
                .limit(top)).all()
            info = tx.execute(select(runs).where(runs.c.id == run_id)).mappings().one()
        counts = {sev: 0 for sev in SEVERITY_RANK}
        counts |= {"not_assessable": 0, "waived": int(waived_count)}
        for severity, outcome, n in by_severity:
            if outcome == "breach":
                counts[severity] += n
            else:
                counts["not_assessable"] += n
        return {
            "run": {"id": run_id, "started": info["started"], "finished": info["finished"],
                    "status": info["status"], "label": info["label"],
                    "esgcheck": info["esgcheck_version"],
                    "rulebases": json.loads(info["rulebases"])},
            "files": sum(status.values()),
            "checked": status.get("checked", 0),
            "unreadable": status.get("unreadable", 0),
            "not_assessed": status.get("not_assessed", 0),
            "grades": dict(sorted(grades.items())),
            "counts": counts,
            "top_rules": [{"rule": rule, "filings": n} for rule, n in top_rules],
        }

    def failed(self, run_id: int, rule: str | None = None, severity: str | None = None,
               not_assessable: bool = False) -> list[dict[str, Any]]:
        """Filings with a breach (not waived) of ``rule``, or at or above
        ``severity`` (by default minor: an info finding is a statement, not a
        failure), with the grade and the matching findings. With
        ``not_assessable``, findings that could not be assessed count as well
        (as the gate of ``check`` counts them), and each finding names its
        outcome."""
        live = self._live(run_id).subquery()
        outcomes = ["breach", "not_assessable"] if not_assessable else ["breach"]
        query = select(live.c.path, live.c.position, live.c.rule_id, live.c.severity,
                       live.c.pointer, live.c.outcome).where(live.c.outcome.in_(outcomes))
        if rule is not None:
            query = query.where(live.c.rule_id == rule)
        elif severity is None:
            severity = "minor"
        if severity is not None:
            wanted = [s for s, rank in SEVERITY_RANK.items() if rank >= SEVERITY_RANK[severity]]
            query = query.where(live.c.severity.in_(wanted))
        with self._tx() as tx:
            rows = tx.execute(query.order_by(live.c.position, live.c.rule_id,
                                             live.c.pointer)).all()
            grades: dict[int, str] = dict(tx.execute(
                select(run_filings.c.position, run_filings.c.grade).where(
                    run_filings.c.run_id == run_id)).all())
        out: dict[int, dict[str, Any]] = {}
        for path, position, rule_id, sev, pointer, outcome in rows:
            entry = out.setdefault(position, {"file": path, "grade": grades.get(position),
                                              "findings": []})
            found = {"rule": rule_id, "severity": sev, "pointer": pointer}
            if not_assessable:
                found["outcome"] = outcome
            entry["findings"].append(found)
        return [out[p] for p in sorted(out)]

    def fingerprints(self, run_id: int) -> dict[tuple[str, str], tuple[str, str, str]]:
        """(file, fingerprint) -> (rule, severity, pointer) of the run's live findings."""
        live = self._live(run_id).subquery()
        with self._tx() as tx:
            rows = tx.execute(select(live.c.path, live.c.fingerprint, live.c.rule_id,
                                     live.c.severity, live.c.pointer)).all()
        return {(path, fp): (rule, sev, ptr) for path, fp, rule, sev, ptr in rows}

    def diff(self, old: int, new: int) -> dict[str, list[dict[str, str]]]:
        """Findings new in ``new``, fixed since ``old`` and unchanged, matched by
        file and fingerprint (rule and place, not line), as baselines match."""
        before, after = self.fingerprints(old), self.fingerprints(new)

        def rows(keys: set[tuple[str, str]], source: Mapping[tuple[str, str], tuple[str, str, str]]
                 ) -> list[dict[str, str]]:
            return [{"file": k[0], "rule": source[k][0], "severity": source[k][1],
                     "pointer": source[k][2]}
                    for k in sorted(keys, key=lambda k: (k[0], source[k][0], source[k][2]))]

        return {"new": rows(set(after) - set(before), after),
                "fixed": rows(set(before) - set(after), before),
                "unchanged": rows(set(after) & set(before), after)}

    def finding_rows(self, run_id: int) -> Iterator[dict[str, Any]]:
        """Every finding of the run, waived ones marked, for export."""
        query = (select(reports.c.path, reports.c.filing_type, run_filings.c.grade,
                        findings.c.rule_id, findings.c.rulebase, findings.c.rulebase_version,
                        findings.c.severity, findings.c.outcome, findings.c.section,
                        findings.c.pointer, findings.c.line, findings.c.col,
                        findings.c.fingerprint, waived.c.waiver_id)
                 .join(reports, reports.c.id == findings.c.report_id)
                 .join(run_filings, run_filings.c.report_id == reports.c.id)
                 .outerjoin(waived, (waived.c.finding_id == findings.c.id)
                            & (waived.c.run_id == run_id))
                 .where(run_filings.c.run_id == run_id)
                 .order_by(run_filings.c.position, findings.c.ordinal))
        with self._tx() as tx:
            for row in tx.execute(query).mappings():
                out = dict(row)
                out["file"] = out.pop("path")
                out["column"] = out.pop("col")
                out["waiver"] = out.pop("waiver_id")
                if out["waiver"] is not None:
                    out["outcome"] = "waived"
                yield out


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
