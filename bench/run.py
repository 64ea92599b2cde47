"""Throughput of `esgcheck check` next to the floors measured in the same run.

    python bench/run.py [--n 2000] [--seed 1] [--rules DIR]

Stages, each the best of five rounds over the same generated filings, in one
process (the stages alternate within a round):

  floor 1   parse only (orjson)
  floor 2   orjson parse + jsonschema-rs validation (the validator esgcheck uses)
  read      esgcheck's reader (exact decimals, duplicate-key check) + validation
  check     Checker.check_bytes: read, validate, derive, check, build the report
  check, N processes
            the same in N forked worker processes, each report sent back to the
            parent (as `esgcheck check --jobs N` does with many files)

Prints filings per second and the ratio of `check` to each floor.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import TYPES, entity_count, generate, leaf_count

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


_CHECKER: Checker | None = None  # for the forked workers


def _check_one(item: tuple[int, bytes]) -> object:
    assert _CHECKER is not None
    return _CHECKER.check_bytes(item[1], f"f{item[0]}.json")


def main() -> None:
    global _CHECKER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--breach-share", type=float, default=0.3)
    parser.add_argument("--rules", type=Path, action="append")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes of the parallel stage (default: CPUs)")
    parser.add_argument("--layout", choices=["spaced", "compact", "indented"],
                        default="spaced", help="how the filings' JSON is written")
    parser.add_argument("--type", choices=TYPES, default="cn-eidm-annual",
                        help="filing type generated (product-carbon-footprint: PACT v3 "
                             "JSON as exchanged, read through its reader)")
    args = parser.parse_args()

    start = time.perf_counter()
    checker = Checker(args.rules)
    checker.build()  # esgcheck's own rule bases are otherwise built by the first filing
    load = time.perf_counter() - start
    gc.freeze()  # as the command line does once the rule bases are loaded
    ft = checker.registry.get(args.type)
    assert ft is not None
    filings = generate(args.n, args.seed, args.breach_share, args.layout, args.type)
    sample = json.loads(filings[0])
    first = read_bytes(filings[0], "f0.json", checker.registry)
    assert first.filing_type is ft and not validate(ft, first.doc), \
        "generated filings must fit the schema"
    adapted = first.adapted is not None  # an industry format: floor 2 validates no canonical doc
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

    _CHECKER = checker
    pool = mp.get_context("fork").Pool(args.jobs)

    def check_parallel() -> None:
        chunk = max(1, min(64, args.n // (args.jobs * 8)))
        for _ in pool.imap(_check_one, enumerate(filings), chunksize=chunk):
            pass

    stages = [("floor 1: parse (orjson)", floor_parse),
              *([] if adapted else
                [("floor 2: parse + validate (orjson, jsonschema-rs)", floor_validate)]),
              ("esgcheck read + validate", read_validate),
              ("esgcheck check (full)", check),
              (f"esgcheck check, {args.jobs} processes", check_parallel)]
    rates = {name: args.n / seconds for name, seconds in best_times(args.rounds, stages).items()}
    pool.close()

    print(f"filings: {args.n} {args.type}, {entity_count(sample)} facts each "
          f"({leaf_count(sample)} leaf values, {len(filings[0]) // 1024} KiB, "
          f"{args.layout} JSON); breach share {args.breach_share}")
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
    if not adapted:
        print(f"check / floor 2: "
              f"{full / rates['floor 2: parse + validate (orjson, jsonschema-rs)']:.2f}")


if __name__ == "__main__":
    main()
