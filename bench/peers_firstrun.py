"""A first run over the peer benchmark's workload with an empty cache, as a
user's first `check` of many filings after installing or changing a rule
base: the rule base is built and every rule that fires has its traced code
compiled and kept for the next run.

    PEER_BENCH=../shared/peer-bench python bench/peers_firstrun.py [--n 200] [--runs 2]

Prints the processor seconds of each run (a fresh process, a fresh cache
folder): loading the rule base and checking ``--n`` filings of the harness's
corpus.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from peers_instructions import harness  # the same harness and adapter


def child(n: int) -> None:
    harness()
    from gen_corpus import make_corpus  # the harness's own modules
    from rules import ruleset

    corpus, _ = make_corpus(n, n_outlets=20)
    start = time.process_time()
    from esgcheck_peer import Esgcheck

    engine = Esgcheck(ruleset(1))
    for data in corpus:
        engine.run(data)
    print(f"first run, {n} filings, empty cache: {time.process_time() - start:.2f} s processor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.n)
        return
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="esgcheck-first-") as cache:
            subprocess.run([sys.executable, __file__, "--child", "--n", str(args.n)], check=True,
                           env={**os.environ, "ESGCHECK_CACHE_DIR": cache})


if __name__ == "__main__":
    main()
