"""The cn-eidm pollutant-medium table: every key is reachable by the rule's
lookup, name_key(name), and a pollutant is in at least one medium; names as
filings type them (full-width, with a bracketed qualifier, spaced, in
English) reach their row."""

from __future__ import annotations

import pytest

from esgcheck.engine import yamlio
from esgcheck.engine.expr.builtins import _name_key
from esgcheck.engine.refdata import load_table

from .conftest import ROOT

DATA = ROOT / "esgcheck" / "rules" / "cn-eidm" / "data" / "pollutant-media.yaml"


def test_keys_are_written_as_the_rule_looks_them_up() -> None:
    table = load_table("pollutant-media", yamlio.load(DATA).data)
    unreachable = [r["name"] for r in table.rows if r["name"] != _name_key(r["name"])]
    assert not unreachable, f"keys the rule's name_key(name) never produces: {unreachable}"


FULL_WIDTH_COD = "\uff23\uff2f\uff24"  # COD typed in full-width letters
FULL_WIDTH_SO2 = "\uff33\uff2f\uff12"  # SO2 typed in full-width letters and digit


@pytest.mark.parametrize("typed, medium", [
    (FULL_WIDTH_COD, "water"), ("化学需氧量（COD）", "water"), ("氨 氮", "water"),
    ("Ammonia nitrogen", "water"), (FULL_WIDTH_SO2, "air"), ("二氧化硫(SO2)", "air"),
    ("氮氧化物（以NO2计）", "air"), ("NOₓ", "air"), ("Sulphur dioxide", "air"),
    ("总磷（以P计）", "water"),
])
def test_names_as_filings_type_them_reach_their_row(typed: str, medium: str) -> None:
    table = load_table("pollutant-media", yamlio.load(DATA).data)
    row = table.get(_name_key(typed))
    assert row is not None, typed
    assert row[medium] and not row["air" if medium == "water" else "water"], typed


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
