"""The cn-eidm pollutant-medium table: every key is reachable by the rule's
lookup, which upper-cases and trims the filing's name, and a pollutant is in
at least one medium."""

from __future__ import annotations

from esgcheck.engine import yamlio
from esgcheck.engine.refdata import load_table

from .conftest import ROOT

DATA = ROOT / "esgcheck" / "rules" / "cn-eidm" / "data" / "pollutant-media.yaml"


def test_keys_are_written_as_the_rule_looks_them_up() -> None:
    table = load_table("pollutant-media", yamlio.load(DATA).data)
    unreachable = [r["name"] for r in table.rows if r["name"] != r["name"].strip().upper()]
    assert not unreachable, f"keys the rule's upper(trim(name)) never produces: {unreachable}"


def test_every_row_names_a_medium_and_its_basis() -> None:
    table = load_table("pollutant-media", yamlio.load(DATA).data)
    assert len(table.rows) >= 50
    for row in table.rows:
        assert row["air"] or row["water"], row["name"]
        assert row["basis"], row["name"]


def test_the_common_cases_are_single_medium() -> None:
    table = load_table("pollutant-media", yamlio.load(DATA).data)
    for name in ("化学需氧量", "氨氮", "总磷", "COD"):
        row = table.get(name)
        assert row is not None and row["water"] and not row["air"], name
    for name in ("二氧化硫", "氮氧化物", "颗粒物", "SO2"):
        row = table.get(name)
        assert row is not None and row["air"] and not row["water"], name
    for name in ("氟化物", "总汞", "挥发性有机物"):
        row = table.get(name)
        assert row is not None and row["air"] and row["water"], name
