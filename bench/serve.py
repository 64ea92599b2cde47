"""esgcheck serve under load: a real server on 127.0.0.1, a bounded number of
concurrent clients posting single filings to /check, then one batch, then the
command line on the same files.

    python bench/serve.py [--clients 16] [--requests 50] [--batch 2000] [--workers N]

Prints requests/s and the p50/p95/p99 latency of /check; the batch's
filings/s (accepted to complete, the server checking with --workers N) next
to ``esgcheck check --jobs N --store`` on the same files in the same run; and
checks, in the server's store, that every filing of the batch was stored
exactly once. Stops by itself.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from esgcheck.store.schema import batch_files, reports, run_filings  # noqa: E402
from tests.served import NotServing, esgcheck, free_port, serve  # noqa: E402

SAMPLES = sorted((ROOT / "fixtures" / "cn-eidm-annual").glob("*.json"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=50, help="per client")
    parser.add_argument("--batch", type=int, default=2000, help="filings in the batch")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="the server's --workers and the command line's --jobs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}/api/v1"
        store = Path(tmp) / "results.db"
        try:  # its log is not read: not piped
            server = serve(store, port, "--workers", str(args.workers), stdout=None,
                           stderr=subprocess.DEVNULL)
        except NotServing as exc:
            sys.exit(str(exc))
        bodies = [p.read_bytes() for p in SAMPLES]
        try:
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
                  f"p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms", flush=True)

            names = [f"inbox/{i:05d}-{SAMPLES[i % len(SAMPLES)].name}" for i in range(args.batch)]
            packed = io.BytesIO()
            with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
                for i, name in enumerate(names):
                    archive.writestr(name, bodies[i % len(bodies)])
            start = time.perf_counter()
            accepted = httpx.post(f"{base}/batches", content=packed.getvalue(), timeout=300,
                                  headers={"content-type": "application/zip"})
            accepted.raise_for_status()
            batch_id = accepted.json()["id"]
            href = f"http://127.0.0.1:{port}{accepted.headers['location']}"
            while (state := httpx.get(href, timeout=60).json())["status"] in ("queued",
                                                                              "running"):
                time.sleep(0.2)
            served = args.batch / (time.perf_counter() - start)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(120)

        folder = Path(tmp) / "files"
        for i, name in enumerate(names):
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bodies[i % len(bodies)])
        start = time.perf_counter()
        done = subprocess.run(esgcheck("check", str(folder / "inbox"), "--no-config",
                                        "--jobs", str(args.workers), "--quiet", "--store",
                                        str(Path(tmp) / "cli.db"), "--format", "json"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        cli = args.batch / (time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"esgcheck check failed: {done.stderr.decode()[-500:]}")

        engine = create_engine(f"sqlite:///{store}")
        with engine.connect() as db:
            positions = db.execute(select(run_filings.c.position, reports.c.path)
                                   .join(reports, reports.c.id == run_filings.c.report_id)
                                   .where(run_filings.c.run_id == batch_id)).all()
            kept = db.execute(select(func.count()).select_from(batch_files)).scalar()
        once = (sorted(p for p, _ in positions) == list(range(args.batch))
                and sorted(n for _, n in positions) == sorted(names) and kept == 0)
        print(f"batch: {args.batch} filings, {state['status']}, {served:.1f} filings/s "
              f"(server --workers {args.workers}); esgcheck check --jobs {args.workers} "
              f"--store on the same files: {cli:.1f} filings/s; stored {len(positions)}, "
              f"every filing exactly once: {once}")
        if not once:
            sys.exit(1)


if __name__ == "__main__":
    main()
