"""Checking on Dask: a real scheduler and two real workers on 127.0.0.1, one of
them killed while the run goes on; every filing is stored once, with the same
report as a check in one process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from esgcheck.batch.cluster import Cluster, ClusterError, Setup, parse
from esgcheck.checker import Checker, Options
from esgcheck.filings.paths import expand
from esgcheck.store import open_store
from esgcheck.store.schema import reports, run_filings

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # the benchmark's filing generator


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture()
def scheduler(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    port = _port()
    dask = str(Path(sys.executable).parent / "dask")
    procs: list[subprocess.Popen[bytes]] = []
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    try:
        procs.append(subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True))
        _wait_for(port)
        for _ in range(2):
            procs.append(subprocess.Popen(
                [dask, "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--host", "127.0.0.1"], cwd=tmp_path, env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        yield f"tcp://127.0.0.1:{port}", procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inbox")
    for n, data in enumerate(generate(240, seed=7)):
        (folder / f"filing-{n:04d}.json").write_bytes(data)
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    return folder


def test_a_worker_killed_mid_run_loses_no_filing(
        scheduler: tuple[str, list[subprocess.Popen[bytes]]], inbox: Path,
        tmp_path: Path) -> None:
    address, procs = scheduler
    files = [(i, p, d) for i, (p, d) in enumerate(expand([inbox]))]
    store = open_store(str(tmp_path / "results.db"))
    checker = Checker()
    options = Options()
    run = store.begin_run(checker.settings(options), [], files=len(files))
    positions = {d: i for i, _, d in files}
    for _, path, display in files:
        assert run.get(display, str(path)) is None
    got: dict[int, str] = {}
    with Cluster.connect(address, timeout=60) as cluster:
        while cluster.threads() < 2 or len(cluster.client.scheduler_info()["workers"]) < 2:
            time.sleep(0.2)
        for n, (index, report) in enumerate(cluster.check(Setup(), files, options)):
            assert index not in got, "each filing once"
            got[index] = report.model_dump_json()
            run.add(report.file, str(files[index][1]), report)
            if n == 40:  # a worker dies mid-run; its chunks are computed elsewhere
                procs[1].send_signal(signal.SIGKILL)
    run.flush()
    assert sorted(got) == list(range(len(files)))
    for index, path, display in files:
        assert got[index] == checker.check_file(path, display, options).model_dump_json()
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(run_filings)).scalar() == len(files)
        assert c.execute(select(func.count()).select_from(reports)).scalar() == len(files)
    assert json.loads(got[positions[f"{inbox.as_posix()}/broken.json"]])["status"] == "unreadable"


def test_a_local_cluster_ships_bytes_and_gives_the_same_reports(inbox: Path) -> None:
    files = [(i, p, d) for i, (p, d) in enumerate(expand([inbox]))][:40]
    with Cluster.connect("local:2", timeout=60) as cluster:
        shipped = dict(cluster.check(Setup(), files, Options(), ship_files=True))
    checker = Checker()
    for index, path, display in files:
        assert shipped[index].model_dump_json() == checker.check_file(
            path, display, Options()).model_dump_json()


@pytest.mark.parametrize("spec", ["local:0", "local:x", "kubernetes", "127.0.0.1:8786"])
def test_a_bad_cluster_address_is_refused(spec: str) -> None:
    with pytest.raises(ClusterError, match="--cluster"):
        parse(spec)


def test_a_scheduler_that_does_not_answer_is_refused() -> None:
    with pytest.raises(ClusterError, match="does not answer"):
        Cluster.connect(f"tcp://127.0.0.1:{_port()}", timeout=3)
