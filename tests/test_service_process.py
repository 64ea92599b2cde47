"""A real ``esgcheck serve`` process on 127.0.0.1, talked to over HTTP."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select

from esgcheck.store.schema import batch_files, reports, run_filings, runs

from .conftest import FIXTURES
from .served import esgcheck, free_port, serve

LATE = FIXTURES / "cn-eidm-annual" / "04-late-annual-report.json"


def _progress(href: str, at_least: int, deadline: float) -> dict[str, object]:
    while True:
        state: dict[str, object] = httpx.get(href, timeout=10).json()
        progress = state["progress"]
        assert isinstance(progress, dict)
        if progress["done"] >= at_least or state["status"] == "complete":
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


def test_a_batch_survives_sigterm_and_sigkill_and_is_stored_once(tmp_path: Path) -> None:
    """SIGTERM mid-batch: the filing in hand is finished, what was checked is
    stored, the batch goes back to pending; the next server checks the rest.
    SIGKILL mid-batch: the batch is left running with its files kept; the next
    server checks the rest. In the end every filing is stored exactly once."""
    store = tmp_path / "results.db"
    port = free_port()
    samples = sorted((FIXTURES / "cn-eidm-annual").glob("*.json"))
    count = 240
    files = [("files", (f"{i:04d}-{samples[i % len(samples)].name}",
                        samples[i % len(samples)].read_bytes())) for i in range(count)]
    server = serve(store, port)
    deadline = time.monotonic() + 600
    try:
        accepted = httpx.post(f"http://127.0.0.1:{port}/api/v1/batches", files=files,
                              timeout=60)
        assert accepted.status_code == 202
        href = f"http://127.0.0.1:{port}{accepted.headers['location']}"
        _progress(href, 5, deadline)
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0 and "Traceback" not in err.decode()
    assert "pending" in err.decode()  # it says what it did with the batch
    engine = create_engine(f"sqlite:///{store}")
    with engine.connect() as db:
        status, = db.execute(select(runs.c.status)).scalars()
        first = db.execute(select(func.count()).select_from(run_filings)).scalar() or 0
        kept = db.execute(select(func.count()).select_from(batch_files)).scalar()
    assert status == "pending" and 0 < first < count and kept == count

    server = serve(store, port)  # resumes the pending batch
    try:
        state = _progress(href, first + 5, deadline)
        assert state["status"] == "running"
    finally:
        server.kill()  # SIGKILL: nothing of the server's own runs
        server.communicate(timeout=60)
    with engine.connect() as db:
        status, = db.execute(select(runs.c.status)).scalars()
        second = db.execute(select(func.count()).select_from(run_filings)).scalar() or 0
    assert status == "running" and first <= second < count

    server = serve(store, port)
    try:
        state = _progress(href, count, deadline)
        while state["status"] != "complete":
            assert time.monotonic() < deadline
            time.sleep(0.1)
            state = httpx.get(href, timeout=10).json()
        assert state["progress"] == {"files": count, "done": count}
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
    with engine.connect() as db:
        positions = sorted(db.execute(select(run_filings.c.position)).scalars())
        names = sorted(db.execute(select(reports.c.path)).scalars())
        kept = db.execute(select(func.count()).select_from(batch_files)).scalar()
    assert positions == list(range(count))  # every filing once, none twice
    assert names == sorted(name for _, (name, _) in files)
    assert kept == 0  # a complete batch keeps no files


def test_a_served_process_checks_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    store = tmp_path / "results.db"
    server = serve(store, port)
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 120
    try:
        answer = httpx.post(f"{base}/check", params={"format": "sarif", "name": LATE.name},
                            content=LATE.read_bytes(),
                            headers={"content-type": "application/json"}, timeout=60)
        assert answer.status_code == 200
        assert answer.json()["runs"][0]["results"]
        assert answer.headers["esgcheck-exit-code"] == "1"
        assert "server" not in answer.headers  # no software version given away
        problem = httpx.get(f"{base}/rules/NOPE", headers={"accept-language": "zh"})
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["title"] == "未找到"
        batch = httpx.post(f"{base}/batches", files={"files": (LATE.name, LATE.read_bytes())})
        assert batch.status_code == 202
        href = f"http://127.0.0.1:{port}{batch.headers['location']}"
        while httpx.get(href).json()["status"] != "complete":
            assert time.monotonic() < deadline + 60
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    said = err.decode()
    assert "127.0.0.1 only" in said and "仅监听" in said  # no token file, and it says so
    assert "Traceback" not in said
    assert server.returncode == 0
    assert store.exists()


def test_without_a_token_file_another_host_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(esgcheck("serve", "--store", str(tmp_path / "r.db"), "--host",
                                    "0.0.0.0"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "loopback" in done.stderr and "127.0.0.1" in done.stderr
    assert not (tmp_path / "r.db").exists()  # refused before anything was opened


def test_with_a_token_file_every_request_needs_a_token(tmp_path: Path) -> None:
    token = "process-" + "t" * 32
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(f"tokens:\n  - token: {token}\n    tenant: acme\n    role: reader\n",
                      "utf-8")
    port = free_port()
    server = serve(tmp_path / "r.db", port, "--tokens", str(tokens))
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        assert httpx.get(f"{base}/batches").status_code == 401
        assert httpx.get(f"{base}/batches",
                         headers={"authorization": f"Bearer {token}"}).json() == []
        refused = httpx.post(f"{base}/check", content=LATE.read_bytes(), headers={
            "authorization": f"Bearer {token}", "content-type": "application/json"})
        assert refused.status_code == 403  # a reader
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    said = err.decode()
    assert "1 tokens of 1 tenants" in said and "no token file" not in said
    assert token not in said  # never logged
    assert "refused: no valid token" in said and "/api/v1/batches" in said
    assert server.returncode == 0


def test_a_bad_token_file_stops_the_server_before_it_starts(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("tokens:\n  - token: short\n    tenant: a\n    role: writer\n", "utf-8")
    done = subprocess.run(esgcheck("serve", "--store", str(tmp_path / "r.db"), "--tokens",
                                    str(tokens)), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "at least 32 characters" in done.stderr and "令牌文件错误" in done.stderr
    assert not (tmp_path / "r.db").exists()
