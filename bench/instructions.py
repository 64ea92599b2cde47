"""Machine instructions per filing for each stage of `check`, counted by
valgrind's cachegrind: a figure that does not move with the machine's load,
for comparing two versions of esgcheck on the same filings.

    python bench/instructions.py [--n 30] [--stages read,check] [--seed 1]

Each stage runs in its own process under cachegrind, once over no filing and
once over ``--n`` filings; the difference divided by ``--n`` is what one filing
costs. The filings are generated in both runs alike, so their generation cancels
out. Needs ``valgrind`` (Debian: ``apt-get install valgrind``); slow (about 50 times
native), so a few dozen filings are enough: the counts repeat to within 0.1 %.

Stages, each including the ones before it:

  read      esgcheck's reader: format sniffing, exact numbers, type detection
  limits    + the limits (depth, values) and structural validation
  derive    + the derive rules
  rules     + the check rules (the hits, before findings are built)
  check     Checker.check_bytes: all of it, with the findings and the report
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

STAGES = ("read", "limits", "derive", "rules", "check")
GENERATED = 40  # filings generated in every run, whatever --n is


def run_stage(stage: str, n: int, seed: int, filing_type: str = "cn-eidm-annual") -> None:
    """The measured work, in this process (the child side)."""
    import gc

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generate import generate

    from esgcheck.checker import Checker, Options

    checker = Checker(None)
    gc.freeze()
    filings = generate(GENERATED, seed, 0.3, "spaced", filing_type)
    for data in filings[:3]:  # compile the generated code before counting
        checker.check_bytes(data, "warm.json")
    if stage == "check":  # only public entry points: comparable with older versions
        for i, data in enumerate(filings[:n]):
            checker.check_bytes(data, f"f{i}.json")
        return
    from esgcheck.checker import as_of_date, schema_findings, within_limits
    from esgcheck.engine.chain import Evaluation
    from esgcheck.filings.limits import measure
    from esgcheck.filings.reader import read_bytes

    limits = Options().limits
    for i, data in enumerate(filings[:n]):
        filing = read_bytes(data, f"f{i}.json", checker.registry)
        if stage == "read":
            continue
        if not within_limits(filing, len(data), limits):
            measure(filing.doc, limits, filing.file)
        schema_findings(filing)
        if stage == "limits":
            continue
        as_of, _ = as_of_date(filing.filing_type, filing.doc, None)
        for rb in checker.rulebases_for(filing.filing_type):
            if rb.version_for(as_of) is None:
                continue
            rules = rb.by_type[filing.filing_type.id]
            evaluation = Evaluation(filing.doc, rules, filing.filing_type.entities, as_of)
            if stage == "derive":
                for rule in rules.derive:
                    evaluation.derive(rule)
            else:
                evaluation.run(rules.active_on(as_of))


def instructions(args: list[str]) -> int:
    """Instructions of a whole Python child process run with ``args``, counted
    by cachegrind (the same for the same input, whatever else the machine
    does)."""
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, *args],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{out.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def count(stage: str, n: int, seed: int, filing_type: str = "cn-eidm-annual") -> int:
    """Instructions of a whole child process that runs ``stage`` over ``n`` filings."""
    return instructions([__file__, "--child", stage, "--n", str(n), "--seed", str(seed),
                         "--type", filing_type])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--type", default="cn-eidm-annual",
                        choices=("cn-eidm-annual", "cn-solid-waste-ledger",
                                 "product-carbon-footprint"),
                        help="filing type generated (default cn-eidm-annual)")
    args = parser.parse_args()
    if args.child:
        run_stage(args.child, args.n, args.seed, args.type)
        return
    if not 0 < args.n <= GENERATED:
        parser.error(f"--n must be between 1 and {GENERATED}")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    stages = [s for s in args.stages.split(",") if s]
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        parser.error(f"unknown stage {', '.join(unknown)} (stages: {', '.join(STAGES)})")
    print(f"filings: {args.n} generated {args.type} filings (spaced JSON, seed {args.seed})")
    print(f"{'stage':<10}{'M instructions per filing':>28}")
    for stage in stages:
        per_filing = (count(stage, args.n, args.seed, args.type)
                      - count(stage, 0, args.seed, args.type)) / args.n
        print(f"{stage:<10}{per_filing / 1e6:>28.2f}")


if __name__ == "__main__":
    main()
