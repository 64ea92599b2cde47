"""Cold start: how long one ``esgcheck check`` of one bundled sample takes, as
a user runs it, with the cache of compiled rule code warm and cold, and how
long ``esgcheck --help`` takes.

    python bench/coldstart.py [--runs 10] [--sample fixtures/...json] [--instructions]

Each figure is the median of ``--runs`` fresh processes: wall time, and the
processor time (user + system) of the process, which moves less than the wall
time when other work shares the machine. "Cold" runs each start with an empty
cache folder (ESGCHECK_CACHE_DIR), so the rule bases' generated code is
compiled; "warm" runs share one folder filled by a first run.

With ``--instructions`` it prints, instead, the instructions of one process of
each, counted by valgrind's cachegrind (bench/instructions.py): the same
whatever else the machine is doing, and slow (a minute or two).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "fixtures/cn-eidm-annual/01-compliant-key-discharger.json"


def timed(args: list[str], cache: str) -> tuple[float, float]:
    """Wall and processor seconds of one esgcheck process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "esgcheck", *args], cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "ESGCHECK_CACHE_DIR": cache,
                        "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(runs: list[tuple[float, float]]) -> str:
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    return f"{wall:6.3f} s wall, {cpu:6.3f} s processor"


def counted(check: list[str]) -> None:
    """The instructions of one process of each command, in G."""
    sys.path.insert(0, str(ROOT / "bench"))
    from instructions import instructions  # the project's cachegrind runner

    os.chdir(ROOT)
    os.environ["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["ESGCHECK_CACHE_DIR"] = str(Path(scratch) / "warm")
        timed(check, os.environ["ESGCHECK_CACHE_DIR"])  # fills the cache
        rows = [("python -c pass", instructions(["-c", "pass"])),
                ("esgcheck --version", instructions(["-m", "esgcheck", "--version"])),
                ("esgcheck --help", instructions(["-m", "esgcheck", "--help"])),
                ("check, warm cache", instructions(["-m", "esgcheck", *check]))]
        os.environ["ESGCHECK_CACHE_DIR"] = str(Path(scratch) / "cold")
        rows.append(("check, cold cache", instructions(["-m", "esgcheck", *check])))
    print(f"sample: {check[-1]}; instructions of one process (cachegrind)")
    for name, n in rows:
        print(f"{name:<20} {n / 1e9:6.2f} G")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sample", default=SAMPLE)
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions (cachegrind) instead of timing")
    args = parser.parse_args()
    check = ["check", "--format", "json", args.sample]
    if args.instructions:
        counted(check)
        return
    with tempfile.TemporaryDirectory() as scratch:
        warm = str(Path(scratch) / "warm")
        timed(check, warm)  # fills the cache
        rows = [
            ("esgcheck --help", [timed(["--help"], warm) for _ in range(args.runs)]),
            ("check, warm cache", [timed(check, warm) for _ in range(args.runs)]),
            ("check, cold cache", [timed(check, str(Path(scratch) / f"cold{i}"))
                                   for i in range(args.runs)]),
        ]
    print(f"sample: {args.sample}; median of {args.runs} processes; "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, runs in rows:
        print(f"{name:<20} {median(runs)}")


if __name__ == "__main__":
    main()
