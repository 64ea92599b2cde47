"""No silent pass: a value that is there but cannot be read, a unit of another
dimension or one esgcheck does not know, and a filing dated before the
instrument all end in findings, never in a rule that goes quiet."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from esgcheck.checker import PACKAGE_RULES, Checker, unit_findings
from esgcheck.engine.findings import FilingReport, Finding
from esgcheck.engine.rulebase import RuleBaseError
from esgcheck.filings.reader import read_bytes

from .conftest import FIXTURES

OVER_LIMIT = FIXTURES / "cn-eidm-annual" / "07-concentration-over-limit.json"
SO2 = "/pollution/outlets/1/pollutants/0"  # 68 mg/m3 against a limit of 50 mg/m3


def with_unit(unit: str, value: float = 68) -> bytes:
    doc: dict[str, Any] = json.loads(OVER_LIMIT.read_text(encoding="utf-8"))
    doc["pollution"]["outlets"][1]["pollutants"][0]["concentration"] = {"value": value,
                                                                      "unit": unit}
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def check(checker: Checker, data: bytes) -> FilingReport:
    report = checker.check_bytes(data, "filing.json")
    assert report.status == "checked", report.error
    return report


def of(report: FilingReport, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule_id == rule]


@pytest.mark.parametrize("unit, value, breach", [
    ("mg/Nm3", 68, True), ("mg/Nm3", 50, False), ("mg/Nm³", 50.001, True),
    ("g/m3", 0.068, True), ("g/m3", 0.05, False),
    ("μg/m3", 68_000, True), ("ug/m3", 49_999, False),
])
def test_concentrations_in_the_units_filings_use_are_judged(
        checker: Checker, unit: str, value: float, breach: bool) -> None:
    report = check(checker, with_unit(unit, value))
    found = [f.outcome for f in of(report, "CN-EIDM-PMT-003") if f.location.pointer.startswith(SO2)]
    assert found == (["breach"] if breach else [])
    assert not of(report, "SCHEMA.x-quantity")


@pytest.mark.parametrize("unit, words", [
    ("ppm", "molar mass"), ("furlong", "'furlong' is unknown"),
])
def test_a_concentration_that_cannot_be_converted_is_not_assessable_naming_it(
        checker: Checker, unit: str, words: str) -> None:
    report = check(checker, with_unit(unit))
    (finding,) = [f for f in of(report, "CN-EIDM-PMT-003")
                  if f.location.pointer.startswith(SO2)]
    assert finding.outcome == "not_assessable"
    assert words in finding.message.en and f"68 {unit}" in finding.message.en
    (value,) = [e for e in finding.evidence if e.name == f"{SO2}/concentration"]
    assert (value.value, value.unit, value.present) == (68, unit, True)
    assert value.problem is not None and words in value.problem.en
    assert report.grade == "N"
    # one defect, one finding: the rule's names the unit, no structural one besides
    assert not of(report, "SCHEMA.x-quantity")


def test_a_unit_of_another_dimension_is_a_structural_breach(checker: Checker) -> None:
    report = check(checker, with_unit("t"))
    (unit,) = of(report, "SCHEMA.x-quantity")
    assert (unit.outcome, unit.severity) == ("breach", "major")
    assert unit.location.pointer == f"{SO2}/concentration/unit"
    assert "'t' measures a mass" in unit.message.en
    assert "单位“t”表示质量" in unit.message.zh
    (rule,) = [f for f in of(report, "CN-EIDM-PMT-003") if f.location.pointer.startswith(SO2)]
    assert rule.outcome == "not_assessable"


def test_a_unit_no_rule_reads_still_gets_its_finding(checker: Checker) -> None:
    doc: dict[str, Any] = json.loads((FIXTURES / "cn-eidm-annual" /
                                      "01-compliant-key-discharger.json").read_text("utf-8"))
    doc["environmental_management"]["environmental_protection_tax"]["paid"] = {
        "value": 36.8, "unit": "bushel"}
    report = check(checker, json.dumps(doc, ensure_ascii=False).encode())
    (found,) = [f for f in report.findings if f.location.pointer.startswith(
        "/environmental_management/environmental_protection_tax/paid")]
    assert (found.rule_id, found.outcome) == ("SCHEMA.x-quantity", "not_assessable")
    assert "'bushel' is unknown" in found.message.en and "an amount in CNY" in found.message.en
    assert report.grade == "N"


def placeholder_dates(sample: str) -> bytes:
    text = (FIXTURES / "eu-battery-cf" / sample).read_text(encoding="utf-8")
    return re.sub(r'"\d{4}-\d\d-\d\d"', '"2000-01-01"', text).encode()


def test_a_passport_dated_before_the_regulation_is_a_finding_and_its_data_still_checked(
        checker: Checker) -> None:
    report = check(checker, placeholder_dates("03-stages-do-not-add-up.json"))
    (before,) = of(report, "ASOF.before-first-version")
    assert (before.outcome, before.severity) == ("not_assessable", "major")
    assert before.location.pointer == "/issued" and "2000-01-01" in before.message.en
    assert [(u.ran, u.in_force) for u in report.rulebases] == [("data_checks", False)]
    # the stages still do not add up, and a negative production stage is still one
    assert [f.outcome for f in of(report, "BATT-CF-017")] == ["breach"]
    rules = {f.rule_id for f in report.findings if f.rulebase == "eu-battery"}
    (battery,) = [rb for rb in checker.rulebases if rb.id == "eu-battery"]
    data_checks = battery.by_type["eu-battery-cf"].data_checks
    assert rules - {"ASOF.before-first-version"} <= data_checks
    assert report.grade == "C"


def test_a_compliant_passport_with_placeholder_dates_is_not_graded_compliant(
        checker: Checker) -> None:
    report = check(checker, placeholder_dates("01-compliant-ev-declaration.json"))
    assert report.grade == "N"


def test_a_data_check_that_reads_the_as_of_date_is_refused_at_load(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE_RULES / "cn-eidm", tmp_path / "cn-eidm")
    report = tmp_path / "cn-eidm" / "rules" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    old = "    assert: cover.uscc == basic_info.uscc"
    assert old in text
    report.write_text(text.replace(old, "    data_check: true\n    assert: cover.uscc == "
                                        "basic_info.uscc and as_of > 2020-01-01"),
                      encoding="utf-8")
    with pytest.raises(RuleBaseError) as info:
        Checker([tmp_path])
    (problem,) = info.value.problems
    assert problem.rule == "CN-EIDM-ANN-008" and "cannot read as_of" in problem.message


def test_a_value_an_industry_format_gives_once_gets_one_unit_finding(checker: Checker) -> None:
    """A Catena-X passport's total is both the declaration's and the passport's
    footprint in the canonical form: a wrong unit there is one defect."""
    text = (FIXTURES / "eu-battery-cf" / "12-catena-x-battery-pass.json").read_text("utf-8")
    text = text.replace('"unit": "kg CO2e / kWh"', '"unit": "kg CO2e"', 1)
    filing = read_bytes(text.encode(), "passport.json", checker.registry)
    (unit,) = unit_findings(filing, "1")
    assert unit.location.pointer == "/sustainability/carbonFootprint/0/unit"
    report = check(checker, text.encode())
    # the functional-unit rule names it; the structural finding gives way to it
    assert [f.outcome for f in of(report, "BATT-CF-014")] == ["breach"]
    assert not of(report, "SCHEMA.x-quantity")


def test_a_fact_that_could_not_be_derived_is_named_by_the_filings_values_behind_it(
        checker: Checker) -> None:
    doc: dict[str, Any] = json.loads((FIXTURES / "cn-eidm-annual" /
                                      "02-listed-company-fine-boundary.json").read_text("utf-8"))
    del doc["discloser"]["art8_events"][0]["date"]
    report = check(checker, json.dumps(doc, ensure_ascii=False).encode())
    unknown = [f for f in report.findings if f.outcome == "not_assessable"
               and f.message.en.startswith("not assessable: data needed")]
    assert unknown
    for finding in unknown:
        assert "/discloser/art8_events/0/date" in finding.message.en, finding.rule_id
        assert "obligated_discloser" not in finding.message.en


def test_a_year_total_in_tonnes_a_year_is_the_years_tonnes(checker: Checker) -> None:
    """Permits state 许可排放量 in t/a: 20 t/a permitted against 30 t emitted is an
    exceedance, not a unit of another dimension."""
    doc: dict[str, Any] = json.loads((FIXTURES / "cn-eidm-annual" /
                                      "01-compliant-key-discharger.json").read_text("utf-8"))
    doc["pollution"]["solid_waste"]["generated"] = {"value": 1860, "unit": "吨/年"}
    measured = doc["pollution"]["outlets"][1]["pollutants"][0]
    measured["annual_total"] = {"value": 30, "unit": "t"}
    measured["permitted_total"] = {"value": 20, "unit": "t/a"}
    report = check(checker, json.dumps(doc, ensure_ascii=False).encode())
    assert [f.outcome for f in of(report, "CN-EIDM-PMT-003-02")] == ["breach"]
    assert not of(report, "SCHEMA.x-quantity")
    # a concentration is no year's total: a rate per year there is another dimension
    measured["concentration"] = {"value": 5, "unit": "t/a"}
    report = check(checker, json.dumps(doc, ensure_ascii=False).encode())
    assert [f.outcome for f in of(report, "SCHEMA.x-quantity")] == ["breach"]
