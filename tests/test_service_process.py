"""A real ``esgcheck serve`` process on 127.0.0.1, talked to over HTTP."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import FIXTURES

LATE = FIXTURES / "cn-eidm-annual" / "04-late-annual-report.json"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _esgcheck(*args: str) -> list[str]:
    return [sys.executable, "-m", "esgcheck", *args]


def test_a_served_process_checks_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    store = tmp_path / "results.db"
    server = subprocess.Popen(_esgcheck("serve", "--store", str(store), "--port", str(port)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
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
    done = subprocess.run(_esgcheck("serve", "--store", str(tmp_path / "r.db"), "--host",
                                    "0.0.0.0"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "loopback" in done.stderr and "127.0.0.1" in done.stderr
    assert not (tmp_path / "r.db").exists()  # refused before anything was opened
