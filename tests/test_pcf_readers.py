"""Product carbon footprints read as exchanged: PACT v2 and v3 and Catena-X 9.x
map onto the same canonical fields, keep their places in the file received,
note what they read by a rule, and a supplier footprint given as a battery's
declaration is refused saying what it is and which filing type reads it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from esgcheck.checker import Checker, Options
from esgcheck.engine.filing_types import default_registry
from esgcheck.filings.errors import InputError
from esgcheck.filings.reader import read_bytes

from .conftest import FIXTURES

SAMPLES = FIXTURES / "product-carbon-footprint"
CX_PUBLIC = FIXTURES / "eu-battery-cf" / "public" / "catena-x-pcf-9.0.0-Pcf.pcf"
REGISTRY = default_registry()


def read(data: bytes, forced: str | None = None) -> Any:
    return read_bytes(data, "f.json", REGISTRY, forced)


def sample(name: str) -> bytes:
    return (SAMPLES / f"{name}.json").read_bytes()


@pytest.mark.parametrize("name, fmt, dialect", [
    ("01-pact-v3-lfp-cell", "PACT ProductFootprint 3.0.3", "pact-v3"),
    ("02-pact-v2-cathode-powder", "PACT ProductFootprint 2.3.0", "pact-v2"),
    ("03-catena-x-nmc-cell", "Catena-X PCF 9.x", "catenax-9"),
    ("12-pact-v2-api-envelope-packaging", "PACT ProductFootprint 2.3.0", "pact-v2"),
])
def test_each_format_is_read_onto_the_canonical_type(name: str, fmt: str, dialect: str) -> None:
    filing = read(sample(name))
    assert filing.filing_type.id == "product-carbon-footprint"
    assert filing.read_as == fmt
    assert filing.doc["source"]["dialect"] == dialect
    for field in ("id", "company_name", "declared_unit", "declared_amount", "created"):
        assert field in filing.doc, field
    assert filing.doc["reference_period"]["start"] < filing.doc["reference_period"]["end"]
    assert "excluding_uptake" in filing.doc["emissions"]


def test_v2_and_v3_names_give_the_same_canonical_fields() -> None:
    v3 = read(sample("01-pact-v3-lfp-cell")).doc
    raw = json.loads(sample("01-pact-v3-lfp-cell"))
    pcf = raw["pcf"]
    raw["specVersion"] = "2.3.0"
    for old, new in (("declaredUnit", "declaredUnitOfMeasurement"),
                     ("unitaryProductAmount", "declaredUnitAmount"),
                     ("pCfExcludingBiogenic", "pcfExcludingBiogenicUptake"),
                     ("pCfIncludingBiogenic", "pcfIncludingBiogenicUptake"),
                     ("biogenicCarbonWithdrawal", "biogenicCO2Uptake"),
                     ("dLucGhgEmissions", "landUseChangeGhgEmissions"),
                     ("ipccCharacterizationFactorsSources", "ipccCharacterizationFactors")):
        pcf[old] = pcf.pop(new)
    v2 = read(json.dumps(raw).encode()).doc
    for field in ("declared_unit", "declared_amount", "characterization_factors"):
        assert v2[field] == v3[field], field
    for field in ("excluding_uptake", "including_uptake", "biogenic_uptake", "land_use_change"):
        assert v2["emissions"][field] == v3["emissions"][field], field


def test_findings_point_into_the_file_as_received(checker: Checker) -> None:
    report = checker.check_bytes(sample("12-pact-v2-api-envelope-packaging"), "env.json",
                                 Options())
    [finding] = report.findings
    assert finding.location.pointer == "/data/pcf/packagingGhgEmissions"
    text = sample("12-pact-v2-api-envelope-packaging").decode().splitlines()
    assert finding.location.line is not None
    assert '"packagingGhgEmissions"' in text[finding.location.line - 1]


def test_a_decimal_that_is_no_number_is_kept_for_the_schema_and_never_passed(
        checker: Checker) -> None:
    report = checker.check_bytes(sample("13-pact-v3-fossil-not-a-number"), "f.json", Options())
    outcomes = {(f.rule_id, f.outcome) for f in report.findings}
    assert ("SCHEMA.type", "breach") in outcomes
    assert ("PCF-SIGN-001", "not_assessable") in outcomes


def test_a_number_where_pact_wants_a_string_is_read_with_a_note() -> None:
    doc = read(sample("09-pact-v3-numbers-not-strings")).doc
    notes = {n["field"]: n for n in doc["source"]["notes"]}
    assert notes["/pcf/landUseChangeGhgEmissions"]["reason"] == "decimal_exponent"
    assert notes["/pcf/landUseChangeGhgEmissions"]["read_as"] == "0.8"
    assert notes["/pcf/fossilGhgEmissions"]["reason"] == "number_as_decimal_string"
    assert str(doc["emissions"]["land_use_change"]) == "0.8"


@pytest.mark.parametrize("data", [
    sample("01-pact-v3-lfp-cell"), sample("02-pact-v2-cathode-powder"), CX_PUBLIC.read_bytes()])
def test_a_supplier_footprint_given_as_a_battery_declaration_names_the_type_reading_it(
        data: bytes) -> None:
    with pytest.raises(InputError) as info:
        read(data, forced="eu-battery-cf")
    assert info.value.code == "pcf_other_type"
    en, zh = info.value.describe("en"), info.value.describe("zh")
    assert "product carbon footprint" in en and "not a carbon-footprint declaration" in en
    assert "--type product-carbon-footprint" in en
    assert "product-carbon-footprint" in zh and "产品碳足迹" in zh


def test_a_footprint_given_as_another_type_names_the_type_reading_it() -> None:
    with pytest.raises(InputError) as info:
        read(sample("01-pact-v3-lfp-cell"), forced="green-finance")
    assert info.value.code == "format_of_other_type"
    assert "product-carbon-footprint" in info.value.describe("en")


def test_catena_x_before_9_is_still_refused_by_name() -> None:
    flat = {"specVersion": "urn:io.catenax.pcf:datamodel:version:8.0.0", "companyIds": [],
            "pcf": {}}
    with pytest.raises(InputError) as info:
        read(json.dumps(flat).encode())
    assert info.value.code == "pcf_not_filing"


def test_a_second_catena_x_entity_is_named_not_dropped() -> None:
    doc = json.loads(sample("03-catena-x-nmc-cell"))
    time = doc["pcfAssessmentAndMethodology"][0]["pcfAssessmentInformation"][0]["time"]
    time.append({**time[0], "referencePeriodStart": "2023-01-01T00:00:00Z"})
    notes = read(json.dumps(doc).encode()).doc["source"]["notes"]
    assert [(n["reason"], n["field"]) for n in notes] == [
        ("entity_not_read", "/pcfAssessmentAndMethodology/0/pcfAssessmentInformation/0/time/1")]
