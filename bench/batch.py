"""End-to-end throughput of `esgcheck check` on many filings, through the CLI:
what the results store and Dask cost against writing one JSON report, and the
client's peak memory at two sizes.

    python bench/batch.py [--n 10000] [--small 1000] [--postgres URL]

Generates N filings (bench/generate.py, seeded) into a temporary folder, then
times, each in a fresh process:

  jobs    esgcheck check --jobs 2 --format json -o report.json FOLDER
  store   esgcheck check --jobs 2 --store results.db FOLDER
  dask    esgcheck check --cluster local:2 --store results.db FOLDER
  pg      esgcheck check --jobs 2 --store URL FOLDER            (with --postgres)

and prints filings/s, each ratio to `jobs`, and the client's peak resident
memory (VmHWM of the esgcheck process itself, not its workers) at --small and
at --n filings. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # the benchmark's filing generator


def peak_rss(pid: int) -> int:
    """The process's resident high-water mark in KiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(args: list[str], cwd: Path) -> tuple[float, int]:
    """Seconds and the client's peak RSS (KiB) of one command."""
    start = time.monotonic()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, peak_rss(proc.pid))
        time.sleep(0.05)
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1):
        assert proc.stderr is not None
        sys.exit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.read().decode()}")
    return seconds, peak


def write_filings(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i, data in enumerate(generate(n, seed=3)):
        (folder / f"filing-{i:05d}.json").write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL to store into too")
    args = parser.parse_args()
    esgcheck = str(Path(sys.executable).parent / "esgcheck")
    work = Path(tempfile.mkdtemp(prefix="esgcheck-batch-"))
    try:
        sizes = {"small": args.small, "large": args.n}
        for name, n in sizes.items():
            write_filings(work / name, n)
        configs: dict[str, list[str]] = {
            "jobs": ["--jobs", "2", "--format", "json", "--output", "{out}/report.json"],
            "store": ["--jobs", "2", "--store", "{out}/results.db", "--quiet"],
            "dask": ["--cluster", "local:2", "--store", "{out}/results.db",
                     "--quiet"],
        }
        if args.postgres:
            configs["pg"] = ["--jobs", "2", "--store", args.postgres, "--quiet"]
        print(f"{'run':<6} {'filings':>8} {'seconds':>9} {'filings/s':>10} {'ratio':>6} "
              f"{'client peak RSS':>16}")
        base: dict[str, float] = {}
        for name, n in sizes.items():
            for label, options in configs.items():
                out = work / f"out-{name}-{label}"
                out.mkdir()
                cmd = [esgcheck, "check", *(o.format(out=out) for o in options),
                       str(work / name)]
                seconds, peak = timed(cmd, work)
                rate = n / seconds
                base.setdefault(name, rate)
                print(f"{label:<6} {n:>8} {seconds:>9.1f} {rate:>10.0f} "
                      f"{rate / base[name]:>6.2f} {peak / 1024:>13.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n(machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
