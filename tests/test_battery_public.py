"""Battery passports as they are published: the example payloads of the public data
models (fixtures/eu-battery-cf/public, byte for byte as received) give their
expected verdicts; IDTA 02035-3 EN 15804 modules map onto the Annex II stages as
documented; older Catena-X passports keep their non-ISO dates and unitless totals
visible; numbers with an exponent or beyond a double's precision are read
exactly; product carbon footprints are refused by name."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from esgcheck.checker import Checker
from esgcheck.filings.adapters import adapt, recognise
from esgcheck.filings.formats import idta
from esgcheck.filings.reader import read_bytes
from esgcheck.filings.validate import validate

from .conftest import FIXTURES

BATTERY = FIXTURES / "eu-battery-cf"
PUBLIC = BATTERY / "public"
EXPECTED: dict[str, Any] = yaml.safe_load((PUBLIC / "expected.yaml").read_text("utf-8"))
CHECKED = sorted(n for n, e in EXPECTED.items() if "refused" not in e)
REFUSED = sorted(n for n, e in EXPECTED.items() if "refused" in e)


def check(checker: Checker, data: bytes, name: str = "f.json", forced: str | None = None
          ) -> Any:
    from esgcheck.checker import Options

    return checker.check_bytes(data, name, Options(filing_type=forced))


# ---------------------------------------------------------------- the public payloads

def test_every_public_file_is_recorded_with_its_source_and_unchanged() -> None:
    """SOURCES.md names repository, path, commits, licence and SHA-256 of each file;
    the bytes here are still the bytes recorded."""
    table = (PUBLIC / "SOURCES.md").read_text("utf-8")
    rows = {cells[0]: cells for line in table.splitlines() if line.startswith("| ")
            and (cells := [c.strip() for c in line.strip("|").split("|")])[0] != "File here"
            and not set(cells[0]) <= set("-")}
    files = sorted(p.name for p in PUBLIC.iterdir() if p.name not in ("SOURCES.md",
                                                                    "expected.yaml"))
    assert sorted(rows) == files
    assert sorted(EXPECTED) == files
    for name, (_, repo, path, snapshot, commit, licence, sha) in rows.items():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", repo) and path
        assert re.fullmatch(r"[0-9a-f]{40}", snapshot) and re.fullmatch(r"[0-9a-f]{40}", commit)
        assert licence.startswith(("CC-BY-4.0", "Apache-2.0"))
        assert hashlib.sha256((PUBLIC / name).read_bytes()).hexdigest() == sha, name


@pytest.mark.parametrize("name", CHECKED)
def test_public_payload_gives_its_expected_findings(checker: Checker, name: str) -> None:
    expected = EXPECTED[name]
    report = checker.check_file(PUBLIC / name, name)
    assert report.status == "checked", report.error
    assert report.read_as == expected["read_as"]
    assert report.grade == expected["grade"]
    got = Counter((f.rule_id, f.outcome, f.location.pointer) for f in report.findings)
    assert got == Counter((f["rule"], f["outcome"], f["at"]) for f in expected["findings"])


@pytest.mark.parametrize("name", REFUSED)
@pytest.mark.parametrize("forced", [None, "eu-battery-cf"])
def test_a_product_carbon_footprint_is_refused_by_name(checker: Checker, name: str,
                                                      forced: str | None) -> None:
    refused = EXPECTED[name]["refused"]
    report = check(checker, (PUBLIC / name).read_bytes(), name, forced)
    assert report.status == "unreadable"
    assert report.error is not None
    assert report.error.code == (refused["code"] if forced is None else refused["forced"])
    for lang in ("en", "zh"):
        text = getattr(report.error.message, lang)
        assert refused["format"] in text  # what the file is
        assert "eu-battery-cf" in text  # the known types, or the one asked for
    assert "cannot tell the filing type" not in report.error.message.en
    assert "no esgcheck filing type reads" in report.error.message.en


def test_a_pact_footprint_and_a_generic_idta_pcf_are_recognised() -> None:
    pact = {"id": "91715e5e-fd0b-4d1c-8fab-76290c46e6ed", "specVersion": "2.0.0",
            "version": 0, "created": "2024-03-01T00:00:00Z", "status": "Active",
            "companyName": "Cell Supplier GmbH", "companyIds": ["urn:uuid:0c5a"],
            "productIds": ["urn:gtin:4712345060507"],
            "pcf": {"declaredUnit": "kilogram", "unitaryProductAmount": "1",
                    "pCfExcludingBiogenic": "8.1"}}
    assert recognise(pact) == "PACT ProductFootprint 2.0.0"
    generic = {"ProductCarbonFootprints": [{
        "PcfCalculationMethods": ["ISO 14067"], "PcfCo2eq": 2.4,
        "ReferenceImpactUnitForCalculation": "kg", "QuantityOfMeasureForCalculation": 1,
        "LifeCyclePhases": ["A1-A3"]}]}
    assert recognise(generic) == "IDTA 02023 Carbon Footprint"
    assert adapt(generic) is None  # not read as a battery declaration
    battery = {"ProductCarbonFootprints": [{**generic["ProductCarbonFootprints"][0],
                                            "PerformanceClass": "B"}]}
    assert recognise(battery) is None and adapt(battery) is not None


def test_a_passport_given_as_another_type_names_the_type_that_reads_it(
        checker: Checker) -> None:
    data = (PUBLIC / "tractusx-dpp-TestPassport.json").read_bytes()
    report = check(checker, data, "passport.json", "green-finance")
    assert report.status == "unreadable" and report.error is not None
    assert report.error.code == "format_of_other_type"
    assert "Catena-X battery_pass 3.x" in report.error.message.en
    assert "--type eu-battery-cf" in report.error.message.en
    assert "eu-battery-cf" in report.error.message.zh


# ---------------------------------------------------------------- encodings and layouts

def test_utf16_and_crlf_as_received_are_read_and_located(checker: Checker) -> None:
    name = "batterypass-1.2.0-CarbonFootprintForBatteries-payload.json"
    raw = (PUBLIC / name).read_bytes()
    assert raw.startswith(b"\xff\xfe") and b"\r\x00\n\x00" in raw
    report = checker.check_file(PUBLIC / name, name)
    study = next(f for f in report.findings if f.rule_id == "BATT-CF-020")
    lines = raw[2:].decode("utf-16-le").split("\r\n")
    assert study.location.line is not None and study.location.column is not None
    assert lines[study.location.line - 1][study.location.column - 1:].startswith(
        '"telnet://192.0.2.16:80/"')

    crlf = BATTERY / "14-idta-02035-3-aas-submodel-crlf.json"
    text = crlf.read_bytes()
    assert b"\r\n" in text and b"\n" not in text.replace(b"\r\n", b"")
    report = checker.check_file(crlf, crlf.name)
    comma = next(f for f in report.findings if f.rule_id == "SCHEMA.type")
    assert comma.location.line is not None
    assert '"0,012"' in text.decode("utf-8").split("\r\n")[comma.location.line - 1]


# ---------------------------------------------------------------- numbers

BP_FOOTPRINT = (BATTERY / "11-battery-pass-footprint-only.json").read_text("utf-8")


@pytest.mark.parametrize("written, exact", [
    ("1.7E-1", Decimal("0.17")),
    ("17e-2", Decimal("0.17")),
    ("0.17000000000000000000001", Decimal("0.17000000000000000000001")),
])
def test_numbers_with_an_exponent_or_beyond_a_double_are_read_exactly(
        checker: Checker, written: str, exact: Decimal) -> None:
    data = BP_FOOTPRINT.replace('"batteryCarbonFootprint": 0.17',
                                f'"batteryCarbonFootprint": {written}').encode()
    filing = read_bytes(data, "bp.json", checker.registry)
    total = filing.doc["declarations"][0]["carbon_footprint"]["total"]
    assert total["unit"] == "kgCO2e/kWh" and Decimal(total["value"]) == exact
    assert str(total["value"]).replace("+", "").lower() in (written.lower(), str(exact))
    stage = filing.doc["declarations"][0]["carbon_footprint"]["stages"][0]["value"]
    assert stage == {"value": Decimal("0.11"), "unit": "kgCO2e/kWh"}  # exact for every number
    assert validate(filing.filing_type, filing.doc) == []
    report = checker.check_bytes(data, "bp.json")
    assert not [f for f in report.findings if f.rule_id.startswith("SCHEMA")]
    # the footprint is read, so the same verdict as the sample written plainly
    plain = checker.check_file(BATTERY / "11-battery-pass-footprint-only.json", "bp.json")
    assert Counter(f.rule_id for f in report.findings) == Counter(
        f.rule_id for f in plain.findings)


def test_a_malformed_value_is_one_schema_finding_where_it_is_written(checker: Checker) -> None:
    """Battery Pass's footprint is both the declaration's and the passport's in the
    canonical filing; the one bad value is one finding, at its own place."""
    data = BP_FOOTPRINT.replace('"batteryCarbonFootprint": 0.17',
                                '"batteryCarbonFootprint": "0,17"').encode()
    filing = read_bytes(data, "bp.json", checker.registry)
    assert filing.doc["passport"]["carbon_footprint"]["total"]["value"] == "0,17"
    assert filing.doc["declarations"][0]["carbon_footprint"]["total"]["value"] == "0,17"
    problems = validate(filing.filing_type, filing.doc)
    assert [(p.keyword, p.params) for p in problems] == [("type", {"expected": "number"})]
    report = checker.check_bytes(data, "bp.json")
    schema = [f for f in report.findings if f.rule_id.startswith("SCHEMA")]
    assert [(f.rule_id, f.location.pointer, f.location.line) for f in schema] == [
        ("SCHEMA.type", "/batteryCarbonFootprint", 2)]
    assert schema[0].message.en == "wrong type: expected number"


# ---------------------------------------------------------------- older Catena-X passports

TEST_PASSPORT = json.loads((PUBLIC / "tractusx-dpp-TestPassport.json").read_text("utf-8"))


def notes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["field"]: n for n in doc.get("source", {}).get("notes", [])}


def test_a_dotted_date_is_read_day_first_and_the_original_kept(checker: Checker) -> None:
    filing = read_bytes(json.dumps(TEST_PASSPORT).encode(), "p.json", checker.registry)
    assert filing.doc["passport"]["placed_on_market"] == "2022-04-27"
    assert filing.doc["declarations"][0]["placed_on_market"] == "2022-04-27"
    note = notes(filing.doc)["/datePlacedOnMarket"]
    assert note == {"reason": "date_day_month_year", "field": "/datePlacedOnMarket",
                    "value": "27.04.2022", "read_as": "2022-04-27"}
    report = checker.check_file(PUBLIC / "tractusx-dpp-TestPassport.json", "p.json")
    found = next(f for f in report.findings if f.rule_id == "BATT-RD-001"
                 and f.location.pointer == "/datePlacedOnMarket")
    assert "27.04.2022" in found.message.en and "2022-04-27" in found.message.en
    assert "DD.MM.YYYY" in found.message.en and "DD.MM.YYYY" in found.message.zh
    assert {e.display for e in found.evidence} >= {"27.04.2022", "2022-04-27"}


@pytest.mark.parametrize("written", ["31.02.2022", "04/27/2022", "2022/04/27", "27-04-2022"])
def test_a_date_no_rule_reads_is_reported_not_dropped(checker: Checker, written: str) -> None:
    doc = {**TEST_PASSPORT, "datePlacedOnMarket": written}
    report = checker.check_bytes(json.dumps(doc, indent=1).encode(), "p.json")
    schema = [(f.rule_id, f.location.pointer) for f in report.findings
              if f.rule_id.startswith("SCHEMA")]
    assert schema == [("SCHEMA.format", "/datePlacedOnMarket")]  # once, at its place
    assert not any(f.rule_id == "BATT-RD-001" and f.location.pointer == "/datePlacedOnMarket"
                   for f in report.findings)


def test_a_total_without_unit_is_not_taken_per_kwh(checker: Checker) -> None:
    """cO2FootprintTotal is read as the battery's absolute footprint in kg CO2e, the
    unit its model gives it, and the finding says so; the per-kWh footprint stays
    unknown, so the rules that need it are not assessable, not passed."""
    filing = read_bytes(json.dumps(TEST_PASSPORT).encode(), "p.json", checker.registry)
    cf = filing.doc["declarations"][0]["carbon_footprint"]
    assert cf == {"absolute": {"value": 210, "unit": "kgCO2e"}}
    assert filing.adapted is not None
    assert not filing.adapted.carries("/declarations/0/carbon_footprint/total")
    assert notes(filing.doc)["/cO2FootprintTotal"]["read_as"] == "210 kgCO2e"
    # placed on the market today, so that the obligations are judged
    doc = json.loads((PUBLIC / "tractusx-dpp-TestPassport.json").read_text("utf-8"))
    doc["datePlacedOnMarket"] = "02.03.2026"
    report = checker.check_bytes(json.dumps(doc).encode(), "p.json")
    unit = next(f for f in report.findings if f.rule_id == "BATT-RD-001"
                and f.location.pointer == "/cO2FootprintTotal")
    assert "'210'" in unit.message.en and "unit:kilogram" in unit.message.en
    assert "not the per-kWh footprint" in unit.message.en
    declared = next(f for f in report.findings if f.rule_id == "BATT-CF-013")
    assert declared.outcome == "not_assessable"
    # taken per kWh, 210 would be far above the plausibility bound (BATT-CF-022)
    assert not {"BATT-CF-022", "BATT-CF-014", "BATT-CF-017"} & {
        f.rule_id for f in report.findings}


def test_a_catena_x_6_value_without_unit_is_not_read(checker: Checker) -> None:
    doc = json.loads((BATTERY / "12-catena-x-battery-pass.json").read_text("utf-8"))
    del doc["sustainability"]["carbonFootprint"][0]["unit"]  # the total
    filing = read_bytes(json.dumps(doc).encode(), "cx.json", checker.registry)
    assert "total" not in filing.doc["declarations"][0]["carbon_footprint"]
    assert notes(filing.doc)["/sustainability/carbonFootprint/0/value"] == {
        "reason": "no_unit", "field": "/sustainability/carbonFootprint/0/value",
        "value": "0.17"}
    report = checker.check_bytes(json.dumps(doc).encode(), "cx.json")
    assert any(f.rule_id == "BATT-RD-002" and "0.17" in f.message.en for f in report.findings)


# ---------------------------------------------------------------- IDTA 02035-3

def stage_of(phases: list[str]) -> Any:
    """What one IDTA entry of 0.01 kg CO2e/kWh for ``phases`` becomes."""
    entry = {"PcfCalculationMethods": ["EN 15804"], "PcfCo2eq": 0.01,
             "ReferenceImpactUnitForCalculation": "kWh", "QuantityOfMeasureForCalculation": 1,
             "LifeCyclePhases": phases, "PerformanceClass": "B",
             "WebLinkToPublicCarbonFootprintStudy": ["https://cf.example-battery.eu/s.pdf"]}
    adapted = adapt({"ProductCarbonFootprints": [entry]})
    assert adapted is not None
    stages = adapted.doc["declarations"][0]["carbon_footprint"].get("stages", [])
    if stages:
        return stages[0]["stage"], stages[0].get("label")
    reasons = [n["reason"] for n in adapted.doc.get("source", {}).get("notes", [])]
    return None, reasons


@pytest.mark.parametrize("phases, stage", [
    # the model's own mapping (DIN DKE SPEC 99100)
    (["A1 - raw material supply (and upstream production)"], "raw_material_acquisition"),
    (["A3 - production"], "main_production"),
    (["A4 - transport to final destination"], "distribution"),
    (["C3 - recycling, waste treatment"], "end_of_life"),
    # the rest of end of life, and the use stage
    (["C1 - reassembly"], "end_of_life"),
    (["C2 - transport to recycler"], "end_of_life"),
    (["C4 - landfill"], "end_of_life"),
    (["C1-C4"], "end_of_life"),
    (["C2-C4"], "end_of_life"),
    (["C2 - transport to recycler", "C3 - recycling, waste treatment"], "end_of_life"),
    (["B1-B7"], "use"),
    (["B6 - usage energy consumption"], "use"),
    # straddling, or no Annex II stage: kept, named "other"
    (["A1-A3"], "other"),
    (["A2 - cradle-to-gate transport to factory"], "other"),
    (["A1 - raw material supply (and upstream production)", "A3 - production"], "other"),
    (["A4-A5"], "other"),
    (["A5 - Installation"], "other"),
])
def test_en15804_modules_map_onto_annex_ii_stages(phases: list[str], stage: str) -> None:
    got, label = stage_of(phases)
    assert got == stage
    if stage == "other":
        assert label == ", ".join(phases)


@pytest.mark.parametrize("phases, reason", [
    (["D - reuse"], "module_d"),
    (["C3 - recycling, waste treatment", "D - reuse"], "module_d"),
    (["A1-A3", "A4", "C1-C4", "D - reuse"], "total_includes_module_d"),
    (["X9 - somewhere"], "unknown_phase"),
    ([], "no_phase"),
])
def test_what_has_no_annex_ii_place_is_not_read_and_said(phases: list[str], reason: str
                                                         ) -> None:
    got, reasons = stage_of(phases)
    assert got is None and reasons == [reason]


def test_the_total_is_the_entry_over_all_four_stages() -> None:
    adapted = adapt(json.loads(
        (BATTERY / "13-idta-02035-3-en15804-modules.json").read_text("utf-8")))
    assert adapted is not None
    cf = adapted.doc["declarations"][0]["carbon_footprint"]
    assert cf["total"] == {"value": 0.17, "unit": "kgCO2e/kWh"}
    assert adapted.doc["passport"]["carbon_footprint"]["total"] == cf["total"]
    assert [s["stage"] for s in cf["stages"]] == [
        "raw_material_acquisition", "other", "main_production", "distribution", "end_of_life"]
    assert sum(Decimal(repr(s["value"]["value"])) for s in cf["stages"]) == Decimal("0.17")
    assert cf["method"] == "EN 15804; ISO 14067"
    assert cf["study_url"].startswith("https://")
    assert adapted.source_of(("declarations", 0, "carbon_footprint", "stages", 1, "value")) == (
        ("ProductCarbonFootprints", 2, "PcfCo2eq"), True)


def test_a_total_with_module_d_is_not_the_footprint_and_rules_say_so(checker: Checker) -> None:
    data = (BATTERY / "14-idta-02035-3-aas-submodel-crlf.json").read_bytes()
    filing = read_bytes(data, "aas.json", checker.registry)
    assert filing.adapted is not None
    cf = filing.doc["declarations"][0]["carbon_footprint"]
    assert "total" not in cf
    assert not filing.adapted.carries("/declarations/0/carbon_footprint/total")
    assert cf["absolute"] == {"value": Decimal("9800"), "unit": "kgCO2e"}  # the per-piece total
    reasons = {n["reason"] for n in filing.doc["source"]["notes"]}
    assert reasons == {"total_includes_module_d", "module_d"}


def test_per_quantity_and_single_values_are_read_by_the_stated_rule() -> None:
    doc = json.loads((PUBLIC / "idta-02035-3-1.0.0-CarbonFootprintBattery.json").read_text())
    adapted = adapt(doc)
    assert adapted is not None
    stage = adapted.doc["declarations"][0]["carbon_footprint"]["stages"][0]
    assert stage["stage"] == "end_of_life"
    assert stage["value"] == {"value": Decimal("3.44"), "unit": "kgCO2e"}  # 17.2 / 5.0, per piece
    by_field = notes(adapted.doc)
    assert by_field["/ProductCarbonFootprints/0/PcfCo2eq"]["read_as"] == (
        "17.2 / 5.0 = 3.44 kgCO2e")
    assert by_field["/ProductCarbonFootprints/0/LifeCyclePhases"]["reason"] == "one_as_list"
    assert by_field["/ProductCarbonFootprints/0/WebLinkToPublicCarbonFootprintStudy/0"][
        "reason"] == "document_identifier"
    assert "study_url" not in adapted.doc["declarations"][0]["carbon_footprint"]


@pytest.mark.parametrize("phase, modules", [
    ("A1-A3", ["A1", "A2", "A3"]),
    ("A1\u2013A3", ["A1", "A2", "A3"]),
    ("b1-b7", [f"B{n}" for n in range(1, 8)]),
    ("D - reuse", ["D"]),
    ("C2-C4", ["C2", "C3", "C4"]),
    ("A1-C4", None),  # across letters: no module range
    ("A6", None),
    ("Cradle to gate", None),
    ("A10", None),
])
def test_module_names_are_parsed_strictly(phase: str, modules: list[str] | None) -> None:
    assert idta.en15804_modules(phase) == modules


def test_the_readme_lists_the_mapping_the_reader_applies() -> None:
    """The rule base's README documents the module -> stage table; each row of it
    is what the reader does."""
    readme = (Path(__file__).resolve().parent.parent / "esgcheck" / "rules" / "eu-battery"
              / "README.md").read_text("utf-8")
    section = readme.split("### IDTA 02035-3: EN 15804 modules and Annex II", 1)[1]
    rows = [line for line in section.split("\n\n", 2)[1].splitlines()
            if line.startswith("| ") and not line.startswith("| EN 15804")]
    assert len(rows) >= 10
    names = {"raw material acquisition": "raw_material_acquisition",
             "main product production": "main_production", "distribution": "distribution",
             "end of life and recycling": "end_of_life", "use (excluded": "use",
             "not mapped": "other", "not read": None}
    for row in rows:
        module, reading = (c.strip() for c in row.strip("|").split("|")[:2])
        want = next(v for k, v in names.items() if reading.lower().startswith(k))
        got, _ = stage_of([module.strip("`")])
        assert got == want, row
