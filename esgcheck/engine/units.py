"""Units of measure for quantities in filings and rules.

A unit is a scale factor over a product of base dimensions. Two quantities can
be compared or added only when their dimensions are equal; the check happens
when a rule base loads, so ``annual_total > 5[kgCO2e/kWh]`` is refused there,
not at run time.

Greenhouse-gas mass (``CO2e``) is a dimension of its own: a tonne of waste is
not a tonne of CO2 equivalent, and mixing them is the kind of slip the type
check exists to catch. Currencies are separate dimensions for the same reason;
esgcheck never converts between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

Dims = tuple[tuple[str, int], ...]
"""Sorted (dimension, exponent) pairs with non-zero exponents."""


@dataclass(frozen=True, slots=True)
class Unit:
    symbol: str
    dims: Dims
    factor: Decimal  # multiply a value in this unit by factor to get base units

    @property
    def dimensionless(self) -> bool:
        return not self.dims


class UnitError(ValueError):
    """A unit symbol that cannot be parsed."""


def _atom(dim: str, factor: str | int) -> tuple[Dims, Decimal]:
    return ((dim, 1),), Decimal(factor)


# Atomic units: symbol -> (dims, factor to the dimension's base unit).
# Base units: kg, kg CO2e, kWh, m3, Nm3, Ah, m, h, year, and one unit per currency.
_ATOMS: dict[str, tuple[Dims, Decimal]] = {
    # mass
    "ng": _atom("mass", "0.000000000001"),
    "\u03bcg": _atom("mass", "0.000000001"),  # Greek mu
    "mg": _atom("mass", "0.000001"),
    "g": _atom("mass", "0.001"),
    "kg": _atom("mass", 1),
    "t": _atom("mass", 1000),
    "kt": _atom("mass", 1_000_000),
    "Mt": _atom("mass", 1_000_000_000),
    # greenhouse-gas mass in CO2 equivalent
    "gCO2e": _atom("ghg", "0.001"),
    "kgCO2e": _atom("ghg", 1),
    "tCO2e": _atom("ghg", 1000),
    "ktCO2e": _atom("ghg", 1_000_000),
    "MtCO2e": _atom("ghg", 1_000_000_000),
    # energy
    "Wh": _atom("energy", "0.001"),
    "kWh": _atom("energy", 1),
    "MWh": _atom("energy", 1000),
    "GWh": _atom("energy", 1_000_000),
    "TWh": _atom("energy", 1_000_000_000),
    # energy in tonnes of standard coal equivalent (标准煤), the unit Chinese energy
    # statistics and the exchanges' sustainability guidelines (Art. 35) use; kept a
    # dimension of its own, its calorific value (GB/T 2589) not being verified here
    "kgce": _atom("coal_equivalent", 1),
    "tce": _atom("coal_equivalent", 1000),
    "MJ": ((("energy", 1),), Decimal(1) / Decimal("3.6")),
    "GJ": ((("energy", 1),), Decimal(1000) / Decimal("3.6")),
    # electric charge (battery capacity)
    "Ah": _atom("charge", 1),
    "mAh": _atom("charge", "0.001"),
    # volume; normal cubic metres are a separate dimension (reference conditions differ)
    "mL": _atom("volume", "0.000001"),
    "L": _atom("volume", "0.001"),
    "dm3": _atom("volume", "0.001"),
    "m3": _atom("volume", 1),
    "Nm3": _atom("volume_normal", 1),
    # length and area
    "m": _atom("length", 1),
    "km": _atom("length", 1000),
    "m2": ((("length", 2),), Decimal(1)),
    "km2": ((("length", 2),), Decimal(1_000_000)),
    "ha": ((("length", 2),), Decimal(10_000)),
    # time; a year is not a fixed number of hours, so it stays its own dimension
    "h": _atom("time", 1),
    "d": _atom("time", 24),
    "a": _atom("year", 1),
    # power
    "W": ((("energy", 1), ("time", -1)), Decimal("0.001")),
    "kW": ((("energy", 1), ("time", -1)), Decimal(1)),
    "MW": ((("energy", 1), ("time", -1)), Decimal(1000)),
    "GW": ((("energy", 1), ("time", -1)), Decimal(1_000_000)),
    # currencies
    "CNY": _atom("CNY", 1),
    "EUR": _atom("EUR", 1),
    "USD": _atom("USD", 1),
    # parts per million or billion: a fraction by volume for gases and by mass for
    # liquids, so a dimension of its own that converts to no mass concentration
    # (that takes the pollutant's molar mass and the reference conditions)
    "ppm": _atom("fraction", "0.000001"),
    "ppb": _atom("fraction", "0.000000001"),
    # pure numbers
    "%": ((), Decimal("0.01")),
    "1": ((), Decimal(1)),
}

# Spellings seen in filings, mapped to the symbols above.
_ALIASES: dict[str, str] = {
    "kgCO2eq": "kgCO2e", "kgCO2-eq": "kgCO2e", "kgCO2-e": "kgCO2e",
    "tCO2eq": "tCO2e", "tCO2-eq": "tCO2e", "gCO2eq": "gCO2e", "gCO2-eq": "gCO2e",
    # tailpipe and process CO2 (vehicles, hydrogen): 1 g CO2 is 1 g CO2e by definition
    "gCO2": "gCO2e", "kgCO2": "kgCO2e", "tCO2": "tCO2e",
    "tonne": "t", "tonnes": "t",
    "吨": "t", "千克": "kg", "公斤": "kg", "克": "g", "毫克": "mg",
    "吨CO2e": "tCO2e", "吨二氧化碳当量": "tCO2e", "吨CO2": "tCO2e", "吨二氧化碳": "tCO2e",
    "千克二氧化碳当量": "kgCO2e", "千克二氧化碳": "kgCO2e", "公斤二氧化碳当量": "kgCO2e",
    "万吨二氧化碳当量": "万tCO2e", "万吨二氧化碳": "万tCO2e",
    "吨标准煤": "tce", "吨标煤": "tce", "万吨标准煤": "万tce", "万吨标煤": "万tce",
    "千克标准煤": "kgce", "公斤标准煤": "kgce", "tec": "tce",
    "千瓦时": "kWh", "兆瓦时": "MWh", "立方米": "m3", "m³": "m3", "Nm³": "Nm3",
    "升": "L", "l": "L", "元": "CNY", "人民币元": "CNY", "年": "a", "yr": "a",
    # micro: the Greek letter mu and the micro sign are both written, and "u" for either
    "\u00b5g": "\u03bcg", "ug": "\u03bcg", "微克": "\u03bcg", "纳克": "ng",
    "毫升": "mL", "ml": "mL",
    "dm³": "dm3", "ppmv": "ppm", "ppbv": "ppb",
    "标立方米": "Nm3", "标准立方米": "Nm3", "标m3": "Nm3", "Nm^3": "Nm3", "m^3": "m3",
}

# A unit read as one of other dimensions. The emission standards give gas
# concentrations in mg/m3 "at standard state" (标准状态: 273.15 K, 101.325 kPa, dry
# gas), which filings also write mg/Nm3: for a mass concentration the two are
# the same quantity. Volumes on their own keep their reference conditions apart.
_READ_AS: dict[Dims, Dims] = {
    (("mass", 1), ("volume_normal", -1)): (("mass", 1), ("volume", -1)),
}

# Multipliers written in front of a unit in Chinese filings (万吨, 万元, 万立方米).
_PREFIXES: dict[str, Decimal] = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}

# sub- and superscript digits (CO₂, m³) read as plain ones, and the full-width
# forms of ASCII characters (U+FF01 to U+FF5E: a full-width slash or letters, as
# Chinese input methods type them) as the ASCII ones
_DIGITS = str.maketrans(
    "₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹" + "".join(chr(c + 0xFEE0) for c in range(0x21, 0x7F)),
    "01234567890123456789" + "".join(chr(c) for c in range(0x21, 0x7F)))

_TERM = re.compile(r"([^*/·]+)")


def combine_dims(a: Dims, b: Dims, sign: int) -> Dims:
    acc: dict[str, int] = dict(a)
    for dim, exp in b:
        acc[dim] = acc.get(dim, 0) + sign * exp
    return tuple(sorted((d, e) for d, e in acc.items() if e))


def _parse_atom(text: str) -> tuple[Dims, Decimal]:
    text = _ALIASES.get(text, text)
    if text in _ATOMS:
        return _ATOMS[text]
    if text and text[0] in _PREFIXES:
        dims, factor = _parse_atom(text[1:])
        return dims, factor * _PREFIXES[text[0]]
    raise UnitError(text)


@lru_cache(maxsize=1024)
def parse_unit(symbol: str) -> Unit:
    """Parse a unit such as ``kg CO2e/kWh``, ``mg/m3``, ``万元`` or ``t/a``.

    Spaces are insignificant; ``/`` divides by the rest of the term, ``*`` or
    ``·`` multiplies.
    """
    compact = (symbol.replace(" ", "").replace("\u00a0", "").replace("\u3000", "")
               .translate(_DIGITS))
    if not compact:
        raise UnitError(symbol)
    dims: Dims = ()
    factor = Decimal(1)
    sign = 1
    pos = 0
    for match in _TERM.finditer(compact):
        sep = compact[pos:match.start()]
        if sep == "/":
            sign = -1
        elif sep not in ("", "*", "·"):
            raise UnitError(symbol)
        try:
            atom_dims, atom_factor = _parse_atom(match.group(1))
        except UnitError:
            raise UnitError(symbol) from None
        dims = combine_dims(dims, atom_dims, sign)
        factor = factor * atom_factor if sign > 0 else factor / atom_factor
        pos = match.end()
    if pos != len(compact):
        raise UnitError(symbol)
    return Unit(symbol, dims, factor)


def read_as(unit: Unit, dims: Dims, annual: bool = False) -> Unit | None:
    """``unit`` as a unit of ``dims``, when a value written in it is a quantity of
    those dimensions (the same dimensions, or a reading in ``_READ_AS``). For a
    year's total (``annual``), a rate per year is the year's quantity: 20 t/a
    is 20 t in the year (the way permits state 许可排放量)."""
    if unit.dims == dims:
        return unit
    if _READ_AS.get(unit.dims) == dims:
        return Unit(unit.symbol, dims, unit.factor)
    if annual and unit.dims == combine_dims(dims, (("year", -1),), 1):
        return Unit(unit.symbol, dims, unit.factor)
    return None


# Names of the dimensions filings use, for messages (zh, en), and units to give
# as examples of each.
_DIM_NAMES: dict[Dims, tuple[str, str, str]] = {
    (("mass", 1), ("volume", -1)): ("质量浓度", "a mass concentration", "mg/m3, mg/L"),
    (("mass", 1),): ("质量", "a mass", "t, kg"),
    (("ghg", 1),): ("二氧化碳当量", "a mass of CO2 equivalent", "tCO2e"),
    (("energy", -1), ("ghg", 1)): ("单位能量的碳足迹", "a carbon footprint per unit of energy",
                                  "kgCO2e/kWh"),
    (("energy", 1),): ("能量", "an energy", "kWh, MWh"),
    (("coal_equivalent", 1),): ("标准煤当量", "an energy in standard coal equivalent", "tce"),
    (("CNY", 1),): ("人民币金额", "an amount in CNY", "CNY, 万元"),
    (("fraction", 1),): ("体积或质量分数", "a fraction by volume or mass", "ppm"),
    (("volume", 1),): ("体积", "a volume", "m3, L"),
    (("volume_normal", 1),): ("标准状态体积", "a volume at standard conditions", "Nm3"),
    (): ("无量纲数", "a pure number", "%"),
}


# Each dimension's name, for quantities no entry above names (zh, en).
_BASE_NAMES: dict[str, tuple[str, str]] = {
    "mass": ("质量", "mass"), "ghg": ("二氧化碳当量", "CO2e"), "energy": ("能量", "energy"),
    "charge": ("电荷量", "charge"), "volume": ("体积", "volume"),
    "volume_normal": ("标准状态体积", "volume at standard conditions"),
    "length": ("长度", "length"), "time": ("小时", "hours"), "year": ("年", "year"),
    "fraction": ("分数", "fraction"), "CNY": ("人民币", "CNY"), "EUR": ("欧元", "EUR"),
    "USD": ("美元", "USD"), "coal_equivalent": ("标准煤", "standard coal equivalent"),
}


def dims_name(dims: Dims, lang: str) -> str:
    """What a quantity of ``dims`` is, in words (``lang`` zh or en)."""
    known = _DIM_NAMES.get(dims)
    if known is not None:
        return known[0] if lang == "zh" else known[1]
    i = 0 if lang == "zh" else 1

    def name(dim: str, exp: int) -> str:
        word = _BASE_NAMES.get(dim, (dim, dim))[i]
        return word if exp == 1 else f"{word}^{exp}"

    num = [name(d, e) for d, e in dims if e > 0]
    den = [name(d, -e) for d, e in dims if e < 0]
    text = ("·" if lang == "zh" else "*").join(num) or "1"
    if den:
        text += ("/" if lang == "zh" else " per ") + ("·" if lang == "zh" else "*").join(den)
    return text


def dims_example(dims: Dims) -> str:
    """Units of ``dims`` to name in a message."""
    known = _DIM_NAMES.get(dims)
    return known[2] if known is not None else base_unit(dims).symbol


def unit_problem(symbol: object, dims: Dims) -> tuple[str, Dims | None]:
    """Why a unit written in a filing cannot be read as a quantity of ``dims``
    (call it for a unit that ``read_as`` refused): ``none`` (no unit text),
    ``unknown`` (no such unit), ``fraction`` (ppm where a mass concentration is
    wanted: that takes a molar mass) or ``dimension`` (a unit of other
    dimensions, which come second)."""
    if not isinstance(symbol, str) or not symbol.strip():
        return "none", None
    try:
        unit = parse_unit(symbol)
    except UnitError:
        return "unknown", None
    if unit.dims == (("fraction", 1),) and dims == (("mass", 1), ("volume", -1)):
        return "fraction", unit.dims
    return "dimension", unit.dims


def describe_dims(dims: Dims) -> str:
    """A readable name for a dimension vector, e.g. ``ghg/energy``."""
    if not dims:
        return "dimensionless"
    num = [d if e == 1 else f"{d}^{e}" for d, e in dims if e > 0]
    den = [d if e == -1 else f"{d}^{-e}" for d, e in dims if e < 0]
    text = "*".join(num) or "1"
    return f"{text}/{'*'.join(den)}" if den else text


class Quantity:
    """A number with a unit. Arithmetic and comparison across units work in base
    units, exactly (decimal arithmetic).

    ``value`` is the number as read: an int, a Decimal, or a float from the fast
    JSON path, whose shortest form is the written value (see filings.jsonread).
    Two quantities in the same unit compare by ``value`` directly where those
    numbers compare as written (expr.values.compare_directly: a float's binary
    value is not the decimal it is written as); everything else goes through
    ``exact`` and ``base``, computed when first needed."""

    __slots__ = ("_base", "unit", "value")

    def __init__(self, value: Decimal | int | float, unit: Unit) -> None:
        self.value = value
        self.unit = unit
        self._base: Decimal | int | None = None

    @property
    def exact(self) -> Decimal | int:
        value = self.value
        return Decimal(repr(value)) if isinstance(value, float) else value

    @property
    def base(self) -> Decimal | int:
        if self._base is None:
            self._base = self.exact * self.unit.factor
        return self._base

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Quantity) and self.exact == other.exact
                and self.unit == other.unit)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking value object: not a key

    def __repr__(self) -> str:
        return f"Quantity({self.value!r}, {self.unit.symbol!r})"

    def to(self, unit: Unit) -> Decimal | int:
        if unit.dims != self.unit.dims:
            raise UnitError(f"{self.unit.symbol} -> {unit.symbol}")
        return self.base / unit.factor

    def __str__(self) -> str:
        return f"{self.exact} {self.unit.symbol}"


_BASE_SYMBOLS = {
    "fraction": "1",
    "mass": "kg", "ghg": "kgCO2e", "energy": "kWh", "charge": "Ah", "volume": "m3",
    "volume_normal": "Nm3", "coal_equivalent": "kgce", "length": "m", "time": "h", "year": "a",
}


def base_unit(dims: Dims) -> Unit:
    """The unit with factor 1 for ``dims``, written in base symbols (``kgCO2e/kWh``)."""

    def sym(dim: str, exp: int) -> str:
        name = _BASE_SYMBOLS.get(dim, dim)
        return name if exp == 1 else f"{name}^{exp}"

    num = [sym(d, e) for d, e in dims if e > 0]
    den = [sym(d, -e) for d, e in dims if e < 0]
    text = "*".join(num) or "1"
    return Unit(f"{text}/{'*'.join(den)}" if den else text, dims, Decimal(1))
