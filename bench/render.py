"""What each output format costs next to checking the filings it reports on.

    python bench/render.py [--n 500] [--seed 1]

Checks N generated annual reports (30 % with a breach, see generate.py) once,
then renders the report in every format, each the best of five rounds, and
prints milliseconds per filing and the ratio of rendering to checking. Also
times a waiver file and a baseline applied to the report (``Checker.settle``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from esgcheck.baseline import dumps, load_baseline
from esgcheck.checker import Checker
from esgcheck.checkerparts import make_report
from esgcheck.report import FORMATS, RenderOptions, renderer
from esgcheck.waivers import load_waivers


def best(rounds: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    checker = Checker()
    filings = generate(args.n, args.seed)
    start = time.perf_counter()
    reports = [checker.check_bytes(data, f"filings/{i:05d}.json")
               for i, data in enumerate(filings)]
    check_s = time.perf_counter() - start
    report = make_report(reports, rules=checker.rule_catalogue(["cn-eidm-annual"]))
    findings = sum(len(r.findings) for r in report.filings)
    print(f"{args.n} filings, {findings} findings; check {1000 * check_s / args.n:.3f} ms "
          "per filing (one pass)")
    print(f"{'stage':<28}{'ms/filing':>10}{'× check':>10}")
    for name in FORMATS:
        for explain in (False, True):
            render = renderer(name)
            options = RenderOptions(lang="en", explain=explain)
            seconds = best(5, lambda: render(report, options))  # noqa: B023 - runs here
            label = f"{name}{' --explain' if explain else ''}"
            print(f"{label:<28}{1000 * seconds / args.n:>10.3f}{seconds / check_s:>10.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        waivers = Path(tmp) / "waivers.yaml"
        waivers.write_text("waivers:\n" + "".join(
            f"  - rule: CN-EIDM-PMT-00{k}\n    filings: 'filings/0*{k}.json'\n"
            "    justification: accepted for the benchmark\n    approver: bench\n"
            "    expires: 2030-01-01\n" for k in range(1, 6)), encoding="utf-8")
        baseline = Path(tmp) / "baseline.json"
        baseline.write_text(dumps(report), encoding="utf-8")
        w, b = load_waivers(waivers), load_baseline(baseline)
        for label, fn in (("waivers (5 entries)", lambda: checker.settle(report, waivers=w)),
                          ("baseline (all findings)", lambda: checker.settle(report, baseline=b))):
            seconds = best(5, fn)
            print(f"{label:<28}{1000 * seconds / args.n:>10.3f}{seconds / check_s:>10.2f}")


if __name__ == "__main__":
    main()
