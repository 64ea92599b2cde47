"""The group stage on Dask workers (see ``stored``): places, then groups.

Each task carries a few filings' paths or one group's; a worker builds its
checker once (``esgcheck.batch.cluster.worker_checker``) and sends back small
answers: a place per filing, a report (JSON) per group. Results are put back
in the order they were asked for, so the run is the same on any cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from esgcheck.batch.cluster import Cluster, Setup, worker_checker
from esgcheck.checker import Options
from esgcheck.engine.findings import FilingReport
from esgcheck.enterprise.grouping import Group, Placed, Refused, group
from esgcheck.enterprise.members import Stored, check_stored_group, place_stored

CHUNK = 16  # filings placed per task


def _places(setup: Setup, options: Options, chunk: Sequence[Stored]
            ) -> list[Placed | Refused]:
    checker = worker_checker(setup)
    return [place_stored(checker, stored, options) for stored in chunk]


def _group(setup: Setup, options: Options, grp: Group, sums: dict[str, str]) -> str:
    return check_stored_group(worker_checker(setup), grp, sums, options).model_dump_json()


def group_stage(cluster: Cluster, setup: Setup, todo: Sequence[Stored], options: Options
                ) -> tuple[list[Group], list[Refused], list[FilingReport]]:
    """The filings ``todo`` placed on the workers, grouped here, and each group
    checked on a worker: (groups, refused filings, group reports)."""
    shared = cluster.client.scatter(setup, broadcast=True)  # kept for both steps
    chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
    placing: list[Any] = [cluster.client.submit(_places, shared, options, c, pure=False)
                          for c in chunks]
    places: list[Placed | Refused] = []
    for future in placing:  # in order: the answer does not depend on the cluster
        places.extend(future.result())
        future.release()
    groups, refused = group(places)
    sums = {path: sha for path, sha, _ in todo}
    checking: list[Any] = [cluster.client.submit(
        _group, shared, options, g, {p.file: sums[p.file] for p in g.members}, pure=False)
        for g in groups]
    reports = []
    for future in checking:
        reports.append(FilingReport.model_validate_json(future.result()))
        future.release()
    return groups, refused, reports
