"""A real ``esgcheck serve`` process on 127.0.0.1, started and waited for:
for the tests that talk to it over HTTP and for bench/serve.py."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

PIPE = subprocess.PIPE


class NotServing(RuntimeError):
    """The server ended, or did not answer in time (it is stopped then)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def esgcheck(*args: str) -> list[str]:
    """The command line of this interpreter's esgcheck."""
    return [sys.executable, "-m", "esgcheck", *args]


def serve(store: Path, port: int, *options: str, stdout: int | IO[bytes] | None = PIPE,
          stderr: int | IO[bytes] | None = PIPE, seconds: float = 120
          ) -> subprocess.Popen[bytes]:
    """``esgcheck serve --store STORE --port PORT OPTIONS...``, once it answers
    /api/v1/healthz. Its output is piped (read it at its end, with
    ``communicate``) unless ``stdout``/``stderr`` say otherwise: a long run
    that never reads it should not pipe its log."""
    server = subprocess.Popen(esgcheck("serve", "--store", str(store), "--port", str(port),
                                       *options), stdout=stdout, stderr=stderr)
    deadline = time.monotonic() + seconds
    while server.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/healthz", timeout=2).status_code \
                    == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    ended = server.poll() is not None
    if not ended:
        server.kill()
    _, err = server.communicate(timeout=60)
    said = f": {err.decode(errors='replace')}" if err else ""
    raise NotServing(f"the server did not start ({'it ended' if ended else 'no answer'}){said}")
