"""Checking on a Dask cluster: one machine's worker processes, or many machines.

    with Cluster.connect("local:4") as cluster:           # a LocalCluster
        for index, report in cluster.check(setup, files, options):
            ...                                            # as each one finishes

``local:N`` starts a Dask ``LocalCluster`` of N single-threaded worker processes;
``tcp://HOST:8786`` connects to a running scheduler whose workers have esgcheck
installed. Each worker process builds and compiles the rule bases once, the
first time it is asked (``_checker`` keeps them for the process's life), never
per filing. Filings are read by the workers where they lie (a shared file
system), or sent as bytes with ``ship_files``. Results come back as they finish,
with at most a few chunks in flight per worker, so the client's memory does not
grow with the number of filings. A worker that dies has its chunks computed
again elsewhere by the scheduler; each result reaches the client once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from esgcheck.checker import Checker, Options, unreadable
from esgcheck.engine.findings import FilingReport
from esgcheck.filings.errors import InputError
from esgcheck.filings.reader import file_bytes

CHUNK = 8  # filings per task: a task costs the scheduler about a millisecond
IN_FLIGHT = 4  # chunks queued per worker thread, so none waits for the next


class ClusterError(Exception):
    """A cluster that cannot be used: a bad address, a scheduler that does not
    answer, a cluster whose workers cannot check."""


@dataclass(frozen=True)
class Setup:
    """What a worker needs to build the client's checker: the rule-base folders
    (None: the ones shipped with esgcheck) and the user configuration file's
    name and bytes. Its digest names the checker a worker keeps."""

    rule_dirs: tuple[str, ...] | None = None
    config_name: str | None = None
    config_bytes: bytes | None = None
    key: str = field(init=False)

    def __post_init__(self) -> None:
        sha = hashlib.sha256()
        for part in (repr(self.rule_dirs), self.config_name or "", self.config_bytes or b""):
            sha.update(part if isinstance(part, bytes) else part.encode())
            sha.update(b"\0")
        object.__setattr__(self, "key", sha.hexdigest())


_CHECKERS: dict[str, Checker] = {}  # per worker process, by Setup.key


def _checker(setup: Setup) -> Checker:
    checker = _CHECKERS.get(setup.key)
    if checker is None:
        from esgcheck.engine.userconfig import load_user_config

        user_config = None
        if setup.config_bytes is not None:
            with tempfile.NamedTemporaryFile(suffix=".yaml", delete=False) as handle:
                handle.write(setup.config_bytes)
            try:
                user_config = load_user_config(Path(handle.name), setup.config_name)
            finally:
                os.unlink(handle.name)
        dirs = [Path(d) for d in setup.rule_dirs] if setup.rule_dirs else None
        checker = _CHECKERS[setup.key] = Checker(dirs, user_config=user_config)
    return checker


worker_checker = _checker  # the checker a worker keeps, for the enterprise group stage


def check_chunk(setup: Setup, options: Options,
                files: Sequence[tuple[int, str, str, bytes | None]]) -> list[tuple[int, str]]:
    """Runs on a worker: each filing of the chunk checked, its report as JSON
    (index, report). A filing comes as its path, or as its bytes when shipped."""
    checker = _checker(setup)
    out = []
    for index, path, display, data in files:
        report = (checker.check_file(Path(path), display, options) if data is None
                  else checker.check_bytes(data, display, options))
        out.append((index, report.model_dump_json()))
    return out


def parse(spec: str) -> tuple[str, int | str]:
    """``local:N`` -> ("local", N); ``tcp://host:port`` -> ("address", spec)."""
    if spec.startswith("local:"):
        try:
            n = int(spec.removeprefix("local:"))
        except ValueError:
            n = 0
        if n < 1:
            raise ClusterError(f"--cluster {spec}: local:N needs a number of workers, 1 or more")
        return "local", n
    if spec.startswith(("tcp://", "tls://")):
        return "address", spec
    raise ClusterError(f"--cluster {spec}: expected local:N or tcp://HOST:PORT")


class Cluster:
    """A connection to a Dask cluster, closed with the context."""

    def __init__(self, client: Any, local: Any | None) -> None:
        self.client = client
        self.local = local

    @classmethod
    def connect(cls, spec: str, timeout: float = 10.0) -> Cluster:
        kind, value = parse(spec)
        from distributed import Client, LocalCluster

        try:
            if kind == "local":
                assert isinstance(value, int)
                local = LocalCluster(n_workers=value, threads_per_worker=1, processes=True,
                                     dashboard_address=None, host="127.0.0.1",
                                     silence_logs=logging.ERROR)
                return cls(Client(local, timeout=timeout), local)
            return cls(Client(str(value), timeout=timeout), None)
        except (OSError, TimeoutError, RuntimeError) as exc:
            raise ClusterError(f"--cluster {spec}: the scheduler does not answer "
                               f"({type(exc).__name__}: {exc})") from None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()
        if self.local is not None:
            # workers with rule bases loaded take a moment to stop: wait for them
            # rather than have the nanny kill them and log it
            self.local.close(timeout=30)

    def threads(self) -> int:
        info = self.client.scheduler_info()
        return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))

    def check(self, setup: Setup, files: Sequence[tuple[int, Path, str]], options: Options,
              ship_files: bool = False) -> Iterator[tuple[int, FilingReport]]:
        """Each filing's report as it finishes, with its index in ``files``."""
        from distributed import as_completed

        chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)]
        if not chunks:
            return
        setup_future = self.client.scatter(setup, broadcast=True)
        limit = IN_FLIGHT * self.threads()
        pending = iter(chunks)

        local: list[tuple[int, FilingReport]] = []  # unreadable here: reported here

        def submit(chunk: Sequence[tuple[int, Path, str]]) -> Any:
            items = []
            for i, path, display in chunk:
                data = None
                if ship_files:
                    try:
                        data = file_bytes(path, display, options.limits.max_bytes)
                    except InputError as exc:
                        local.append((i, unreadable(exc)))
                        continue
                items.append((i, str(path), display, data))
            return self.client.submit(check_chunk, setup_future, options, items, pure=False)

        first = [submit(chunk) for chunk in islice(pending, limit)]
        running = as_completed(first)
        for future in running:
            yield from local
            local.clear()
            for index, report in future.result():
                yield index, FilingReport.model_validate_json(report)
            future.release()
            nxt = next(pending, None)
            if nxt is not None:
                running.add(submit(nxt))
