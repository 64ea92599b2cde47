"""The group stage on a run in the results store, in this process or on Dask.

The store keeps each filing's report and the SHA-256 of the bytes it checked,
not the document: the group stage reads each member again from where the run
read it (its path as given, relative to where the command runs), and a file
whose bytes are no longer the ones checked, or that is gone, joins no group
(``group.changed``) rather than being read as it is now.

On Dask (``--cluster``) the second stage runs in two steps on the workers, so
the client holds neither documents nor more than a group's file names: each
filing is read where it lies and only its place (USCC, year, role) comes back;
the client groups the places (a pure function of them), and each group is then
checked on a worker that reads its members. This module sits above the store
and the batch layer; nothing below imports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import select

from esgcheck.checker import Checker, Options
from esgcheck.engine.findings import FilingReport
from esgcheck.enterprise.grouping import ROLE_OF, group
from esgcheck.enterprise.members import Stored, check_stored_group, place_stored
from esgcheck.enterprise.run import EnterpriseRun
from esgcheck.store import Store, open_store
from esgcheck.store.schema import reports, run_filings


def stored_filings(store: Store, run_id: int) -> Iterator[tuple[FilingReport, Stored]]:
    """The run's filings in order: each report as the run settled it, with the
    path, digest and filing type it was stored under."""
    query = (select(run_filings.c.settled, reports.c.report, reports.c.path, reports.c.sha256,
                    reports.c.filing_type)
             .join(reports, reports.c.id == run_filings.c.report_id)
             .where(run_filings.c.run_id == run_id).order_by(run_filings.c.position))
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    for settled, raw, path, sha, filing_type in rows:
        yield FilingReport.model_validate_json(settled or raw), (path, sha, filing_type)


def from_store(checker: Checker, url: str, paths: Sequence[Path], run_id: int | None,
               cluster_spec: str | None, quiet: bool, setup_bytes: bytes | None = None,
               rule_dirs: tuple[str, ...] | None = None) -> EnterpriseRun:
    """Check ``paths`` into the store (when given), then group the run's
    filings and check each group, on Dask with ``cluster_spec``."""
    from esgcheck.batch.cluster import Cluster, Setup

    options = Options()
    store = open_store(url)
    setup = Setup(rule_dirs, "rules-config.yaml" if setup_bytes else None, setup_bytes)
    cluster = Cluster.connect(cluster_spec) if cluster_spec else None
    try:
        if paths:
            from esgcheck.batch.run import check_into_store

            run_id = check_into_store(checker, list(paths), options, store, cluster=cluster,
                                      setup=setup, progress="none" if quiet else "auto",
                                      label="enterprise").id
        wanted = store.run_id(run_id)
        run = EnterpriseRun()
        todo: list[Stored] = []
        for report, stored in stored_filings(store, wanted):
            run.filings.append(report)
            if report.status == "checked" and (stored[2] or "") in ROLE_OF:
                todo.append(stored)
        sums = {path: sha for path, sha, _ in todo}
        if cluster is None:
            places = [place_stored(checker, s, options) for s in todo]
            run.groups, run.refused = group(places)
            run.group_reports = [check_stored_group(checker, g, sums, options)
                                 for g in run.groups]
        else:
            from esgcheck.enterprise.on_dask import group_stage

            run.groups, run.refused, run.group_reports = group_stage(cluster, setup, todo,
                                                                     options)
        return run
    finally:
        if cluster is not None:
            cluster.close()
