"""Time and peak memory of the worst hostile inputs, each in its own
``esgcheck check`` process, against the limits the README states.

    python bench/hostile.py                  # every case of bench/hostile_cases.py
    python bench/hostile.py json-members-100k xml-attributes-100k
    python bench/hostile.py --empty 100000   # also N empty files, --jobs 1 and 2

Each case is written to a temporary file and checked by a fresh process, so
its peak resident memory (``wait4``'s ``ru_maxrss``) is that case's alone
(the case is built by another process, so that the one forked to check it
starts small). A
filing case prints what esgcheck made of it (status and code, or grade); the
YAML case is given as ``--waivers`` beside the compliant sample. A line ends in
``over`` when the case took longer than the ``seconds`` limit (60 s) or more
memory than ``--max-rss`` (default 2 GiB): the README promises neither happens.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_cases import ANNUAL, CASES, suffix

HERE = Path(__file__).resolve().parent

SECONDS_LIMIT = 60.0  # the default `seconds` limit (esgcheck/filings/limits.py)


def run(args: list[str]) -> tuple[float, int, int, str]:
    """Seconds, peak RSS in bytes, exit code and standard output of
    ``esgcheck`` run with ``args`` in a process of its own."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "esgcheck", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss * 1024, proc.returncode, out.decode("utf-8", "replace")


def outcome(report_text: str) -> str:
    """What the report says of its first filing: grade, or status and code."""
    try:
        filing = json.loads(report_text)["filings"][0]
    except (ValueError, KeyError, IndexError):
        return "no report"
    if filing["status"] == "checked":
        return f"checked, grade {filing['grade']}"
    return f"{filing['status']}, {(filing.get('error') or {}).get('code', '?')}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--max-rss", type=float, default=2.0, help="GiB a case may use")
    parser.add_argument("--empty", type=int, default=0,
                        help="also time N empty files with --jobs 1 and --jobs 2")
    args = parser.parse_args()
    names = args.cases or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown cases: {', '.join(unknown)} (known: {', '.join(CASES)})")
    over = 0
    print(f"{'case':32} {'bytes':>12} {'seconds':>8} {'peak MiB':>9} exit  outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            path = Path(tmp) / f"case{suffix(name)}"
            # built by a process of its own: a child's peak memory counts the
            # parent it was forked from, so this one stays small
            subprocess.run([sys.executable, str(HERE / "hostile_cases.py"), name, str(path)],
                           check=True)
            size = path.stat().st_size
            if suffix(name) == ".yaml":
                argv = ["check", "--format", "json", "--waivers", str(path),
                        str(ANNUAL.with_suffix(".json"))]
            else:
                argv = ["check", "--format", "json", str(path)]
            seconds, rss, code, out = run(argv)
            said = outcome(out) if code != 2 or out else "refused (exit 2)"
            late = seconds > SECONDS_LIMIT or rss > args.max_rss * 2**30
            over += late
            print(f"{name:32} {size:>12,} {seconds:>8.2f} {rss / 2**20:>9.0f} {code:>4}  "
                  f"{said}{'  over' if late else ''}")
            path.unlink()
        if args.empty:
            folder = Path(tmp) / "empty"
            folder.mkdir()
            for i in range(args.empty):
                (folder / f"{i:06d}.json").write_bytes(b"")
            timed = {}
            for jobs in (1, 2):
                seconds, rss, code, _ = run(["check", "--format", "json", "--jobs", str(jobs),
                                             str(folder)])
                timed[jobs] = seconds
                print(f"{f'{args.empty:,} empty files, --jobs {jobs}':32} {0:>12} "
                      f"{seconds:>8.2f} {rss / 2**20:>9.0f} {code:>4}  all unreadable")
            print(f"--jobs 2 takes {timed[2] / timed[1]:.2f} of the time of --jobs 1")
    print(f"{over} of {len(names)} cases over the limits")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
