"""esgcheck serve under load: a real server on 127.0.0.1, a bounded number of
concurrent clients posting single filings to /check, then one batch.

    python bench/serve.py [--clients 16] [--requests 50] [--batch 2000]

Prints requests/s and the p50/p95/p99 latency of /check, and the batch's
filings/s; checks every filing of the batch was stored exactly once. Stops by
itself. (The comparison with ``esgcheck check --jobs`` is not built yet.)
"""

from __future__ import annotations

import argparse
import io
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "fixtures" / "cn-eidm-annual").glob("*.json"))


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=50, help="per client")
    parser.add_argument("--batch", type=int, default=2000, help="filings in the batch")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = _port()
        base = f"http://127.0.0.1:{port}/api/v1"
        server = subprocess.Popen([sys.executable, "-m", "esgcheck", "serve", "--store",
                                   str(Path(tmp) / "results.db"), "--port", str(port)],
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("the server did not start")
                time.sleep(0.3)
            bodies = [p.read_bytes() for p in SAMPLES]

            def client(n: int) -> list[float]:
                times = []
                with httpx.Client(timeout=120) as http:
                    for i in range(args.requests):
                        data = bodies[(n + i) % len(bodies)]
                        start = time.perf_counter()
                        answer = http.post(f"{base}/check", content=data,
                                           headers={"content-type": "application/json"})
                        answer.raise_for_status()
                        times.append(time.perf_counter() - start)
                return times

            start = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                latencies = sorted(t for ts in pool.map(client, range(args.clients)) for t in ts)
            wall = time.perf_counter() - start
            q = statistics.quantiles(latencies, n=100)
            print(f"/check: {len(latencies)} requests, {args.clients} clients, "
                  f"{len(latencies) / wall:.1f} requests/s, p50 {q[49] * 1000:.0f} ms, "
                  f"p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms")

            packed = io.BytesIO()
            with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
                for i in range(args.batch):
                    archive.writestr(f"inbox/{i:05d}-{SAMPLES[i % len(SAMPLES)].name}",
                                     bodies[i % len(bodies)])
            start = time.perf_counter()
            accepted = httpx.post(f"{base}/batches", content=packed.getvalue(), timeout=300,
                                  headers={"content-type": "application/zip"})
            accepted.raise_for_status()
            href = f"http://127.0.0.1:{port}{accepted.headers['location']}"
            while (state := httpx.get(href, timeout=60).json())["status"] in ("queued",
                                                                              "running"):
                time.sleep(0.5)
            wall = time.perf_counter() - start
            listed = httpx.get(f"{href}/filings", params={"per_page": 500}).json()["total"]
            print(f"batch: {args.batch} filings, {state['status']}, {args.batch / wall:.1f} "
                  f"filings/s, stored {listed} (exactly once each: {listed == args.batch})")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)


if __name__ == "__main__":
    main()
