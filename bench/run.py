"""Throughput of `esgcheck check` next to the floors measured in the same run.

    python bench/run.py [--n 2000] [--seed 1] [--rules DIR]

Stages, each the best of five rounds over the same generated filings, in one
process (the stages alternate within a round):

  floor 1   parse only (orjson)
  floor 2   orjson parse + jsonschema-rs validation (the validator esgcheck uses)
  read      esgcheck's reader (exact decimals, duplicate-key check) + validation
  check     Checker.check_bytes: read, validate, derive, check, build the report

Prints filings per second and the ratio of `check` to each floor. Needs the
bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import entity_count, generate, leaf_count

from esgcheck.checker import Checker
from esgcheck.filings.reader import read_bytes
from esgcheck.filings.validate import _validator, validate


def best_times(rounds: int, stages: list[tuple[str, Callable[[], object]]]) -> dict[str, float]:
    """The best time of each stage over several rounds. The stages alternate
    within a round, so that a slow spell of the machine hits all of them."""
    best = {name: float("inf") for name, _ in stages}
    for _ in range(rounds):
        for name, work in stages:
            start = time.perf_counter()
            work()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--breach-share", type=float, default=0.3)
    parser.add_argument("--rules", type=Path, action="append")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    checker = Checker(args.rules)
    load = time.perf_counter() - start
    gc.freeze()  # as the command line does once the rule bases are loaded
    ft = checker.registry.get("cn-eidm-annual")
    assert ft is not None
    filings = generate(args.n, args.seed, args.breach_share)
    sample = json.loads(filings[0])
    assert not validate(ft, sample), "generated filings must fit the schema"
    validator = _validator(ft)
    rules = sum(len(rb.rules) for rb in checker.rulebases)

    def floor_parse() -> None:
        for data in filings:
            orjson.loads(data)

    def floor_validate() -> None:
        for data in filings:
            validator.is_valid(orjson.loads(data))

    def read_validate() -> None:
        for i, data in enumerate(filings):
            filing = read_bytes(data, f"f{i}.json", checker.registry)
            validate(filing.filing_type, filing.doc)

    findings = 0

    def check() -> None:
        nonlocal findings
        findings = 0
        for i, data in enumerate(filings):
            findings += len(checker.check_bytes(data, f"f{i}.json").findings)

    stages = [("floor 1: parse (orjson)", floor_parse),
              ("floor 2: parse + validate (orjson, jsonschema-rs)", floor_validate),
              ("esgcheck read + validate", read_validate),
              ("esgcheck check (full)", check)]
    rates = {name: args.n / seconds for name, seconds in best_times(args.rounds, stages).items()}

    print(f"filings: {args.n}, {entity_count(sample)} facts each "
          f"({leaf_count(sample)} leaf values, {len(filings[0]) // 1024} KiB); "
          f"breach share {args.breach_share}")
    print(f"rule bases: {len(checker.rulebases)}, rules: {rules}, "
          f"load and compile: {load * 1000:.0f} ms")
    print(f"findings per filing (mean): {findings / args.n:.2f}")
    print()
    print(f"{'stage':<52}{'filings/s':>10}")
    for name, rate in rates.items():
        print(f"{name:<52}{rate:>10.0f}")
    full = rates["esgcheck check (full)"]
    print()
    print(f"check / floor 1: {full / rates['floor 1: parse (orjson)']:.2f}")
    print(f"check / floor 2: "
          f"{full / rates['floor 2: parse + validate (orjson, jsonschema-rs)']:.2f}")


if __name__ == "__main__":
    main()
