from __future__ import annotations

from decimal import Decimal

import pytest

from esgcheck.engine.units import Quantity, UnitError, parse_unit


@pytest.mark.parametrize("a, b", [
    ("t", "kg"), ("万吨", "t"), ("万元", "CNY"), ("亿元", "万元"), ("kg CO2e/kWh", "tCO2e/MWh"),
    ("mg/L", "mg/m3"), ("MJ", "kWh"), ("kgCO2eq/kWh", "gCO2e/Wh"),
])
def test_same_dimension(a: str, b: str) -> None:
    assert parse_unit(a).dims == parse_unit(b).dims


@pytest.mark.parametrize("a, b", [
    ("t", "tCO2e"), ("kgCO2e/kWh", "kgCO2e/kg"), ("kgCO2e/kWh", "kgCO2e/Ah"), ("CNY", "EUR"),
    ("m3", "Nm3"), ("t/a", "t"),
])
def test_different_dimension(a: str, b: str) -> None:
    assert parse_unit(a).dims != parse_unit(b).dims


def test_conversions_are_exact() -> None:
    assert Quantity(Decimal(1), parse_unit("tCO2e/MWh")).to(parse_unit("kgCO2e/kWh")) == 1
    assert Quantity(Decimal("2.5"), parse_unit("万元")).to(parse_unit("CNY")) == 25000
    assert Quantity(Decimal(86), parse_unit("mg/L")).to(parse_unit("mg/m3")) == 86000


@pytest.mark.parametrize("bad", ["", "parsec", "kg//kWh", "kg/", "kg**2"])
def test_unknown_units(bad: str) -> None:
    with pytest.raises(UnitError):
        parse_unit(bad)
