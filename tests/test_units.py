from __future__ import annotations

from decimal import Decimal

import pytest

from esgcheck.engine.units import (
    Quantity,
    UnitError,
    dims_name,
    parse_unit,
    read_as,
    unit_problem,
)


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


CONCENTRATION = parse_unit("mg/m3").dims


@pytest.mark.parametrize("symbol, in_mg_per_m3", [
    ("mg/m3", "1"), ("mg/Nm3", "1"), ("mg/Nm³", "1"), ("毫克/标立方米", "1"),
    ("g/m3", "1000"), ("μg/m3", "0.001"), ("\u00b5g/m3", "0.001"), ("ug/m3", "0.001"),
    ("微克/立方米", "0.001"), ("mg/L", "1000"), ("毫克/升", "1000"), ("mg/dm3", "1000"),
])
def test_concentrations_filings_use_read_as_mass_per_volume(symbol: str,
                                                            in_mg_per_m3: str) -> None:
    """The emission standards give gas concentrations in mg/m3 at standard state,
    which filings also write mg/Nm3: for a concentration the two are one quantity."""
    unit = read_as(parse_unit(symbol), CONCENTRATION)
    assert unit is not None and unit.dims == CONCENTRATION
    assert Quantity(Decimal(1), unit).to(parse_unit("mg/m3")) == Decimal(in_mg_per_m3)


def test_normal_cubic_metres_stay_apart_from_cubic_metres_as_volumes() -> None:
    assert read_as(parse_unit("Nm3"), parse_unit("m3").dims) is None


@pytest.mark.parametrize("symbol, kind", [
    ("ppm", "fraction"), ("ppmv", "fraction"), ("ppb", "fraction"),
    ("furlong", "unknown"), ("", "none"), ("t", "dimension"), ("kgCO2e/kWh", "dimension"),
])
def test_why_a_unit_cannot_be_read_as_a_concentration(symbol: str, kind: str) -> None:
    assert unit_problem(symbol, CONCENTRATION)[0] == kind


def test_ppm_is_a_fraction_only_a_concentration_needs_a_molar_mass_for() -> None:
    assert unit_problem("ppm", parse_unit("t").dims)[0] == "dimension"


def test_sub_and_superscript_digits_read_as_digits() -> None:
    assert parse_unit("kg CO₂e/kWh").dims == parse_unit("kgCO2e/kWh").dims
    assert parse_unit("mg/m³").factor == parse_unit("mg/m3").factor


@pytest.mark.parametrize("symbol, same_as", [
    ("吨二氧化碳", "tCO2e"), ("万吨二氧化碳当量", "万吨CO2e"), ("mg\uff0fm3", "mg/m3"),
    ("\uff4d\uff47/\uff4d\uff13", "mg/m3"), ("mg\u3000/m3", "mg/m3"),
])
def test_spellings_chinese_filings_use(symbol: str, same_as: str) -> None:
    a, b = parse_unit(symbol), parse_unit(same_as)
    assert (a.dims, a.factor) == (b.dims, b.factor)


def test_dimensions_have_chinese_names_too() -> None:
    assert dims_name(parse_unit("t/a").dims, "zh") == "质量/年"
    assert dims_name(parse_unit("USD").dims, "zh") == "美元"
    assert dims_name(parse_unit("t/a").dims, "en") == "mass per year"


def test_standard_coal_is_a_dimension_of_its_own() -> None:
    # tonnes of standard coal equivalent (the exchanges' Art. 35 unit): the Chinese
    # spellings and 万 convert; no energy unit does, the calorific value not being
    # verified; and a tonne of coal equivalent is not a tonne of mass
    assert Quantity(Decimal("16.8"), parse_unit("万吨标准煤")).to(parse_unit("tce")) == 168000
    assert Quantity(Decimal(1500), parse_unit("千克标准煤")).to(parse_unit("tce")) == Decimal("1.5")
    assert parse_unit("吨标煤").dims == parse_unit("tce").dims
    for other in ("kWh", "GJ", "t", "tCO2e"):
        assert parse_unit(other).dims != parse_unit("tce").dims
    assert dims_name(parse_unit("tce").dims, "en") == "an energy in standard coal equivalent"
