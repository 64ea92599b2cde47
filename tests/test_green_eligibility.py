"""green-catalogue: the facts that tell the 100 % rule which projects are
eligible repeat the item checks exactly, and the rule counts only those."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from esgcheck.checker import Checker

from .conftest import FIXTURES, ROOT

RULES = ROOT / "esgcheck/rules/green-catalogue/rules"
SAMPLES = FIXTURES / "green-finance"

# derive rule -> the check rule whose assertion it negates under the same guard
PAIRS = {"GC-IT-D12": "GC-IT-020", "GC-IT-D13": "GC-IT-040",
         "GC-IT-D14": "GC-IT-042", "GC-IT-D15": "GC-IT-043"}


def rules() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in RULES.glob("*.yaml"):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            found[rule["id"]] = rule
    return found


def words(expr: str) -> str:
    return re.sub(r"\s+", " ", expr).strip()


@pytest.mark.parametrize("derive, check", sorted(PAIRS.items()))
def test_each_condition_fact_is_its_check_negated(derive: str, check: str) -> None:
    by_id = rules()
    d, c = by_id[derive], by_id[check]
    assert words(d["when"]) == words(c["when"])
    assert words(d["value"]) == words(f"not ({c['assert']})")


def test_every_condition_fact_is_read_by_the_ineligible_fact() -> None:
    by_id = rules()
    ineligible = words(by_id["GC-IT-D03"]["value"])
    for derive in PAIRS:
        assert f"facts.{by_id[derive]['derive']}" in ineligible


@pytest.mark.parametrize("name, share", [
    ("13-motor-below-grade-1.json", "60 %"),        # grade-2 motors: their 40 % is out
    ("16-pv-modules-below-the-floor.json", "40 %"),  # PV below the floors: 60 % out
])
def test_a_project_failing_its_item_does_not_count(checker: Checker, name: str,
                                                   share: str) -> None:
    report = checker.check_file(SAMPLES / name, name)
    (allocation,) = [f for f in report.findings if f.rule_id == "GC-PR-001"]
    assert allocation.outcome == "breach" and allocation.severity == "critical"
    assert f"at most {share} of the proceeds" in allocation.message.en


def test_a_project_whose_conditions_cannot_be_checked_leaves_the_rule_open(
        checker: Checker) -> None:
    name = "20-pv-figures-incomplete.json"
    report = checker.check_file(SAMPLES / name, name)
    (allocation,) = [f for f in report.findings if f.rule_id == "GC-PR-001"]
    assert allocation.outcome == "not_assessable"
    assert "known to be eligible take 40 %" in allocation.message.en
    assert "已知合格的项目占 40 %" in allocation.message.zh
