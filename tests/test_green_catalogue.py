"""The green-catalogue rule base: its catalogue data files, the edition that
applies as the as-of date moves, and what it says when it cannot verify."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from esgcheck.checker import Checker, Options
from esgcheck.cli import main
from esgcheck.engine.rulebase import RuleBase

from .conftest import FIXTURES, ROOT

FOLDER = ROOT / "esgcheck/rules/green-catalogue"
DATA = FOLDER / "data"
SAMPLES = FIXTURES / "green-finance"
CODE4 = re.compile(r"^[1-6]\.\d+\.\d+\.\d+$")


@pytest.fixture(scope="module")
def rulebase(checker: Checker) -> RuleBase:
    (rb,) = [rb for rb in checker.rulebases if rb.id == "green-catalogue"]
    return rb


def header(name: str) -> dict[str, Any]:
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.yaml")))
def test_every_catalogue_file_names_its_source_edition_and_licence(name: str) -> None:
    data = header(name)
    assert data.get("sources") or data.get("source")
    assert data.get("licence")
    assert data.get("edition")
    assert data.get("coverage")
    assert data.get("effective") or data.get("published") or name == "cn-industry-catalogues.yaml"


def codes(rb: RuleBase, table: str) -> list[str]:
    keys = rb.tables[table].keys()  # a Table, not a dict: its keys are a frozenset
    return sorted(str(k) for k in keys)


def test_the_2021_catalogue_loads_as_a_four_level_hierarchy(rulebase: RuleBase) -> None:
    data = header("cn-bond-catalogue-2021.yaml")
    assert data["effective"] == date(2021, 7, 1) and data["document_number"] == "银发〔2021〕96号"
    level1, level2 = codes(rulebase, "bond2021_level1"), codes(rulebase, "bond2021_level2")
    level3, items = codes(rulebase, "bond2021_level3"), codes(rulebase, "bond2021_items")
    assert (len(level1), len(level2), len(level3), len(items)) == (6, 25, 47, 203)
    assert all(c.rsplit(".", 1)[0] in level1 for c in level2)
    assert all(c.rsplit(".", 1)[0] in level2 for c in level3)
    table = rulebase.tables["bond2021_items"]
    groups: dict[str, list[int]] = defaultdict(list)
    for code in items:
        assert CODE4.match(code), code
        row = table.get(code)
        assert row is not None and row["level3"] == code.rsplit(".", 1)[0]
        assert row["tag"] in ("V", "V2") and row["name_zh"] and row["conditions_en"]
        groups[row["level3"]].append(int(code.rsplit(".", 1)[1]))
    assert set(groups) == set(level3)  # every group has items
    for group, numbers in groups.items():  # contiguous: a lost entry would be a whole group
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), group


def test_the_verified_energy_efficiency_grades(rulebase: RuleBase) -> None:
    table = rulebase.tables["bond2021_items"]
    grades = {code: table.get(code)["grade_max"]  # type: ignore[index]
              for code in codes(rulebase, "bond2021_items")
              if table.get(code)["grade_max"] is not None}  # type: ignore[index]
    # motors, transformers, fans, compressors, appliances, commercial equipment: grade 1;
    # industrial boilers: grade 2 or better
    assert {k: int(v) for k, v in grades.items()} == {
        "1.1.1.1": 2, "1.1.1.4": 1, "1.1.1.6": 1, "1.1.1.8": 1, "1.1.1.9": 1,
        "1.1.1.11": 1, "1.1.1.12": 1}
    assert "GB 18613" in table.get("1.1.1.8")["grade_standards"]  # type: ignore[index]


def test_natural_gas_items_remain_in_the_2021_catalogue(rulebase: RuleBase) -> None:
    table = rulebase.tables["bond2021_items"]
    for code in ("3.2.3.3", "3.2.3.4", "3.2.1.6", "1.5.2.1", "3.2.3.6"):
        assert table.get(code) is not None, code


def test_unverified_editions_ship_no_items(rulebase: RuleBase) -> None:
    assert codes(rulebase, "gf2025_items") == []
    assert codes(rulebase, "cgt_activities") == []
    assert len(rulebase.tables["gf2025_domains"].keys()) == 9
    assert len(rulebase.tables["industry2019_level1"].keys()) == 6
    assert len(rulebase.tables["industry2024_level1"].keys()) == 7
    data = header("cn-green-finance-2025.yaml")
    assert (data["published"], data["effective"]) == (date(2025, 7, 15), date(2025, 10, 1))


def test_eu_criteria_belong_to_encoded_activities(rulebase: RuleBase) -> None:
    activities = rulebase.tables["eu_activities"]
    assert len(activities.keys()) == 24
    typed = ("intensity", "specific", "density", "specific_energy", "share", "number")
    tsc = rulebase.tables["eu_tsc"]
    for key in codes(rulebase, "eu_tsc"):
        row = tsc.get(key)
        assert row is not None
        assert activities.get(row["activity"])["kind"] == "threshold"  # type: ignore[index]
        assert sum(row.get(c) is not None for c in typed) == 1, key  # one limit per row
        assert row["op"] in ("<", "<=", ">", ">=")
    limits = rulebase.tables["eu_vehicle_limits"]
    assert limits.get_dated("6.5|M1", date(2025, 12, 31))["op"] == "<"  # type: ignore[index]
    assert limits.get_dated("6.5|M1", date(2026, 1, 1))["op"] == "<="  # type: ignore[index]
    for key in codes(rulebase, "eu_vehicle_limits"):  # "activity|category", 6.5 and 3.3 alike
        activity, category = key.split("|")
        assert activity in ("6.5", "3.3") and category in ("M1", "N1", "L"), key
    # L: zero at any date [V-data S20]
    assert limits.get_dated("3.3|L", date(2022, 1, 1))["op"] == "<="  # type: ignore[index]
    assert limits.get_dated("3.3|L", date(2030, 1, 1))["distance"].value == 0  # type: ignore[index]


def test_the_readme_states_the_coverage_the_data_has(rulebase: RuleBase) -> None:
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    assert f"**level 4: {len(codes(rulebase, 'bond2021_items'))} items**" in readme
    assert f"**{len(rulebase.tables['eu_activities'].keys())} activities**" in readme
    assert "**0 items**" in readme and "**0 activities**" in readme


# ---------------------------------------------------------------- editions by date


def version_and_findings(checker: Checker, name: str, as_of: str | None
                         ) -> tuple[str | None, list[str]]:
    options = Options(as_of=date.fromisoformat(as_of) if as_of else None)
    report = checker.check_file(SAMPLES / name, name, options)
    return report.rulebases[0].version, [f.rule_id for f in report.findings]


@pytest.mark.parametrize("as_of, version, findings", [
    ("2021-06-30", "2015", ["GC-ED-003"]),      # before the 2021 catalogue
    ("2021-07-01", "2021", []),
    ("2025-09-30", "2021", []),
    ("2025-10-01", "2025", ["GC-ED-002"]),      # approved 2023: the 2021 catalogue is kept
])
def test_the_as_of_date_switches_the_catalogue(checker: Checker, as_of: str, version: str,
                                                findings: list[str]) -> None:
    got = version_and_findings(checker, "01-compliant-domestic-bond-2021.json", as_of)
    assert got == (version, findings)


def test_a_new_product_switches_at_2025_10_01(checker: Checker) -> None:
    name = "02-issued-after-2025-10-citing-2021.json"
    assert version_and_findings(checker, name, "2025-09-30") == ("2021", [])
    assert version_and_findings(checker, name, "2025-10-01") == ("2025", ["GC-ED-001"])


def test_the_json_report_names_the_version_that_applies() -> None:
    result = CliRunner().invoke(main, ["check", "--format", "json", "--as-of", "2025-10-01",
                                       str(SAMPLES / "01-compliant-domestic-bond-2021.json")])
    filing = json.loads(result.stdout)["filings"][0]
    assert filing["as_of"] == "2025-10-01" and filing["as_of_source"] == "option"
    assert filing["rulebases"] == [{
        "id": "green-catalogue", "version": "2025", "in_force": True, "ran": "all",
        "title": {"zh": "绿色项目目录——募投项目合规预审",
                  "en": "Green-project catalogues — use-of-proceeds pre-screening"}}]


# ---------------------------------------------------------------- cannot verify


@pytest.mark.parametrize("name, rule", [
    ("14-2025-catalogue-items-unverifiable.json", "GC-IT-004"),
    ("08-international-issuer-cgt.json", "GC-CGT-001"),
])
def test_what_cannot_be_verified_says_so(checker: Checker, name: str, rule: str) -> None:
    report = checker.check_file(SAMPLES / name, name)
    found = [f for f in report.findings if f.rule_id == rule]
    assert found and all(f.outcome == "not_assessable" for f in found)
    for f in found:
        assert f.message.en.startswith("Cannot verify item")
        assert f.message.zh.startswith("无法核实项目")
    assert report.grade == "N"


def test_a_code_under_an_unknown_group_cannot_be_verified(checker: Checker) -> None:
    doc = json.loads((SAMPLES / "01-compliant-domestic-bond-2021.json").read_text("utf-8"))
    doc["projects"][1]["item_code"] = "2.1.9.1"  # no group 2.1.9 is known
    doc["projects"][1].pop("category_names")
    report = checker.check_bytes(json.dumps(doc, ensure_ascii=False).encode(), "x.json")
    by_rule = {f.rule_id: f for f in report.findings}
    assert sorted(by_rule) == ["GC-IT-003", "GC-PR-001"]
    finding, allocation = by_rule["GC-IT-003"], by_rule["GC-PR-001"]
    assert (finding.rule_id, finding.outcome) == ("GC-IT-003", "not_assessable")
    assert "2.1.9.1" in finding.message.en and "203" in finding.message.en
    # whether its 40 % goes to an eligible project is unknown too, so the
    # 100 % rule cannot be decided either (it used to count the project)
    assert (allocation.rule_id, allocation.outcome) == ("GC-PR-001", "not_assessable")
    assert "known to be eligible take 60 %" in allocation.message.en


def test_industry_catalogue_listing_does_not_save_a_coal_project(checker: Checker) -> None:
    report = checker.check_file(SAMPLES / "03-clean-coal-project.json", "coal.json")
    excluded = next(f for f in report.findings if f.rule_id == "GC-IT-010")
    assert "even where an industry catalogue still lists it" in excluded.message.en
    allocation = next(f for f in report.findings if f.rule_id == "GC-PR-001")
    assert "60 %" in allocation.message.en  # the coal project's 40 % does not count


# ---------------------------------------------------------------- fossil fuels beyond the flag

KINDS = {"coal_production", "coal_power", "coal_use", "oil_production", "oil_use",
         "gas_production", "gas_use"}


def fossil_rows(table: str) -> list[dict[str, Any]]:
    rows = header("fossil-indicators.yaml")["tables"][table]["rows"]
    assert isinstance(rows, list)
    return rows


def kinds_of(text: str) -> set[str]:
    return {k for k in text.split(";") if k}


def project_schema() -> dict[str, Any]:
    schema = json.loads((ROOT / "esgcheck/schemas/green-finance.schema.json").read_text("utf-8"))
    props = schema["properties"]["projects"]["items"]["properties"]
    assert isinstance(props, dict)
    return props


def test_the_fossil_term_list_is_well_formed(rulebase: RuleBase) -> None:
    terms = fossil_rows("fossil_terms")
    assert len(terms) == len(rulebase.tables["fossil_terms"].keys()) > 100
    for row in terms:
        assert row["kind"] in KINDS and row["fuel"] == row["kind"].split("_")[0], row
        assert row["term"] == row["term"].lower() and row["term"].strip() == row["term"], row
        assert row["why"], row
        # English terms are phrases, never the bare words that occur in harmless ones
        assert row["term"] not in ("coal", "oil", "gas", "petrol", "fuel"), row
    names = {row["term"] for row in terms}
    for row in fossil_rows("fossil_set_aside"):
        assert row["phrase"] == row["phrase"].lower() and row["why"], row
        assert kinds_of(row["sets_aside"]) <= KINDS, row
        if not row["sets_aside"]:  # a longer word: it must contain some other term
            assert any(t in row["phrase"] and t != row["phrase"] for t in names), row


def test_every_term_matches_the_cue_that_skips_texts_without_one() -> None:
    rulebase_yaml = yaml.safe_load((FOLDER / "rulebase.yaml").read_text(encoding="utf-8"))
    cue = re.compile(rulebase_yaml["config"]["fossil_term_cue"]["value"])
    assert all(cue.search(row["term"]) for row in fossil_rows("fossil_terms"))


def test_the_fuel_codes_and_flags_match_the_schema() -> None:
    props = project_schema()
    codes = {row["code"]: row for row in fossil_rows("fossil_fuel_codes")}
    assert set(codes) == set(props["fuels"]["items"]["enum"])
    assert set(codes) == set(props["fuels_replaced"]["items"]["enum"])
    for row in codes.values():
        assert kinds_of(row["kind"]) <= KINDS and kinds_of(row["replaced_sets_aside"]) <= KINDS
    assert {c for c, r in codes.items() if r["kind"]} == {
        "coal", "coke", "coal_mine_methane", "crude_oil", "oil_products", "petcoke", "lpg",
        "natural_gas"}
    flags = {row["flag"]: row for row in fossil_rows("fossil_flags")}
    assert set(flags) == set(props["fossil_fuel"]["enum"])
    assert flags["none"]["admits"] == ""
    for row in flags.values():
        assert kinds_of(row["admits"]) <= KINDS


def test_the_items_that_admit_fossil_fuels_are_items(rulebase: RuleBase) -> None:
    items = rulebase.tables["bond2021_items"]
    rows = {row["code"]: row for row in fossil_rows("bond2021_fossil_items")}
    excluded = set(yaml.safe_load((FOLDER / "rulebase.yaml").read_text(encoding="utf-8"))
                   ["config"]["fossil_excluded"]["value"])
    said_without_exclusion = {k for row in fossil_rows("fossil_flags")
                              if row["flag"] not in excluded for k in kinds_of(row["admits"])}
    for code, row in rows.items():
        assert items.get(code) is not None, code
        admits, uses = kinds_of(row["admits"]), kinds_of(row["uses"])
        assert admits <= KINDS and kinds_of(row["implies"]) <= uses <= admits
        # a use the item asks to be flagged is one a flag can say without excluding
        assert uses <= said_without_exclusion, code
    # the gas items the 2021 catalogue kept (items §1.8) admit gas
    for code in ("3.2.3.3", "3.2.3.4", "3.2.1.6", "1.6.1.3", "5.5.4.1", "1.5.2.1"):
        assert "gas_use" in kinds_of(rows[code]["admits"]), code
    # coal power is admitted only where the item is about its CO2 or its residues
    assert {c for c, r in rows.items() if "coal_power" in kinds_of(r["admits"])} == {
        "3.2.3.6", "2.3.1.1"}


HARMLESS = ["煤矸石综合利用", "粉煤灰制砖", "餐饮油烟净化", "散煤治理", "煤改气", "去煤化",
            "石漠化综合治理", "油菜种植", "沼气工程", "垃圾填埋气发电", "charcoal",
            "palm oil mill", "greenhouse gas monitoring", "biogas plant", "landfill gas",
            "cooking oil collection", "coal gangue", "fly ash"]


@pytest.mark.parametrize("text", HARMLESS)
def test_no_term_is_part_of_a_harmless_word(text: str) -> None:
    found = [row["term"] for row in fossil_rows("fossil_terms") if row["term"] in text.lower()]
    assert not found


def observed(checker: Checker, **project: Any) -> list[Any]:
    """The GC-IT-012 findings on the compliant bond with its first project changed."""
    doc = json.loads((SAMPLES / "01-compliant-domestic-bond-2021.json").read_text("utf-8"))
    doc["projects"][0].pop("category_names")
    doc["projects"][0].update(project)
    report = checker.check_bytes(json.dumps(doc, ensure_ascii=False).encode(), "x.json")
    return [f for f in report.findings if f.rule_id == "GC-IT-012"]


@pytest.mark.parametrize("name, code, word", [
    ("燃煤电厂超低排放改造", "2.1.1.1", "燃煤电厂"),     # clean coal, not industrial boilers
    ("华电火电机组灵活性改造", "1.1.2.5", "火电"),
    ("煤制烯烃项目余热利用", "1.1.2.3", "煤制"),
    ("炼油厂加热炉能效提升", "1.1.2.1", "炼油"),  # the boiler item: oil use, not refining
    ("页岩气开采配套集输管道", "3.2.3.3", "页岩气"),  # the gas item: gas, not its extraction
    ("天然气制氢项目", "3.2.2.8", "天然气"),  # the hydrogen item names clean hydrogen
    ("Coal-fired power plant efficiency upgrade", "1.1.2.5", "coal-fired power"),
    ("Offshore oil field electrification", "3.1.1.2", "oil field"),
    ("海岛柴油发电机组", "3.2.2.1", "柴油"),
])
def test_fossil_words_are_reported_for_review(checker: Checker, name: str, code: str,
                                              word: str) -> None:
    (finding,) = observed(checker, name=name, item_code=code)
    assert (finding.severity, finding.outcome) == ("minor", "breach")
    assert f"name '{word}'" in finding.message.en and word in finding.message.zh


@pytest.mark.parametrize("name, code", [
    ("城区燃煤锅炉煤改气集中供热改造", "5.1.1.1"),     # the switch the catalogue admits
    ("燃煤锅炉煤改电改造", "3.2.2.9"),
    ("燃煤工业锅炉脱硫脱硝除尘改造", "2.1.1.1"),
    ("燃煤电厂粉煤灰综合利用", "2.3.1.1"),
    ("燃煤电厂二氧化碳捕集与封存", "3.2.3.6"),
    ("西气东输支线天然气管道", "3.2.3.3"),
    ("LNG动力内河船舶制造", "1.6.1.3"),
    ("淮南采煤沉陷区生态修复", "4.2.1.13"),
    ("地沟油制生物柴油", "3.2.2.3"),
    ("生物天然气提纯工程", "3.2.2.3"),
    ("港口岸电以电代油改造", "5.5.3.1"),
    ("Coal phase-out: coal-fired boilers replaced by heat pumps", "3.2.2.9"),
    ("Biodiesel from used cooking oil", "3.2.2.3"),
])
def test_what_the_catalogue_admits_is_not_reported(checker: Checker, name: str, code: str) -> None:
    assert observed(checker, name=name, item_code=code) == []


def test_the_filers_flag_and_fuels_are_read_too(checker: Checker) -> None:
    # a gas project that says so explains its gas words, not coal ones
    assert observed(checker, name="燃气冷热电三联供", item_code="3.2.3.4",
                    fossil_fuel="gas_chp") == []
    (finding,) = observed(checker, name="燃气及燃煤联合供热", item_code="3.2.3.4",
                          fossil_fuel="gas_chp")
    assert "'燃煤'" in finding.message.en
    # the excluded flag stands: GC-IT-010, not this rule
    assert observed(checker, name="燃煤电厂超低排放改造", fossil_fuel="coal_clean_use") == []
    # fuels and a fuel replaced
    (finding,) = observed(checker, fuels=["wind", "oil_products"])
    assert "fuels 'oil_products'" in finding.message.en
    assert observed(checker, name="燃煤锅炉改造为空气源热泵", item_code="3.2.2.9",
                    fuels=["ambient_heat", "electricity"], fuels_replaced=["coal"]) == []


def test_the_observation_names_its_words_and_where_they_are(checker: Checker) -> None:
    name = "18-coal-plant-retrofit-flagged-none.json"
    report = checker.check_file(SAMPLES / name, name)
    (finding,) = report.findings
    assert (finding.rule_id, finding.severity, report.grade) == ("GC-IT-012", "minor", "B")
    assert "name '燃煤机组', description '燃煤机组', fuels 'coal'" in finding.message.en
    derived = {d.fact: d for d in finding.derivation}
    assert derived["fossil_term_name"].value == "燃煤机组"
    assert derived["fossil_term_description"].value == "燃煤机组"
    assert derived["fossil_fuel_listed"].value == "coal"
    read = {e.name for d in finding.derivation for e in d.evidence}
    assert {"/projects/1/name", "/projects/1/description"} <= read


def test_a_coal_to_gas_switch_is_not_reported(checker: Checker) -> None:
    name = "19-coal-to-gas-district-heating.json"
    doc = json.loads((SAMPLES / name).read_text("utf-8"))
    assert "燃煤" in doc["projects"][1]["name"] and "天然气" in doc["projects"][1]["description"]
    report = checker.check_file(SAMPLES / name, name)
    assert (report.grade, report.findings) == ("A", [])
