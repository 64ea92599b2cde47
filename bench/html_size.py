"""How big the HTML report is, and how long it takes to render, by batch size.

    python bench/html_size.py [--sizes 1,200,2000] [--seed 1] [--lang en] [--explain]

Checks the largest batch of generated annual reports once (30 % with a breach,
see generate.py), then renders the HTML page for the first N filings of it,
for each N, and prints the page's bytes (UTF-8), bytes per filing and the
render time (best of three rounds). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from esgcheck.checker import Checker
from esgcheck.checkerparts import make_report
from esgcheck.report import RenderOptions
from esgcheck.report.html import render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,200,2000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lang", default="en", choices=("en", "zh"))
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    checker = Checker()
    reports = [checker.check_bytes(data, f"filings/{i:05d}.json")
               for i, data in enumerate(generate(max(sizes), args.seed))]
    options = RenderOptions(lang=args.lang, explain=args.explain)
    print(f"{'filings':>8}{'findings':>10}{'bytes':>14}{'bytes/filing':>14}{'render s':>10}")
    for n in sizes:
        report = make_report(reports[:n], rules=checker.rule_catalogue(["cn-eidm-annual"]))
        times = []
        for _ in range(3):
            start = time.perf_counter()
            page = render(report, options)
            times.append(time.perf_counter() - start)
        size = len(page.encode("utf-8"))
        findings = sum(len(r.findings) for r in report.filings)
        print(f"{n:>8}{findings:>10}{size:>14,}{size // n:>14,}{min(times):>10.3f}")


if __name__ == "__main__":
    main()
