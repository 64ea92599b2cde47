"""The generated loops over an entity's instances (engine/expr/runners.py) and
what the evaluation keeps of them (engine/chain.py): the shortcuts of the fast
form must give what the long way gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from esgcheck.checker import Checker, as_of_date
from esgcheck.engine.chain import Evaluation, JsonPath
from esgcheck.engine.expr.types import BOOLEAN
from esgcheck.engine.findings import FilingReport
from esgcheck.engine.rulebase import CompiledRule, TypeRules
from esgcheck.filings.reader import read_bytes

ROOT = Path(__file__).resolve().parent.parent
ANNUAL = sorted((ROOT / "fixtures" / "cn-eidm-annual").glob("*.json"))
TWO_ON_MEASUREMENTS = (ROOT / "fixtures" / "cn-eidm-annual"
                       / "21-water-concentration-per-cubic-metre.json")


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker()


def findings(report: FilingReport) -> list[str]:
    return [f.model_dump_json() for f in report.findings]


def test_a_rule_switched_off_stays_off_and_the_others_are_unchanged(checker: Checker) -> None:
    """The loop of an entity's check rules runs every rule without asking
    whether each is on; with one off, the run takes the loop that asks. The
    fixture has findings of two rules of the measurements' loop: with either
    switched off, its findings go and the other's stay, byte for byte."""
    everything = checker.check_paths([TWO_ON_MEASUREMENTS]).filings[0]
    fired = [f.rule_id for f in everything.findings]
    assert {"CN-EIDM-PMT-003", "CN-EIDM-PMT-004"} <= set(fired)
    try:
        for off in ("CN-EIDM-PMT-003", "CN-EIDM-PMT-004"):
            checker.deselected = frozenset({off})
            some = checker.check_paths([TWO_ON_MEASUREMENTS]).filings[0]
            assert off not in [f.rule_id for f in some.findings]
            assert findings(some) == [f.model_dump_json() for f in everything.findings
                                      if f.rule_id != off]
    finally:
        checker.deselected = frozenset()
    assert findings(checker.check_paths([TWO_ON_MEASUREMENTS]).filings[0]) == findings(everything)


def kept_the_long_way(evaluation: Evaluation, rules: TypeRules, active: set[str] | None
                      ) -> dict[tuple[JsonPath, str], list[CompiledRule]]:
    """The rules a proof names for each derived fact, worked out as the derive
    loops once kept them while they ran: every rule on every instance, the ones
    that gave the value (not false, for a true/false fact) and, for a false
    fact, the ones that tried."""
    gave: dict[tuple[JsonPath, str], list[CompiledRule]] = {}
    tried: dict[tuple[JsonPath, str], list[CompiledRule]] = {}
    ctx = evaluation.ctx
    for rule in rules.derive:
        if active is not None and rule.id not in active:
            continue
        name = rule.spec.derive
        assert name is not None
        boolean = rules.facts[name].type is BOOLEAN
        for instance in evaluation.instances_of(rule.entity):
            evaluation.bind(rule, instance)
            result = rule.run(ctx)
            key = (instance[0], name)
            if boolean and (result is None or result is False):
                tried.setdefault(key, []).append(rule)
            elif result is not None:
                gave.setdefault(key, []).append(rule)
    values = evaluation.store.values
    return {key: gave.get(key) or (tried.get(key, []) if values[key] is False else [])
            for key in values}


@pytest.mark.parametrize("path", ANNUAL, ids=[p.name for p in ANNUAL])
def test_a_proof_names_the_rules_the_derive_loops_would_have_kept(checker: Checker,
                                                                  path: Path) -> None:
    """A fact's rules are found again for its proof, not kept while the derive
    loops run: for every fact of every annual fixture the same rules, in the
    same order, also with one of the five rules of a fact derived by several
    switched off (a rule that did not run is not named)."""
    filing = read_bytes(path.read_bytes(), path.name, checker.registry)
    (rb,) = checker.rulebases_for(filing.filing_type)
    rules = rb.by_type[filing.filing_type.id]
    as_of, _ = as_of_date(filing.filing_type, filing.doc, None)
    several = [r.id for r in rules.derive if r.spec.derive == "obligated_discloser"]
    assert len(several) == 5
    everything = {r.id for r in (*rules.derive, *rules.check)}
    for active in (None, everything - {several[0]}, everything - {several[-1]}):
        evaluation = Evaluation(filing.doc, rules, filing.filing_type.entities, as_of)
        evaluation.run(active)
        expected = kept_the_long_way(evaluation, rules, active)
        got: dict[Any, list[CompiledRule]] = {
            key: [r for r, _, _ in evaluation.sources(key)] for key in evaluation.store.values}
        assert got == expected
        assert evaluation.sources(((), "no such fact")) == []
