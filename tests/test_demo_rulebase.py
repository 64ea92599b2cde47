"""The demonstration rule base: the format carries other regimes (a dated class
table in kg CO2e/kWh, a catalogue lookup, a sum over outlets, a three-deep
derivation chain), and the same guarantees hold there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from esgcheck.checker import Checker
from esgcheck.engine.findings import ProofNode
from esgcheck.engine.rulebase import RuleBaseError
from esgcheck.ruletest import RuleTester

DEMO = Path(__file__).resolve().parent / "rulebases" / "demo"


@pytest.fixture(scope="module")
def demo() -> Checker:
    return Checker([DEMO])


def test_every_demo_rule_passes_its_cases(demo: Checker) -> None:
    reports = RuleTester(demo.rulebases[0], demo.registry).run()
    assert len(reports) == 7
    for report in reports:
        assert report.ok, (report.rule, report.problems,
                           [r.detail for r in report.results if not r.ok])
        assert {r.format for r in report.results} == {"json", "xml"}


def depth(node: ProofNode) -> int:
    return 1 + max((depth(child) for child in node.because), default=0)


def test_the_proof_goes_three_derivations_deep(demo: Checker) -> None:
    filing = json.loads((DEMO / "tests" / "base-discharge.json").read_text())
    filing["audited"] = False
    report = demo.check_bytes(json.dumps(filing).encode(), "discharge.json")
    [finding] = [f for f in report.findings if f.rule_id == "DEMO-DIS-002"]
    [root] = finding.derivation
    assert (root.fact, root.rules) == ("audit_required", ["DEMO-DIS-D03"])
    assert depth(root) == 3
    middle = root.because[0]
    assert (middle.fact, middle.rules) == ("priority_site", ["DEMO-DIS-D02"])
    leaf = middle.because[0]
    assert (leaf.fact, leaf.rules) == ("large_emitter", ["DEMO-DIS-D01"])
    assert [e.name for e in leaf.evidence] == ["/reported_total"]
    assert leaf.evidence[0].location is not None and leaf.evidence[0].location.line == 1
    assert report.grade == "FAIL"


def test_reference_values_are_evidence(demo: Checker) -> None:
    filing = {"filing_type": "demo-battery-cf", "category": "ev", "declared": "2028-06-01",
              "footprint": {"value": 90, "unit": "kgCO2e/kWh"}}
    report = demo.check_bytes(json.dumps(filing).encode(), "battery.json")
    [finding] = report.findings
    reference = [e for e in finding.evidence if e.source == "reference"]
    assert [(e.name, e.value, e.unit) for e in reference] == [("cf-thresholds.max", "80",
                                                               "kgCO2e/kWh")]
    assert "90 kgCO2e/kWh" in finding.message.en and "80 kgCO2e/kWh" in finding.message.en


@pytest.mark.parametrize("broken, message", [
    ("footprint <= 100", "unit clash"),
    ("footprint <= 100[kg]", "unit clash"),
    ("footprint <= lookup_dated('cf-thresholds', category, declared).maximum",
     "has no column 'maximum'"),
    ("footprint <= lookup_dated('cf-threshold', category, declared).max",
     "unknown table 'cf-threshold'"),
])
def test_broken_demo_rules_are_refused_at_load(tmp_path: Path, broken: str,
                                               message: str) -> None:
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    rules = copy / "rules" / "battery.yaml"
    text = rules.read_text(encoding="utf-8")
    old = "assert: footprint <= lookup_dated('cf-thresholds', category, declared).max"
    line = text[:text.index(old)].count("\n") + 1
    rules.write_text(text.replace(old, f"assert: {broken}"), encoding="utf-8")
    with pytest.raises(RuleBaseError) as info:
        Checker([copy])
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.rule) == (
        "demo/rules/battery.yaml", line, "DEMO-BAT-001")
    assert message in problem.message
