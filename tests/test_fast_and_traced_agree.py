"""The two forms one emitter writes of every rule agree on every instance.

The fast form runs all the rules of an entity in one generated loop, sharing
the values it reads between them; the traced form, which builds a finding's
evidence, evaluates one rule on one instance and reads everything afresh.
Here, on every bundled sample and every rule's test base, each check rule is
evaluated again in its traced form on each instance of its entity, and its
verdict must be what the fast loop reported: a breach where the fast loop
found a breach, not assessable where it found that, and nothing reported
where it found nothing. A shortcut in the fast form (a value shared between
rules and changed by one of them, a test left out) shows here as a
disagreement, on filings whose findings look plausible either way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from esgcheck.checker import Checker, as_of_date
from esgcheck.engine.chain import Evaluation
from esgcheck.engine.expr.values import MISSING

ROOT = Path(__file__).resolve().parent.parent
CHECKER = Checker()


def _filings() -> list[Path]:
    """JSON filings in esgcheck's own form: the samples and the rule tests' bases."""
    found = sorted((ROOT / "fixtures").glob("*/*.json"))
    found += sorted((ROOT / "esgcheck" / "rules").glob("*/tests/base*.json"))
    kept = []
    for path in found:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue  # a sample of broken input, or another encoding
        if isinstance(doc, dict) and CHECKER.registry.get(str(doc.get("filing_type"))):
            kept.append(path)
    return kept


FILINGS = _filings()


def _verdicts(doc: Any) -> list[tuple[str, str, str, str]]:
    """(rule, instance, fast verdict, traced verdict) wherever the two differ."""
    ft = CHECKER.registry.get(doc["filing_type"])
    assert ft is not None
    as_of, _ = as_of_date(ft, doc, None)
    differ = []
    for rb in CHECKER.rulebases:
        rules = rb.by_type.get(ft.id)
        if rules is None:
            continue
        active = rules.active_on(as_of)
        evaluation = Evaluation(doc, rules, ft.entities, as_of)
        hits = evaluation.run(active)
        fast = {(h.rule.id, h.path): h.outcome for h in hits}
        ctx = evaluation.ctx
        for group in rules.check_groups:
            for rule in group.rules:
                if active is not None and rule.id not in active:
                    continue
                for instance in evaluation.instances_of(group.entity):
                    evaluation.bind(rule, instance)
                    ctx.trace = []
                    result = evaluation.evaluate(rule)
                    ctx.trace = None
                    traced = ("breach" if result is False
                              else "not_assessable" if result is MISSING else "none")
                    got = fast.get((rule.id, instance[0]), "none")
                    if got != traced:
                        differ.append((rule.id, "/".join(map(str, instance[0])), got, traced))
    return differ


def test_there_are_filings_to_compare() -> None:
    assert len(FILINGS) > 40


@pytest.mark.parametrize("path", FILINGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_fast_loop_and_the_traced_rule_agree(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert _verdicts(doc) == []
