"""The battery regime end to end: industry payloads read as they are, and a
user's rules configuration that changes the verdict and is named in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from esgcheck.checker import Checker
from esgcheck.cli import main
from esgcheck.engine.rulebase import RuleBaseError
from esgcheck.engine.userconfig import UserConfig, UserConfigError, load_user_config

from .conftest import FIXTURES

BATTERY = FIXTURES / "eu-battery-cf"
ADOPTED = BATTERY / "adopted-acts.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def report(*args: str) -> dict:  # type: ignore[type-arg]
    code, out = run("check", "--format", "json", *args)
    assert code in (0, 1), out
    return json.loads(out)  # type: ignore[no-any-return]


def test_battery_pass_utf16_is_read_as_is_with_findings_in_its_own_keys() -> None:
    raw = (BATTERY / "10-battery-pass-utf16.json").read_bytes()
    assert raw.startswith(b"\xff\xfe") and b"\r\x00\n\x00" in raw  # as upstream writes it
    filing = report(str(BATTERY / "10-battery-pass-utf16.json"))["filings"][0]
    assert filing["status"] == "checked"
    assert filing["read_as"] == "Battery Pass CarbonFootprint + GeneralProductInformation 1.2.0"
    pending = next(f for f in filing["findings"] if f["rule_id"] == "BATT-CF-003")
    assert pending["location"]["pointer"] == "/batteryCategory"
    assert pending["location"]["line"] == 4  # line 4 of the UTF-16 file, as an editor shows it


def test_catena_x_stages_and_total_are_mapped_and_other_impacts_ignored(checker: Checker) -> None:
    from esgcheck.filings.reader import read_bytes

    filing = read_bytes((BATTERY / "12-catena-x-battery-pass.json").read_bytes(), "cx.json",
                        checker.registry)
    cf = filing.doc["declarations"][0]["carbon_footprint"]
    assert cf["total"] == {"value": 0.17, "unit": "kg CO2e / kWh"}
    assert [s["stage"] for s in cf["stages"]] == [
        "raw_material_acquisition", "main_production", "distribution", "end_of_life"]
    assert cf["study_url"].startswith("https://")
    assert filing.location(("declarations", 0, "carbon_footprint", "stages", 1, "value")
                           ).pointer == "/sustainability/carbonFootprint/2/value"


def test_a_field_the_format_lacks_is_named_not_failed() -> None:
    filing = report("--rules-config", str(ADOPTED),
                    str(BATTERY / "10-battery-pass-utf16.json"))["filings"][0]
    doc_id = next(f for f in filing["findings"] if f["rule_id"] == "BATT-CF-019")
    assert doc_id["outcome"] == "not_assessable"
    assert "Battery Pass" in doc_id["message"]["en"] and "placed_on_market" in doc_id[
        "message"]["en"]


@pytest.mark.parametrize("sample, rule", [
    ("06-threshold-exceeded-under-user-config", "BATT-CF-040"),
    ("09-module-a-under-user-config", "BATT-CA-050"),
])
def test_a_user_configuration_changes_the_verdict_and_is_named(sample: str, rule: str) -> None:
    path = str(BATTERY / f"{sample}.json")
    shipped = report(path)
    configured = report("--rules-config", str(ADOPTED), path)
    assert rule not in {f["rule_id"] for f in shipped["filings"][0]["findings"]}
    assert rule in {f["rule_id"] for f in configured["filings"][0]["findings"]}
    assert configured["filings"][0]["grade"] == "D"
    used = {c["rulebase"]: c for c in configured["configuration"]}["eu-battery"]
    assert used["file"].endswith("adopted-acts.yaml") and len(used["sha256"]) == 64
    assert used["data"]["thresholds"][0]["max_footprint"] == "0.15 kgCO2e/kWh"
    assert {c["rulebase"]: c for c in shipped["configuration"]}["eu-battery"]["file"] is None


def test_a_lower_threshold_in_a_new_file_is_all_it_takes(tmp_path: Path) -> None:
    config = tmp_path / "acts.yaml"
    config.write_text(ADOPTED.read_text("utf-8").replace("value: 0.15", "value: 0.2"), "utf-8")
    filing = report("--rules-config", str(config),
                    str(BATTERY / "06-threshold-exceeded-under-user-config.json"))["filings"][0]
    assert filing["grade"] == "A"


@pytest.mark.parametrize("text, message", [
    ("eu-batery:\n  config: {stage_sum_tolerance: 0.02}\n", "no rule base 'eu-batery'"),
    ("eu-battery:\n  config:\n    stage_sum_tolerence: 0.02\n", "unknown configuration value"),
    ("eu-battery:\n  data:\n    thresholds:\n      - {id: ev, max: 1}\n", "unknown column"),
    ("eu-battery:\n  data:\n    acts:\n      - {id: ev-method, in_force: soon}\n",
     "is not a date"),
    ("eu-battery:\n  data:\n    tresholds: []\n", "no reference table"),
    ("eu-battery:\n  data:\n    thresholds:\n"
     "      - {id: ev, max_footprint: {value: 1, unit: kg}}\n", "does not fit"),
    ("eu-battery: [1, 2]\n", "expected a mapping"),
    ("eu-battery:\n  config: {a: 1}\n  config: {b: 2}\n", "duplicate key"),
])
def test_a_broken_rules_configuration_names_the_file_and_line(tmp_path: Path, text: str,
                                                              message: str) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text(text, "utf-8")
    code, out = run("check", "--rules-config", str(config),
                    str(BATTERY / "01-compliant-ev-declaration.json"))
    assert code == 2
    assert message in out and "broken.yaml" in out


def test_configuration_errors_carry_lines() -> None:
    with pytest.raises(UserConfigError) as caught:
        load_user_config(FIXTURES / "nonexistent.yaml")
    assert "nonexistent.yaml" in str(caught.value)
    user = load_user_config(ADOPTED, "adopted-acts.yaml")
    lines = ADOPTED.read_text("utf-8").splitlines()
    row = user.rulebases["eu-battery"].line("data", "thresholds", "0")
    assert row is not None and "max_footprint" in lines[row - 1]
    with pytest.raises(RuleBaseError, match="no rule base 'nope'"):
        Checker(user_config=UserConfig(file="x.yaml", sha256="0",
                                       rulebases={"nope": user.rulebases["eu-battery"]}))


# Rules whose condition is a heuristic (a plausibility bound, a pattern for "looks
# wrong", esgcheck's reading of one model in another's terms) are observations.
HEURISTIC = {"BATT-CF-013-02": "minor", "BATT-CF-015-02": "minor", "BATT-CF-020-02": "minor",
             "BATT-CF-022": "minor", "BATT-CF-031": "minor", "BATT-CF-018": "minor",
             "BATT-CF-025": "minor", "BATT-RD-001": "info", "BATT-RD-002": "info"}


def test_heuristic_rules_are_observations_with_their_reason(checker: Checker) -> None:
    rb = next(r for r in checker.rulebases if r.id == "eu-battery")
    rules = {r.id: r.spec for r in rb.by_type["eu-battery-cf"].check}
    for rule_id, severity in HEURISTIC.items():
        spec = rules[rule_id]
        assert spec.severity == severity, rule_id
        assert spec.notes and ("heuristic" in spec.notes or "plausib" in spec.notes
                               or "[D]" in spec.notes or "reading" in spec.notes
                               or "observation" in spec.notes), rule_id
    # the legal part of the study link stays a nonconformity
    assert rules["BATT-CF-020"].severity == "major"


def test_a_per_capacity_footprint_is_an_observation_not_a_nonconformity() -> None:
    filing = report(str(BATTERY / "02-per-capacity-unit.json"))["filings"][0]
    found = {f["rule_id"]: f["severity"] for f in filing["findings"]}
    assert found["BATT-CF-022"] == "minor" and found["BATT-CF-025"] == "minor"
    assert filing["grade"] == "B"
