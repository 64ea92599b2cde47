"""esgcheck as a variant of the peer benchmark (``../shared/peer-bench``):

    ../shared/peer-bench/run.sh --extra bench/peers/esgcheck_peer.py:Esgcheck

(``bench/peers.sh`` does this). ``Esgcheck(rules)`` writes the harness's rule
list as an esgcheck rule base (``make_rulebase.py``) into a temporary folder,
loads it with the filing type it brings, and ``run(filing_bytes)`` is the full
``check`` of one filing: reading (exact numbers, duplicate keys), limits,
structural validation, derive and check rules, findings with their locations,
evidence and proof trees, grades. The findings are given back as the harness
wants them, (rule id, subject).

The harness runs in its own environment (``.venv-peers``); esgcheck and its
dependencies are found in the project's ``.venv``, whose site-packages are put
after the peers' own, so that every peer keeps its pinned packages.
"""

from __future__ import annotations

import gc
import os
import site
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
if "esgcheck" not in sys.modules:
    venv = Path(os.environ.get("ESGCHECK_VENV", ROOT / ".venv"))
    for packages in sorted(venv.glob("lib/python3*/site-packages")):
        site.addsitedir(str(packages))  # appended: the peers' pins come first
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))

from make_rulebase import FILING_TYPE, rule_id, translate, write  # noqa: E402

from esgcheck.checker import Checker, Options  # noqa: E402


class Esgcheck:
    name = "esgcheck check (full: read, validate, rules, locations, evidence, report)"
    input = "json"

    def __init__(self, rules: list[dict[str, Any]]) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="esgcheck-peer-")
        folder = write(rules, Path(self._folder.name) / "peer-bench")
        self.checker = Checker([folder])
        # as the command line does once the rule bases are loaded: the collector
        # no longer walks them (and whatever else is alive) on every full pass
        gc.freeze()
        self.options = Options(filing_type=FILING_TYPE)
        self.ids = {rule_id(r["id"]): r["id"] for r in rules}
        # rules on an outlet or a measurement: their message starts with the subject
        self.on_entity = {rule_id(r["id"]) for r in rules if "entity" in translate(r)}

    def run(self, data: bytes) -> list[tuple[str, str]]:
        report = self.checker.check_bytes(data, "filing.json", self.options)
        if report.status != "checked":
            raise RuntimeError(f"not checked: {report.error}")
        out = []
        ids, on_entity = self.ids, self.on_entity
        for f in report.findings:
            peer = ids.get(f.rule_id)
            if peer is None:
                continue  # a structural finding of the schema: not one of the 63 rules
            subject = f.message.en.partition(": ")[0] if f.rule_id in on_entity else ""
            out.append((peer, subject))
        return out
