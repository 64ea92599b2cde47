"""Batches: many filings checked in the background into the results store.

A batch is a run of the store (its id is the run's). It is begun in the store
when it is accepted, so its id is known at once; one worker thread then checks
its filings one after another, through the store's ``RunWriter`` (a filing
whose bytes and settings the store already holds is taken from it, not checked
again) and marks the run complete. The questions asked of a batch (status,
progress, summary, filings by grade, rule, severity or type) are asked of the
store, so runs made by ``esgcheck check --store`` into the same store are
batches too.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, exists, func, select

from esgcheck.batch.run import rulebases_used
from esgcheck.checker import Checker, Options
from esgcheck.engine.findings import FilingReport
from esgcheck.engine.model import SEVERITY_RANK
from esgcheck.store import RunWriter, Store
from esgcheck.store.schema import findings, reports, run_filings, runs, waived

log = logging.getLogger("esgcheck.service")


@dataclass
class Job:
    run: RunWriter
    files: list[tuple[str, bytes]]
    options: Options
    done: int = 0
    started: bool = False
    finished: threading.Event = field(default_factory=threading.Event)


class Batches:
    """The batch queue and its worker thread."""

    def __init__(self, checker: Checker, store: Store,
                 check_one: Callable[[str, bytes, Options], FilingReport]) -> None:
        self.checker = checker
        self.store = store
        self.check_one = check_one
        self.jobs: dict[int, Job] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="esgcheck-batches",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def submit(self, files: list[tuple[str, bytes]], options: Options,
               label: str | None) -> int:
        settings = {**self.checker.settings(options), "via": "esgcheck serve"}
        run = self.store.begin_run(settings, rulebases_used(self.checker), files=len(files),
                                   label=label)
        job = Job(run, files, options)
        with self._lock:
            self.jobs[run.id] = job
        self._queue.put(job)
        self.start()
        return run.id

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            job.started = True
            try:
                self._run(job)
            except Exception:  # the batch is marked interrupted; the server goes on
                log.exception("batch %s failed", job.run.id)
                try:
                    job.run.interrupt()
                except Exception:
                    log.exception("batch %s could not be marked interrupted", job.run.id)
            finally:
                job.files = []
                job.finished.set()
                with self._lock:
                    self.jobs.pop(job.run.id, None)

    def _run(self, job: Job) -> None:
        run = job.run
        for name, data in job.files:
            sha = hashlib.sha256(data).hexdigest()
            known = run.get(name, sha)
            if known is None:
                run.add(name, sha, self.check_one(name, data, job.options))
            job.done += 1
        run.flush()
        run.finish_settled()

    def wait(self, batch_id: int, timeout: float | None = None) -> bool:
        """Until the batch is checked (for tests and the benchmark)."""
        with self._lock:
            job = self.jobs.get(batch_id)
        return True if job is None else job.finished.wait(timeout)

    def busy(self, batch_id: int) -> bool:
        with self._lock:
            return batch_id in self.jobs

    # -- questions asked of the store
    def exists(self, batch_id: int) -> bool:
        with self.store._tx() as tx:
            return tx.execute(select(runs.c.id).where(runs.c.id == batch_id)).first() \
                is not None

    def describe(self, batch_id: int) -> dict[str, Any] | None:
        with self.store._tx() as tx:
            row = tx.execute(select(runs).where(runs.c.id == batch_id)).mappings().first()
            if row is None:
                return None
            stored = tx.execute(select(func.count()).select_from(run_filings).where(
                run_filings.c.run_id == batch_id)).scalar() or 0
        with self._lock:
            job = self.jobs.get(batch_id)
        status = row["status"]
        done = int(stored)
        if job is not None:
            status = "running" if job.started else "queued"
            done = job.done
        elif status == "running":
            status = "running"  # another process's run, or one this server lost
        return {"id": batch_id, "status": status, "label": row["label"],
                "started": row["started"], "finished": row["finished"],
                "esgcheck": row["esgcheck_version"],
                "progress": {"files": row["files"], "done": done}}

    def listing(self) -> list[dict[str, Any]]:
        with self.store._tx() as tx:
            ids = [r[0] for r in tx.execute(select(runs.c.id).order_by(runs.c.id.desc()))]
        return [d for i in ids if (d := self.describe(i)) is not None]

    def filings(self, batch_id: int, *, grade: str | None, rule: str | None,
                severity: str | None, filing_type: str | None, page: int,
                per_page: int) -> dict[str, Any]:
        """The batch's filings that match, in the batch's order, one page."""
        query = (select(run_filings.c.position, reports.c.path, reports.c.status,
                        reports.c.filing_type, reports.c.format, run_filings.c.grade,
                        reports.c.error_code)
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
            rows = tx.execute(query.order_by(run_filings.c.position)
                              .offset((page - 1) * per_page).limit(per_page)).all()
        return {"batch": batch_id, "page": page, "per_page": per_page, "total": total or 0,
                "items": [{"id": f"{batch_id}-{position}", "file": path, "status": status,
                           "filing_type": ftype, "format": fmt, "grade": g,
                           "error": error}
                          for position, path, status, ftype, fmt, g, error in rows]}

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
            tx.execute(delete(run_filings).where(run_filings.c.run_id == batch_id))
            tx.execute(delete(runs).where(runs.c.id == batch_id))
            orphan = ~exists().where(run_filings.c.report_id == reports.c.id)
            tx.execute(delete(findings).where(findings.c.report_id.in_(
                select(reports.c.id).where(orphan))))
            tx.execute(delete(reports).where(orphan))
