"""Batches: many filings checked in the background into the results store.

A batch is a run of the store (its id is the run's). When it is accepted, its
run is begun as ``pending`` together with all its files, in one transaction
(``esgcheck.store.pending``), so its id is known at once and nothing is lost:
a server stopped (SIGTERM) finishes the filing in hand, stores what it checked
and puts the batch back to ``pending``; a server killed leaves it ``running``
with its files kept; either way the next server to start on the store checks
what is left. One worker thread takes the batches in turn, through the
store's ``RunWriter`` (a filing whose bytes and settings the store already
holds is taken from it, not checked again), one filing at a time in the
server process, or ``workers`` forked processes (as ``esgcheck check
--jobs``), or a Dask cluster (as ``--cluster``). The questions asked of a
batch (status, progress, summary, filings by grade, rule, severity or type)
are asked of the store, so runs made by ``esgcheck check --store`` into the
same store are batches too (of no tenant).
"""

from __future__ import annotations

import hashlib
import logging
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, exists, func, select

from esgcheck.batch.cluster import Cluster, Setup
from esgcheck.batch.run import rulebases_used
from esgcheck.checker import Checker, Options
from esgcheck.engine.findings import FilingReport
from esgcheck.engine.model import SEVERITY_RANK
from esgcheck.service.auth import Principal
from esgcheck.store import RunWriter, Store
from esgcheck.store import pending as kept
from esgcheck.store.schema import batch_files, findings, reports, run_filings, runs, waived

log = logging.getLogger("esgcheck.service")

STATUS = {"pending": "queued"}  # the store's word -> the API's
PARALLEL_CHUNK = 128  # filings handed to the worker processes or the cluster at once
SORTS: dict[str, Any] = {"position": run_filings.c.position, "file": reports.c.path,
                         "grade": run_filings.c.grade, "type": reports.c.filing_type}


@dataclass
class Job:
    files: int
    done: int = 0
    started: bool = False
    finished: threading.Event | None = None


class Batches:
    """The batch queue and its worker thread."""

    def __init__(self, checker: Checker, store: Store,
                 check_one: Callable[[str, bytes, Options], FilingReport], *,
                 workers: int = 1, cluster: Cluster | None = None,
                 setup: Setup | None = None) -> None:
        self.checker = checker
        self.store = store
        self.check_one = check_one
        self.workers = workers
        self.cluster = cluster
        self.setup = setup or Setup()
        self.jobs: dict[int, Job] = {}
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._stopping.clear()
                self._thread = threading.Thread(target=self._work, name="esgcheck-batches",
                                                daemon=True)
                self._thread.start()

    def resume(self) -> list[int]:
        """Queue the store's pending batches (a server's start); their ids."""
        ids = kept.pending_batches(self.store)
        for batch_id in ids:
            with self.store._tx() as tx:
                files = tx.execute(select(runs.c.files).where(runs.c.id == batch_id)).scalar()
            self._enqueue(batch_id, int(files or 0))
            log.info("batch %s: resumed", batch_id)
        if ids:
            self.start()
        return ids

    def stop(self) -> None:
        """Finish the filing in hand, store what was checked and put the batch
        in progress back to pending; queued batches stay pending in the store."""
        self._stopping.set()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        with self._lock:
            for job in self.jobs.values():
                if job.finished is not None:
                    job.finished.set()
            self.jobs.clear()

    def submit(self, files: list[tuple[str, bytes]], options: Options, label: str | None,
               tenant: str | None) -> int:
        settings = {**self.checker.settings(options), "via": "esgcheck serve",
                    # a tenant's reports are its own: never taken from another's batch
                    **({"tenant": tenant} if tenant is not None else {})}
        run = kept.begin_batch(self.store, settings, rulebases_used(self.checker), files,
                               label, tenant)
        log.info("batch %s: accepted, %d files, tenant %s", run.id, len(files), tenant or "-")
        self._enqueue(run.id, len(files))
        self.start()
        return run.id

    def _enqueue(self, batch_id: int, files: int) -> None:
        with self._lock:
            self.jobs[batch_id] = Job(files, finished=threading.Event())
        self._queue.put(batch_id)

    def _work(self) -> None:
        while (batch_id := self._queue.get()) is not None:
            if self._stopping.is_set():
                break
            with self._lock:
                job = self.jobs.get(batch_id)
            if job is None:
                continue
            job.started = True
            try:
                self._run(batch_id, job)
            except Exception:  # the batch is marked interrupted; the server goes on
                log.exception("batch %s failed", batch_id)
                try:
                    kept.set_status(self.store, batch_id, "interrupted")
                except Exception:
                    log.exception("batch %s could not be marked interrupted", batch_id)
            finally:
                if job.finished is not None:
                    job.finished.set()
                with self._lock:
                    self.jobs.pop(batch_id, None)

    def _run(self, batch_id: int, job: Job) -> None:
        settings = kept.settings_of(self.store, batch_id)
        options = Options(as_of=date.fromisoformat(settings["as_of"]) if settings.get("as_of")
                          else None, filing_type=settings.get("filing_type"))
        kept.set_status(self.store, batch_id, "running")
        run = kept.resume(self.store, batch_id)
        todo = kept.remaining(self.store, batch_id)
        job.done = job.files - len(todo)
        # in this process, one filing at a time; elsewhere, chunks large enough
        # that starting the worker processes (forked for each chunk) costs
        # little, small enough that SIGTERM waits only for one
        step = 1 if self.workers <= 1 and self.cluster is None else PARALLEL_CHUNK
        for start in range(0, len(todo), step):
            if self._stopping.is_set():
                run.flush()
                kept.set_status(self.store, batch_id, "pending")
                log.info("batch %s: stopped, %d of %d files checked; pending", batch_id,
                         job.done, job.files)
                return
            self._chunk(batch_id, run, options, todo[start:start + step], job)
        run.flush()
        run.finish_settled()
        kept.done(self.store, batch_id)
        log.info("batch %s: complete, %d files", batch_id, job.files)

    def _chunk(self, batch_id: int, run: RunWriter, options: Options,
               chunk: list[tuple[int, str]], job: Job) -> None:
        """Check a few filings of the batch: the store's reports where it has
        them, the others in this process, the worker processes or the cluster."""
        todo: list[tuple[int, str, str, bytes]] = []
        found = kept.file_data(self.store, batch_id, [p for p, _ in chunk])
        for position, name in chunk:
            data = found[position]
            sha = hashlib.sha256(data).hexdigest()
            run.skip_to(position)
            if run.get(name, sha) is None:
                todo.append((position, name, sha, data))
            else:
                job.done += 1
        if len(todo) == 1 or (self.workers <= 1 and self.cluster is None):
            for _, name, sha, data in todo:
                run.add(name, sha, self.check_one(name, data, options))
                job.done += 1
            return
        for (_, name, sha, _), report in zip(todo, self._elsewhere(todo, options),
                                             strict=True):
            run.add(name, sha, self.checker.in_order(report))
            job.done += 1

    def _elsewhere(self, todo: list[tuple[int, str, str, bytes]], options: Options
                   ) -> Iterator[FilingReport]:
        """Reports of ``todo`` in order, from forked workers or the cluster; the
        files are written to a temporary folder under names of their own (the
        filing keeps its name in the report)."""
        with tempfile.TemporaryDirectory(prefix="esgcheck-batch-") as folder:
            files = []
            for i, (_, name, _, data) in enumerate(todo):
                path = Path(folder) / f"{i:06d}{Path(name).suffix.lower()}"
                path.write_bytes(data)
                files.append((i, path, name))
            if self.cluster is not None:
                got = dict(self.cluster.check(self.setup, files, options, ship_files=True))
                yield from (got[i] for i in range(len(files)))
            else:
                yield from self.checker.check_files([(p, n) for _, p, n in files], options,
                                                    self.workers)

    def wait(self, batch_id: int, timeout: float | None = None) -> bool:
        """Until the batch is checked (for tests and the benchmark)."""
        with self._lock:
            job = self.jobs.get(batch_id)
        return True if job is None or job.finished is None else job.finished.wait(timeout)

    def busy(self, batch_id: int) -> bool:
        with self._lock:
            return batch_id in self.jobs

    # -- questions asked of the store
    def visible(self, batch_id: int, who: Principal) -> bool:
        """Whether the batch exists for ``who``: another tenant's is as if it
        were not there."""
        with self.store._tx() as tx:
            row = tx.execute(select(runs.c.tenant).where(runs.c.id == batch_id)).first()
        return row is not None and who.sees(row[0])

    def describe(self, batch_id: int) -> dict[str, Any] | None:
        with self.store._tx() as tx:
            row = tx.execute(select(runs).where(runs.c.id == batch_id)).mappings().first()
            if row is None:
                return None
            stored = tx.execute(select(func.count()).select_from(run_filings).where(
                run_filings.c.run_id == batch_id)).scalar() or 0
        with self._lock:
            job = self.jobs.get(batch_id)
        status = STATUS.get(row["status"], row["status"])
        done = int(stored)
        if job is not None:
            status = "running" if job.started else "queued"
            done = max(job.done, done) if job.started else done
        return {"id": batch_id, "status": status, "label": row["label"],
                "tenant": row["tenant"], "started": row["started"],
                "finished": row["finished"] if status == "complete" else None,
                "esgcheck": row["esgcheck_version"],
                "progress": {"files": row["files"], "done": done}}

    def listing(self, who: Principal) -> list[dict[str, Any]]:
        query = select(runs.c.id).order_by(runs.c.id.desc())
        if who.tenant is not None:
            query = query.where(runs.c.tenant == who.tenant)
        with self.store._tx() as tx:
            ids = [r[0] for r in tx.execute(query)]
        return [d for i in ids if (d := self.describe(i)) is not None]

    def filings(self, batch_id: int, *, grade: str | None, rule: str | None,
                severity: str | None, filing_type: str | None, page: int,
                per_page: int, sort: str = "position", descending: bool = False
                ) -> dict[str, Any]:
        """The batch's filings that match, one page, in the batch's order or
        sorted by file, grade, filing type or breaches (then by position)."""
        breaches = (select(func.count()).where(
            findings.c.report_id == reports.c.id, findings.c.outcome == "breach",
            ~exists().where(waived.c.run_id == batch_id, waived.c.finding_id == findings.c.id))
            .scalar_subquery())
        query = (select(run_filings.c.position, reports.c.path, reports.c.status,
                        reports.c.filing_type, reports.c.format, run_filings.c.grade,
                        reports.c.error_code, breaches.label("breaches"))
                 .join(reports, reports.c.id == run_filings.c.report_id)
                 .where(run_filings.c.run_id == batch_id))
        if grade is not None:
            query = query.where(run_filings.c.grade == grade)
        if filing_type is not None:
            query = query.where(reports.c.filing_type == filing_type)
        if rule is not None or severity is not None:
            live = (select(findings.c.id).where(
                findings.c.report_id == reports.c.id, findings.c.outcome == "breach",
                ~exists().where(waived.c.run_id == batch_id,
                                waived.c.finding_id == findings.c.id)))
            if rule is not None:
                live = live.where(findings.c.rule_id == rule)
            if severity is not None:
                wanted = [s for s, r in SEVERITY_RANK.items() if r >= SEVERITY_RANK[severity]]
                live = live.where(findings.c.severity.in_(wanted))
            query = query.where(live.exists())
        with self.store._tx() as tx:
            total = tx.execute(select(func.count()).select_from(query.subquery())).scalar()
            key = breaches if sort == "breaches" else SORTS[sort]
            rows = tx.execute(query.order_by(key.desc() if descending else key,
                                             run_filings.c.position)
                              .offset((page - 1) * per_page).limit(per_page)).all()
        return {"batch": batch_id, "page": page, "per_page": per_page, "total": total or 0,
                "items": [{"id": f"{batch_id}-{position}", "file": path, "status": status,
                           "filing_type": ftype, "format": fmt, "grade": g,
                           "error": error, "breaches": n}
                          for position, path, status, ftype, fmt, g, error, n in rows]}

    def filing(self, batch_id: int, position: int) -> FilingReport | None:
        with self.store._tx() as tx:
            row = tx.execute(
                select(run_filings.c.settled, reports.c.report)
                .join(reports, reports.c.id == run_filings.c.report_id)
                .where(run_filings.c.run_id == batch_id,
                       run_filings.c.position == position)).first()
        if row is None:
            return None
        return FilingReport.model_validate_json(row[0] or row[1])

    def delete(self, batch_id: int) -> None:
        """The run and its filings' places; the reports no other run lists, with
        their findings. One transaction: all of it or nothing."""
        with self.store._tx() as tx:
            tx.execute(delete(waived).where(waived.c.run_id == batch_id))
            tx.execute(delete(batch_files).where(batch_files.c.run_id == batch_id))
            tx.execute(delete(run_filings).where(run_filings.c.run_id == batch_id))
            tx.execute(delete(runs).where(runs.c.id == batch_id))
            orphan = ~exists().where(run_filings.c.report_id == reports.c.id)
            tx.execute(delete(findings).where(findings.c.report_id.in_(
                select(reports.c.id).where(orphan))))
            tx.execute(delete(reports).where(orphan))
