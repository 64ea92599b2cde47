"""Finding what the user named among the loaded rule bases: a rule, a filing
type, a grade, the rules of waivers; each exits 2 naming the nearest names
when there is nothing by that name."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from esgcheck.commands.common import EXIT_INPUT, _say
from esgcheck.selection import did_you_mean

if TYPE_CHECKING:
    from esgcheck.checker import Checker
    from esgcheck.engine.rulebase import RuleBase
    from esgcheck.selection import RuleRef
    from esgcheck.waivers import Waivers

STRUCTURAL = ("SCHEMA.", "ASOF.")  # finding ids of esgcheck's own, not of a rule base


def _all_rules(checker: Checker) -> list[tuple[RuleBase, Any]]:
    return [(rb, r) for rb in checker.rulebases for r in rb.rules]


def _rule_refs(checker: Checker) -> list[RuleRef]:
    from esgcheck.selection import RuleRef

    return [RuleRef(r.id, r.spec.severity, r.is_derive) for _, r in _all_rules(checker)]

def _find_rule(checker: Checker, rule_id: str) -> tuple[RuleBase, Any]:
    """The rule ``rule_id`` names, in any case; exit 2 naming the nearest ids
    when there is none."""
    want = rule_id.strip().upper()
    for rb, r in _all_rules(checker):
        if r.id.upper() == want:
            return rb, r
    _say(f"no rule {rule_id} / 没有规则 {rule_id}"
         + did_you_mean(rule_id, (r.id for _, r in _all_rules(checker))), err=True)
    sys.exit(EXIT_INPUT)


def _finding_rule_id(checker: Checker, rule_id: str) -> str:
    """A rule id as findings carry it: a rule's (in any case) or a structural
    one (SCHEMA.required); exit 2 naming the nearest ids otherwise."""
    for prefix in STRUCTURAL:
        if rule_id.upper().startswith(prefix) and len(rule_id) > len(prefix):
            return prefix + rule_id[len(prefix):]
    return str(_find_rule(checker, rule_id)[1].id)


def _filing_type(checker: Checker, filing_type: str | None) -> str | None:
    """``--type`` as the registry spells it; exit 2 naming the nearest types."""
    if filing_type is None:
        return None
    known = [ft.id for ft in checker.registry]
    for ft_id in known:
        if ft_id.lower() == filing_type.strip().lower():
            return ft_id
    _say(f"--type: unknown filing type '{filing_type}' / 未知的申报类型"
         + did_you_mean(filing_type, known) + f" (types: {', '.join(known)})", err=True)
    sys.exit(EXIT_INPUT)


def _known_waiver_rules(checker: Checker, waived: Waivers | None) -> Waivers | None:
    """The waivers with each rule id as the rule base spells it; a waiver for a
    rule that does not exist is an error (file, line, the nearest ids), exit 2:
    it would match nothing and the finding it was meant for would still fail."""
    if waived is None:
        return None
    ids = {r.id.upper(): r.id for _, r in _all_rules(checker)}
    problems, entries = [], []
    for w in waived.entries:
        rule = w.entry.rule
        if any(rule.upper().startswith(p) for p in STRUCTURAL):
            canonical: str | None = next(p for p in STRUCTURAL if rule.upper().startswith(p)) \
                + rule.split(".", 1)[1]
        else:
            canonical = ids.get(rule.upper())
        if canonical is None:
            problems.append(f"{waived.file}:{w.line or '?'}: waiver {w.id}: no rule {rule} / "
                            "没有该规则" + did_you_mean(rule, ids.values()))
            continue
        entries.append(w if canonical == rule else dataclasses.replace(
            w, entry=w.entry.model_copy(update={"rule": canonical})))
    for problem in problems:
        _say(f"waiver file error / 豁免文件错误: {problem}", err=True)
    if problems:
        sys.exit(EXIT_INPUT)
    return dataclasses.replace(waived, entries=tuple(entries))


def _check_grade(checker: Checker, grade: str | None) -> None:
    if grade is not None and grade not in checker.grades():
        _say(f"--fail-on-grade: no rule base grades '{grade}' (grades, worst first: "
             f"{', '.join(checker.grades())})", err=True)
        sys.exit(EXIT_INPUT)


def _grades_fail(checker: Checker, grades: dict[str, int], threshold: str) -> bool:
    """Whether any of the run's grades is ``threshold`` or worse, by the policy
    of a rule base that gives both."""
    for rb in checker.rulebases:
        order = rb.meta.grading.order
        if threshold in order and any(
                g in order and order.index(g) <= order.index(threshold) for g in grades):
            return True
    return False
