"""Batches esgcheck serve accepted and has not finished: their files are kept in
the store (``batch_files``) from the moment the batch is accepted until it is
complete, so a server that is stopped or killed checks them when it starts
again. A batch's run is ``pending`` while it waits (or was put back by a server
that stopped) and ``running`` while a server checks it.

    run = begin_batch(store, settings, rulebases, files, label="inbox", tenant="acme")
    for position, name, data in remaining(store, run.id): ...
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, update

from esgcheck import __version__
from esgcheck.store.schema import batch_files, run_filings, runs
from esgcheck.store.store import RunWriter, Store, _json, _now, settings_key


def begin_batch(store: Store, settings: Mapping[str, Any], rulebases: Sequence[Mapping[str, Any]],
                files: Sequence[tuple[str, bytes]], label: str | None,
                tenant: str | None) -> RunWriter:
    """The batch's run, pending, and all its files, in one transaction: the
    batch is accepted whole or not at all."""
    key = settings_key(settings)
    with store._tx() as tx:
        inserted = tx.execute(runs.insert().values(
            started=_now(), status="pending", esgcheck_version=__version__, label=label,
            settings=_json(settings), settings_key=key, rulebases=_json(list(rulebases)),
            files=len(files), tenant=tenant)).inserted_primary_key
        assert inserted is not None
        run_id = int(inserted[0])
        if files:
            tx.execute(batch_files.insert(), [
                {"run_id": run_id, "position": i, "name": name, "data": data}
                for i, (name, data) in enumerate(files)])
    return RunWriter(store, run_id, key)


def pending_batches(store: Store) -> list[int]:
    """The batches to check: pending, or left running by a server that was
    killed (their files are still kept), oldest first."""
    with store._tx() as tx:
        ids = tx.execute(select(batch_files.c.run_id).distinct()
                         .join(runs, runs.c.id == batch_files.c.run_id)
                         .where(runs.c.status.in_(("pending", "running")))
                         .order_by(batch_files.c.run_id)).scalars().all()
    return [int(i) for i in ids]


def settings_of(store: Store, run_id: int) -> dict[str, Any]:
    with store._tx() as tx:
        raw = tx.execute(select(runs.c.settings).where(runs.c.id == run_id)).scalar_one()
    found: dict[str, Any] = json.loads(raw)
    return found


def resume(store: Store, run_id: int) -> RunWriter:
    """A writer for the batch's run, to go on where it stopped."""
    return RunWriter(store, run_id, settings_key(settings_of(store, run_id)))


def remaining(store: Store, run_id: int) -> list[tuple[int, str]]:
    """(position, name) of the batch's files not yet stored in its run."""
    with store._tx() as tx:
        done = set(tx.execute(select(run_filings.c.position).where(
            run_filings.c.run_id == run_id)).scalars())
        rows = tx.execute(select(batch_files.c.position, batch_files.c.name).where(
            batch_files.c.run_id == run_id).order_by(batch_files.c.position)).all()
    return [(int(p), str(n)) for p, n in rows if p not in done]


def file_data(store: Store, run_id: int, positions: Sequence[int]) -> dict[int, bytes]:
    """The bytes of the batch's files at ``positions``, in one query."""
    with store._tx() as tx:
        rows = tx.execute(select(batch_files.c.position, batch_files.c.data).where(
            batch_files.c.run_id == run_id, batch_files.c.position.in_(list(positions)))).all()
    return {int(p): bytes(d) for p, d in rows}


def set_status(store: Store, run_id: int, status: str) -> None:
    with store._tx() as tx:
        tx.execute(update(runs).where(runs.c.id == run_id).values(status=status))


def done(store: Store, run_id: int) -> None:
    """The batch is complete: its files are no longer kept."""
    with store._tx() as tx:
        tx.execute(delete(batch_files).where(batch_files.c.run_id == run_id))
