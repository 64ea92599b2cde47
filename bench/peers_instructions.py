"""Machine instructions per filing of the peer benchmark's workload, for
esgcheck's full check and for the harness's plain-Python closures, counted by
valgrind's cachegrind: a ratio that does not move with the machine's load,
unlike the harness's timings (bench/peers.sh) on a shared machine.

    python bench/peers_instructions.py [--n 20] [--outlets 20] [--copies 1] [--cache warm]
                                       [--steady]

Each variant runs in its own process under cachegrind, over no filing and over
``--n`` filings of the harness's corpus (``gen_corpus.make_corpus``: its first
filings, as the harness generates them); the difference over ``--n`` is one
filing's cost. ``--copies 10`` is the ten-times-the-rules scenario,
``--outlets 230`` the ten-times-the-facts one.

esgcheck's cache of compiled code is off in both runs (``--cache off``, the
default): the traced code of a rule is compiled at its first finding, in
whichever run that is, as with ``bench/instructions.py``. (Left to the user's
cache, the run over ``--n`` filings compiled and wrote what the run over none
then read, and the difference counted it: 18 M instead of 8.7 M per filing.)
``--cache warm`` fills a cache folder of its own by an uncounted run first, so
that both counted runs read compiled code, as the harness's runs do after its
first.

``--stage parse|read|rules`` counts esgcheck only as far as that stage
(orjson's parse; reading, limits and validation; with the rules), against the
closures' whole run as always.

``--steady`` counts a second pass over the same filings instead: each counted
run goes over them once uncounted by the difference (both runs make that first
pass), so what is left is the steady state, once every rule that fires has its
traced code. Without it, the first sight of each rule that fires is in the
count: with ten times the rules, ten times as many rules fire for the first
time in the counted filings, each compiled or read back from the cache, and
that cost hides the steady state's.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
PEER_BENCH = Path(os.environ.get("PEER_BENCH", HERE.parents[1] / "shared" / "peer-bench"))


GENERATED = 40  # filings generated in every run, whatever --n is


def harness() -> None:
    """Makes the harness's modules (gen_corpus, rules, eng_python) and the
    esgcheck adapter (bench/peers/esgcheck_peer.py) importable."""
    sys.path.insert(0, str(PEER_BENCH))
    sys.path.insert(0, str(HERE / "peers"))


STAGES = ("parse", "read", "rules", "check")


def esgcheck_stage(engine: Any, stage: str) -> Callable[[bytes], Any]:
    """One filing through esgcheck as far as ``stage``: ``parse`` orjson's
    parse alone; ``read`` reading, limits and structural validation; ``rules``
    with the derive and check rules; ``check`` the whole check with findings
    and the report (the adapter's run)."""
    import orjson

    from esgcheck import checker as C
    from esgcheck.engine.chain import Evaluation

    if stage == "check":
        return cast(Callable[[bytes], Any], engine.run)
    if stage == "parse":
        return orjson.loads
    ck, options = engine.checker, engine.options

    def read(data: bytes) -> Any:
        filing = C.read_bytes(data, "filing.json", ck.registry, options.filing_type,
                              options.limits, time.monotonic())
        if not C.within_limits(filing, len(data), options.limits):
            C.measure(filing.doc, options.limits, "filing.json")
        C.prepare(filing)
        C.schema_findings(filing)
        return filing

    def rules(data: bytes) -> None:
        filing = read(data)
        ft = filing.filing_type
        for rb in ck.rulebases_for(ft):
            Evaluation(filing.doc, rb.by_type[ft.id], ft.entities, None).run(None)

    return read if stage == "read" else rules


def child(variant: str, n: int, outlets: int, copies: int, passes: int = 1,
          stage: str = "check") -> None:
    harness()
    from gen_corpus import make_corpus  # the harness's own modules
    from rules import ruleset

    # the first filings of the harness's corpus (a prefix: it is generated in
    # order), as many whatever n is, so that generating them cancels out
    corpus, _ = make_corpus(GENERATED + 3, n_outlets=outlets)
    rules = ruleset(copies)
    if variant == "closures":
        from eng_python import PythonEngine

        engine = PythonEngine(rules)
        run = engine.run
    else:
        from esgcheck_peer import Esgcheck

        engine = Esgcheck(rules)
        run = esgcheck_stage(engine, stage)
    gc.freeze()  # both variants alike (the esgcheck adapter freezes what is loaded)
    for data in corpus[:3]:  # warm: traced code compiled, caches filled
        run(data)
    for _ in range(passes):
        for data in corpus[3:3 + n]:
            run(data)


def count(variant: str, n: int, outlets: int, copies: int, passes: int = 1,
          stage: str = "check") -> int:
    sys.path.insert(0, str(HERE))
    from instructions import instructions  # the project's cachegrind runner

    return instructions([__file__, "--child", variant, "--n", str(n), "--outlets",
                         str(outlets), "--copies", str(copies), "--passes", str(passes),
                         "--stage", stage])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--outlets", type=int, default=20, choices=[20, 230])
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--cache", choices=["off", "warm"], default="off")
    parser.add_argument("--steady", action="store_true",
                        help="count a second pass over the filings (see above)")
    parser.add_argument("--stage", choices=STAGES, default="check",
                        help="esgcheck only as far as this stage (see esgcheck_stage)")
    parser.add_argument("--child", choices=["closures", "esgcheck"])
    parser.add_argument("--passes", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n, args.outlets, args.copies, args.passes, args.stage)
        return
    if not 0 < args.n <= GENERATED:
        parser.error(f"--n must be between 1 and {GENERATED}")
    folder = None
    if args.cache == "warm":
        folder = tempfile.TemporaryDirectory(prefix="esgcheck-peer-cache-")
        os.environ["ESGCHECK_CACHE_DIR"] = folder.name
        subprocess.run([sys.executable, __file__, "--child", "esgcheck", "--n", str(args.n),
                        "--outlets", str(args.outlets), "--copies", str(args.copies)],
                       check=True)  # uncounted: fills the cache
    else:
        os.environ["ESGCHECK_CACHE_DIR"] = "off"
    per = {}
    for variant in ("closures", "esgcheck"):
        if args.steady:  # two passes against one over the same filings
            total = count(variant, args.n, args.outlets, args.copies, 2, args.stage)
            base = count(variant, args.n, args.outlets, args.copies, 1, args.stage)
        else:  # the filings against none
            total = count(variant, args.n, args.outlets, args.copies, 1, args.stage)
            base = count(variant, 0, args.outlets, args.copies, 1, args.stage)
        per[variant] = (total - base) / args.n
        print(f"{variant:<10}{per[variant] / 1e6:>10.2f} M instructions per filing", flush=True)
    print(f"esgcheck / closures: {per['esgcheck'] / per['closures']:.2f} "
          f"(speed ratio about {per['closures'] / per['esgcheck']:.3f})")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
