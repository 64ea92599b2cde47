"""What the cross-filing stage costs per enterprise, beside the per-filing checks.

    python bench/enterprise.py [--n 200] [--repeat 3]

Builds N enterprises, each the four filings of the sample folder
fixtures/enterprises/01-consistent (annual report, temporary report, ledger)
under its own credit code, in memory, and times in this process, with the rule
bases loaded once:

  filings   each filing checked on its own (Checker.check_bytes)
  read      each filing read again as a group member
  group     placing and grouping all of them (a pure function of the places)
  check     each group checked by cn-enterprise (check_group)

and prints milliseconds per enterprise for each (best of --repeat), and the
stage's cost as a share of the per-filing checks. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from esgcheck.checker import Checker, Options  # noqa: E402  # after the path is set
from esgcheck.engine.expr.builtins import uscc_valid  # noqa: E402
from esgcheck.enterprise.check import check_group  # noqa: E402
from esgcheck.enterprise.grouping import Member, group, place  # noqa: E402
from esgcheck.enterprise.run import read_member  # noqa: E402

FOLDER = ROOT / "fixtures" / "enterprises" / "01-consistent"
CODE = "91110000600037341L"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def code(n: int) -> str:
    """The n-th valid credit code of a made-up series."""
    body = f"911100006{n:08d}"
    return next(body + c for c in ALPHABET if uscc_valid(body + c))


def enterprises(n: int) -> list[tuple[str, bytes]]:
    files = sorted(FOLDER.glob("*.json"))
    texts = {p.name: p.read_text("utf-8") for p in files}
    return [(f"e{i:05d}/{name}", text.replace(CODE, code(i)).encode())
            for i in range(n) for name, text in texts.items()]


def best(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = work()
        times.append(time.perf_counter() - started)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="enterprises (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each stage, best kept")
    args = parser.parse_args()
    checker, options = Checker(), Options()
    data = enterprises(args.n)
    filings, _ = best(args.repeat, lambda: [checker.check_bytes(b, name, options)
                                            for name, b in data])
    read, members = best(args.repeat, lambda: [
        read_member(checker, Path(name), name, options, b) for name, b in data])
    docs: dict[str, Member] = {m.file: m for m in members if m is not None}
    grouping, (groups, refused) = best(args.repeat,
                                       lambda: group(place(m) for m in docs.values()))
    assert len(groups) == args.n and not refused, (len(groups), refused)
    checking, reports = best(args.repeat, lambda: [check_group(checker, g, docs, options)
                                                   for g in groups])
    assert all(r.grade == "A" for r in reports), {r.grade for r in reports}
    per = 1000 / args.n
    stage = read + grouping + checking
    print(json.dumps({
        "enterprises": args.n, "filings": len(data),
        "ms_per_enterprise": {"filings": round(filings * per, 2), "read": round(read * per, 2),
                              "group": round(grouping * per, 3),
                              "check": round(checking * per, 2),
                              "stage": round(stage * per, 2)},
        "stage_over_filings": round(stage / filings, 3)}, indent=2))


if __name__ == "__main__":
    main()
