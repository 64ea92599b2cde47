"""A run into the results store, for thousands of filings.

Unlike ``Checker.check_paths``, which returns one report of every filing, this
writes each filing's report to the store as it finishes and keeps nothing of it
in memory: the client's memory does not grow with the number of filings. It
takes unchanged filings from the store, checks the rest in worker processes or
on a Dask cluster, shows progress, and settles the run (waivers) at the end,
one filing at a time. A run stopped part way is marked interrupted; what it
stored stays, and the next run takes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from esgcheck.batch.cluster import Cluster, Setup
from esgcheck.batch.progress import Progress
from esgcheck.checker import Checker, Options
from esgcheck.checkerparts import file_digest, portable_name, unchanged
from esgcheck.engine.findings import FilingReport, WaiverStatus, WaiversUsed
from esgcheck.filings.paths import expand
from esgcheck.store import Store
from esgcheck.waivers import Waivers, apply_waivers


@dataclass
class StoredRun:
    id: int
    files: int
    reused: int
    checked: int
    waivers: WaiversUsed | None


def rulebases_used(checker: Checker) -> list[dict[str, Any]]:
    from esgcheck.checkerparts import folder_digest

    return [{"id": rb.id, "versions": [v.version for v in rb.versions],
             "sha256": folder_digest(rb.folder)} for rb in checker.rulebases]


def check_into_store(checker: Checker, paths: Sequence[Path], options: Options, store: Store,
                     *, label: str | None = None, jobs: int = 1, cluster: Cluster | None = None,
                     setup: Setup | None = None, ship_files: bool = False,
                     progress: str = "auto", waivers: Waivers | None = None,
                     today: date | None = None,
                     settings_extra: dict[str, Any] | None = None) -> StoredRun:
    files = [(path, portable_name(display)) for path, display in expand(paths)]
    settings = {**checker.settings(options), **(settings_extra or {})}
    run = store.begin_run(settings, rulebases_used(checker), files=len(files), label=label)
    shown = Progress(len(files), mode=progress)
    try:
        todo: list[tuple[int, Path, str]] = []
        sums: dict[int, str] = {}
        for n, (path, display) in enumerate(files):
            sums[n] = file_digest(path)
            known = run.get(display, sums[n])
            if known is None:
                todo.append((n, path, display))
            else:
                shown.update(known)
        for n, report in _checked(checker, todo, options, jobs, cluster, setup, ship_files):
            report, sums[n] = unchanged(files[n][0], files[n][1], sums[n], report)
            run.add(files[n][1], sums[n], report)
            shown.update(report)
        run.flush()
        used = settle(checker, store, run.id, waivers, today)
        run.finish_settled()
    except BaseException:
        shown.close()
        run.interrupt()
        raise
    shown.close()
    return StoredRun(run.id, len(files), run.reused, run.stored, used)


def _checked(checker: Checker, todo: list[tuple[int, Path, str]], options: Options, jobs: int,
             cluster: Cluster | None, setup: Setup | None, ship_files: bool
             ) -> Iterator[tuple[int, FilingReport]]:
    if cluster is not None:
        yield from cluster.check(setup or Setup(), todo, options, ship_files)
        return
    reports = checker.check_files([(path, display) for _, path, display in todo], options, jobs)
    for (n, _, _), report in zip(todo, reports, strict=True):
        yield n, report


def settle(checker: Checker, store: Store, run_id: int, waivers: Waivers | None,
           today: date | None) -> WaiversUsed | None:
    """Apply the run's waivers filing by filing (each read from the store, graded
    again when a waiver changed it, and written back), and the waivers'
    statuses over the whole run."""
    if waivers is None:
        return None
    day = today or date.today()
    matched: dict[str, int] = {w.id: 0 for w in waivers.entries}
    last: WaiversUsed | None = None
    with store.settling(run_id) as write:
        for position, filing in store.iter_filings(run_id, raw=True):
            settled, last = apply_waivers([filing], waivers, day)
            for entry in last.entries:
                matched[entry.id] += entry.matched
            if settled[0] is not filing:
                write(position, checker.regrade(settled[0]))
    if last is None:
        _, last = apply_waivers([], waivers, day)
    return last.model_copy(update={"entries": [
        _status(e, matched[e.id]) for e in last.entries]})


def _status(entry: WaiverStatus, matched: int) -> WaiverStatus:
    status = "expired" if entry.status == "expired" else "applied" if matched else "unused"
    return entry.model_copy(update={"status": status, "matched": matched})
