"""The rule-test runner itself: it catches rules without firing or quiet cases,
wrong expectations and missing test files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from esgcheck.checker import PACKAGE_RULES, Checker
from esgcheck.ruletest import RuleTester, merge_patch


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE_RULES / "cn-eidm", tmp_path / "cn-eidm")
    return tmp_path / "cn-eidm"


def report_for(folder: Path, rule_id: str):  # type: ignore[no-untyped-def]
    checker = Checker([folder])
    [report] = RuleTester(checker.rulebases[0], checker.registry).run({rule_id})
    return report


def keep_cases(path: Path, names: list[str]) -> None:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cases"] = [c for c in data["cases"] if c["name"] in names]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_rule_without_a_quiet_case_fails(rules: Path) -> None:
    keep_cases(rules / "tests/CN-EIDM-ANN-002.yaml", ["submitted on 16 March"])
    report = report_for(rules.parent, "CN-EIDM-ANN-002")
    assert not report.ok and "no case where the rule does not fire" in report.problems


def test_a_rule_without_a_firing_case_fails(rules: Path) -> None:
    keep_cases(rules / "tests/CN-EIDM-ANN-002.yaml",
               ["submitted on 15 March itself (inclusive by default)"])
    report = report_for(rules.parent, "CN-EIDM-ANN-002")
    assert not report.ok and "no case where the rule fires" in report.problems


def test_a_rule_without_a_test_file_fails(rules: Path) -> None:
    (rules / "tests/CN-EIDM-ANN-002.yaml").unlink()
    report = report_for(rules.parent, "CN-EIDM-ANN-002")
    assert "no test file" in report.problems


def test_a_wrong_expectation_fails_in_both_formats(rules: Path) -> None:
    path = rules / "tests/CN-EIDM-ANN-002.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "at: /submission/date", "at: /submission"), encoding="utf-8")
    report = report_for(rules.parent, "CN-EIDM-ANN-002")
    failed = [r for r in report.results if not r.ok]
    assert {r.format for r in failed} == {"json", "xml"}
    assert "/submission/date" in failed[0].detail


def test_merge_patch_follows_rfc_7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    assert merge_patch(target, {"a": "z", "c": {"f": None}}) == {"a": "z", "c": {"d": "e"}}
    assert merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}}
