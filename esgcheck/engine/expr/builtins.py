"""The one table of built-in functions of the expression language.

Each entry names its parameters' kinds, how its result type follows from its
arguments, and a plain Python implementation. Arguments arrive already
converted (dates as ``date``, quantities as ``Quantity``); a built-in is not
called with a missing argument unless it is ``total`` (the presence tests).
Parameters of kind ``table``, ``calendar`` and ``unit`` must be string
literals; they are resolved once, when the rule base loads.
"""

from __future__ import annotations

import calendar as _calendar
import hashlib
import importlib.util
import re
import unicodedata
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

from esgcheck import diskcache
from esgcheck.engine.expr.codegen import INLINE
from esgcheck.engine.expr.types import (
    BOOLEAN,
    DATE,
    NUMBER,
    STRING,
    ListT,
    RecordT,
    Type,
)
from esgcheck.engine.expr.values import MISSING, Undecidable, whole
from esgcheck.engine.refdata import Calendar, Table
from esgcheck.engine.units import Quantity, Unit

ResultRule = Callable[[Sequence[Type], Sequence[Any]], Type]


@dataclass(frozen=True)
class Builtin:
    name: str
    params: tuple[str, ...]
    result: Type | ResultRule
    impl: Callable[..., Any]
    summary: str
    total: bool = False
    returns: str = ""  # the result type in words, when it depends on the arguments
    alike: tuple[int, ...] = ()  # arguments that must be of one kind (same unit dimension)

    def signature(self) -> str:
        ret = self.result.describe() if isinstance(self.result, Type) else self.returns
        return f"{self.name}({', '.join(self.params)}) -> {ret}"


# ---------------------------------------------------------------- implementations


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + whole(months)
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def _make_date(year: Any, month: Any, day: Any) -> date:
    try:
        return date(whole(year), whole(month), whole(day))
    except (ValueError, OverflowError) as exc:
        raise Undecidable(f"date({year}, {month}, {day}) is not a date: {exc}") from None


def _substr(text: str, start: Any, length: Any) -> str:
    """1-based, like the standards that say 'positions 3 to 8'."""
    begin = whole(start) - 1
    if begin < 0:
        raise Undecidable("substr positions start at 1")
    return text[begin:begin + whole(length)]


_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _number(text: str) -> int | Decimal:
    """The number a text writes in plain decimal digits ('2024', '-1.50'), exactly;
    a text that writes no such number cannot be read as one."""
    if _DECIMAL.fullmatch(text) is None:
        raise Undecidable(f"'{text}' is not a number written in decimal digits")
    return int(text) if "." not in text else Decimal(text)


_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"})
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_CJK_GAP = re.compile(rf"(?<={_CJK})\s+(?={_CJK})")
_SPACES = re.compile(r"\s+")
_QUALIFIER = re.compile(r"\s*\([^()]*\)$")


def _per_text(fn: Callable[[str], str]) -> Callable[[str], str]:
    """``fn`` worked out once per text: a filing gives the same few names
    (pollutants, media) hundreds of times. Short texts only, and a bounded
    number of them, so that the memo cannot grow with hostile input."""
    memo: dict[str, str] = {}

    @wraps(fn)
    def once(text: str) -> str:
        found = memo.get(text)
        if found is None:
            found = fn(text)
            if len(text) <= 200 and len(memo) < 4096:
                memo[text] = found
        return found

    return once


@_per_text
def _normalize(text: str) -> str:
    """Text as it is meant, not as it was typed: Unicode NFKC (full-width letters
    and digits, ₓ, （ ） become their plain forms), every dash a hyphen, no space
    between two Chinese characters, other runs of space one space, trimmed."""
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _SPACES.sub(" ", _CJK_GAP.sub("", folded)).strip()


@_per_text
def _name_key(text: str) -> str:
    """A name as a table of names is keyed: normalized, upper-case, without a
    trailing qualifier in brackets (化学需氧量（COD）, 氮氧化物（以NO2计）)."""
    return _QUALIFIER.sub("", _normalize(text)).upper()


def _code_prefix(code: str, levels: Any) -> str:
    """The first n levels of a dotted catalogue code: code_prefix('3.2.2.1', 3) is '3.2.2'.
    A code with fewer levels has no such prefix."""
    parts = code.split(".")
    n = whole(levels)
    if n < 1 or len(parts) < n:
        raise Undecidable(f"'{code}' has no {n}-level prefix")
    return ".".join(parts[:n])


_GB11714_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def orgcode_valid(code: str) -> bool:
    """GB 11714 organisation code: 8 characters and a check character (0-9 or X)."""
    if len(code) != 9 or any(c not in _GB11714_ALPHABET for c in code[:8]):
        return False
    total = sum(_GB11714_ALPHABET.index(c) * w
                for c, w in zip(code[:8], _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    expected = "X" if check == 10 else "0" if check == 11 else str(check)
    return code[8] == expected


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, ...


def uscc_valid(code: str) -> bool:
    """GB 32100-2015 unified social credit code: 18 characters of the code's
    alphabet, digits in positions 3-8 (the division code), and position 18 the
    check character 31 - (sum of value x 3^(i-1) mod 31) mod 31."""
    if len(code) != 18 or not code[2:8].isdigit() or not code[2:8].isascii():
        return False
    values = [_USCC_VALUE.get(c, -1) for c in code]
    if min(values) < 0:
        return False
    total = sum(v * w for v, w in zip(values, _USCC_WEIGHTS, strict=False))
    return values[17] == (31 - total % 31) % 31


@lru_cache(maxsize=1)
def _divisions() -> frozenset[str]:
    """Every six-digit code of python-stdnum's historical GB/T 2260 table: a
    province entry (two digits) and, below it, a named four-digit entry. Read
    once per process into a set, so that a lookup costs a hash, not a walk of
    the table; and kept in esgcheck's cache on disk, keyed by the table's
    bytes, because reading the table costs more than a whole check of a
    filing (about 0.2 s; the set read back, 2 ms)."""
    # found, not imported: importing stdnum costs a warm run 16 ms (ssl, pydoc)
    spec = importlib.util.find_spec("stdnum")
    entry: str | None = None
    if spec is not None and spec.origin:
        table = Path(spec.origin).parent / "cn" / "loc.dat"
        with suppress(OSError):  # the table elsewhere (a zipped install): read each time
            entry = diskcache.key("gb2260", hashlib.sha256(table.read_bytes()).hexdigest())
    if entry is not None:
        kept = diskcache.load("gb2260", entry)
        if isinstance(kept, frozenset):
            return kept
    codes = _read_divisions()
    if entry is not None:
        diskcache.store("gb2260", entry, codes)
    return codes


def _read_divisions() -> frozenset[str]:
    from stdnum import numdb  # only when the cache misses: reading it is the cost

    codes: set[str] = set()
    for length, low, high, _, children in numdb.get("cn/loc").prefixes:
        if length != 2:
            continue
        for province in range(int(low), int(high) + 1):
            for sub_length, sub_low, sub_high, props, _ in children:
                if sub_length == 4 and props:
                    codes.update(f"{province:02d}{n:04d}"
                                 for n in range(int(sub_low), int(sub_high) + 1))
    return frozenset(codes)


def gb2260_known(code: str) -> bool:
    """Whether a six-digit administrative division code exists or existed in
    GB/T 2260. The historical table is python-stdnum's (``stdnum/cn/loc.dat``):
    a unified social credit code keeps the division code it was issued with,
    even after the division is abolished."""
    return code in _divisions()


def _approx(a: Any, b: Any, rel: Any) -> bool:
    if isinstance(a, Quantity):
        a, b = a.base, b.base
    return abs(Decimal(a) - Decimal(b)) <= Decimal(rel) * abs(Decimal(b))


def _abs(x: Any) -> Any:
    if isinstance(x, Quantity):
        exact = x.exact
        magnitude: Decimal | int = -exact if exact < 0 else exact
        return Quantity(magnitude, x.unit)
    return abs(x)


def _round(x: Any, places: Any) -> Decimal:
    return Decimal(x).quantize(Decimal(1).scaleb(-whole(places)))


def _least(a: Any, b: Any) -> Any:
    if isinstance(a, Quantity):
        return a if a.base <= b.base else b
    return a if a <= b else b


def _greatest(a: Any, b: Any) -> Any:
    if isinstance(a, Quantity):
        return a if a.base >= b.base else b
    return a if a >= b else b


def _value_in(q: Quantity, unit: Unit) -> Decimal | int:
    return q.to(unit)


def _lookup(table: Table, key: Any) -> Any:
    row = table.get(key)
    return MISSING if row is None else row


def _lookup_dated(table: Table, key: Any, when: date) -> Any:
    row = table.get_dated(key, when)
    return MISSING if row is None else row


def _len(x: Any) -> int:
    return len(x)


# ---------------------------------------------------------------- result types


def _same_as(index: int) -> ResultRule:
    return lambda types, consts: types[index]


def _record_of(types: Sequence[Type], consts: Sequence[Any]) -> Type:
    table: Table = consts[0]
    return RecordT(table.name, table.columns)


def _keys_of(types: Sequence[Type], consts: Sequence[Any]) -> Type:
    table: Table = consts[0]
    return ListT(table.columns[table.key])



def _exists(x: Any) -> bool:
    return x is not MISSING


def _missing(x: Any) -> bool:
    return x is MISSING


INLINE.update({_exists: "{0} is not MISSING", _missing: "{0} is MISSING"})


# ---------------------------------------------------------------- the table

_ENTRIES = [
    Builtin("exists", ("any",), BOOLEAN, _exists,
            "true when the value is present and readable, false when it is absent; unknown "
            "when it is there but unreadable (a unit of another kind, an impossible date)",
            total=True),
    Builtin("missing", ("any",), BOOLEAN, _missing,
            "true when the value is absent; unknown when it is there but unreadable",
            total=True),
    Builtin("present", ("any",), BOOLEAN, _exists,
            "for a field of the filing: true when the filing gives a value there, readable or "
            "not; false when it is absent (for rules on what a block holds)", total=True),
    Builtin("readable", ("any",), BOOLEAN, _exists,
            "for a field of the filing: true when its value reads as the field's type, false "
            "when it is there but does not (a unit of another kind, an impossible date), "
            "unknown when it is absent", total=True),
    Builtin("len", ("string|list",), NUMBER, _len, "length of a text or list"),
    Builtin("count", ("list",), NUMBER, _len, "number of items in a list"),
    Builtin("abs", ("number|quantity",), _same_as(0), _abs, "absolute value",
            returns="number|quantity"),
    Builtin("round", ("number", "number"), NUMBER, _round, "round to n decimal places"),
    Builtin("min", ("number|quantity|date", "number|quantity|date"), _same_as(0), _least,
            "the smaller of two values", returns="number|quantity|date", alike=(0, 1)),
    Builtin("max", ("number|quantity|date", "number|quantity|date"), _same_as(0), _greatest,
            "the larger of two values", returns="number|quantity|date", alike=(0, 1)),
    Builtin("approx", ("number|quantity", "number|quantity", "number"), BOOLEAN, _approx,
            "approx(a, b, rel): |a - b| <= rel * |b|", alike=(0, 1)),
    Builtin("value_in", ("quantity", "unit"), NUMBER, _value_in,
            "the number of a quantity expressed in the given unit"),
    Builtin("unit_of", ("quantity",), STRING, lambda q: q.unit.symbol,
            "the unit of a quantity as written, also when it is not of the expected kind",
            total=False),
    Builtin("upper", ("string",), STRING, str.upper, "upper-case text"),
    Builtin("lower", ("string",), STRING, str.lower, "lower-case text"),
    Builtin("trim", ("string",), STRING, str.strip, "text without surrounding blanks"),
    Builtin("substr", ("string", "number", "number"), STRING, _substr,
            "substr(text, start, length), positions counted from 1"),
    Builtin("starts_with", ("string", "string"), BOOLEAN, str.startswith, "text prefix test"),
    Builtin("number", ("string",), NUMBER, _number,
            "the number a text writes in decimal digits (number(substr(d, 1, 4)) is a year)"),
    Builtin("code_prefix", ("string", "number"), STRING, _code_prefix,
            "the first n levels of a dotted catalogue code (code_prefix('3.2.2.1', 3) = '3.2.2')"),
    Builtin("ends_with", ("string", "string"), BOOLEAN, str.endswith, "text suffix test"),
    Builtin("normalize", ("string",), STRING, _normalize,
            "text as meant: NFKC (full-width forms plain), dashes as hyphens, no space "
            "between Chinese characters, single spaces"),
    Builtin("name_key", ("string",), STRING, _name_key,
            "a name as name tables are keyed: normalize, upper-case, a trailing bracketed "
            "qualifier dropped"),
    Builtin("contains", ("string", "string"), BOOLEAN, lambda s, sub: sub in s,
            "substring test"),
    Builtin("date", ("number", "number", "number"), DATE, _make_date, "date(year, month, day)"),
    Builtin("year", ("date",), NUMBER, lambda d: d.year, "calendar year of a date"),
    Builtin("month", ("date",), NUMBER, lambda d: d.month, "month (1-12) of a date"),
    Builtin("day", ("date",), NUMBER, lambda d: d.day, "day of the month"),
    Builtin("add_days", ("date", "number"), DATE,
            lambda d, n: d + timedelta(days=whole(n)), "a date plus n calendar days"),
    Builtin("add_months", ("date", "number"), DATE, _add_months,
            "a date plus n months, clamped to the month's last day"),
    Builtin("days_between", ("date", "date"), NUMBER, lambda a, b: (b - a).days,
            "calendar days from the first date to the second"),
    Builtin("add_working_days", ("date", "number", "calendar"), DATE,
            lambda d, n, cal: cal.add_working_days(d, whole(n)),
            "the n-th working day after a date, on the named holiday calendar"),
    Builtin("working_days_between", ("date", "date", "calendar"), NUMBER,
            lambda a, b, cal: cal.working_days_between(a, b),
            "working days after the first date up to and including the second"),
    Builtin("is_working_day", ("date", "calendar"), BOOLEAN,
            lambda d, cal: cal.is_working_day(d), "whether a date is a working day"),
    Builtin("lookup", ("table", "key"), _record_of, _lookup,
            "the row of a reference table with the given key", returns="record"),
    Builtin("lookup_dated", ("table", "key", "date"), _record_of, _lookup_dated,
            "the row of a dated reference table with the key, valid on the date",
            returns="record"),
    Builtin("table", ("table",), _keys_of, lambda t: t.keys(),
            "the keys of a reference table, for use with 'in'", returns="list"),
    Builtin("uscc_valid", ("string",), BOOLEAN, uscc_valid,
            "GB 32100-2015 unified social credit code with a correct check character"),
    Builtin("orgcode_valid", ("string",), BOOLEAN, orgcode_valid,
            "GB 11714 organisation code with a correct check character"),
    Builtin("gb2260_known", ("string",), BOOLEAN, gb2260_known,
            "a six-digit GB/T 2260 division code, current or historical (python-stdnum's table)"),
]

BUILTINS: dict[str, Builtin] = {b.name: b for b in _ENTRIES}

__all__ = ["BUILTINS", "Builtin", "Calendar", "Table"]
