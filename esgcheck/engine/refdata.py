"""Reference data shipped with a rule base: code lists, tables and calendars.

Each data file records its source, edition and licence next to its rows. The
expression language reaches tables only through built-ins that name them with
a string literal, so an unknown table is a load error, not a run-time surprise.
"""

from __future__ import annotations

from collections.abc import KeysView, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from esgcheck.engine.expr.types import BOOLEAN, DATE, NUMBER, STRING, QuantityT, Type
from esgcheck.engine.expr.values import Undecidable
from esgcheck.engine.units import Quantity, parse_unit


class RefDataError(ValueError):
    """A reference-data file that does not follow its format."""


_COLUMN_TYPES: dict[str, Type] = {
    "string": STRING, "number": NUMBER, "date": DATE, "boolean": BOOLEAN,
}


def column_type(spec: str) -> Type:
    """``string``, ``number``, ``date``, ``boolean`` or ``quantity[UNIT]``."""
    if spec in _COLUMN_TYPES:
        return _COLUMN_TYPES[spec]
    if spec.startswith("quantity[") and spec.endswith("]"):
        return QuantityT(parse_unit(spec[9:-1]).dims)
    raise RefDataError(f"unknown column type {spec!r}")


def cell(value: Any, kind: Type, where: str) -> Any:
    if value is None:
        return None
    if isinstance(kind, QuantityT):
        if not isinstance(value, Mapping) or set(value) != {"value", "unit"}:
            raise RefDataError(f"{where}: a quantity is written {{value: ..., unit: ...}}")
        unit = parse_unit(str(value["unit"]))
        if unit.dims != kind.dims:
            raise RefDataError(f"{where}: unit {value['unit']} does not fit the column")
        return Quantity(_decimal(value["value"], where), unit)
    if kind is DATE:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise RefDataError(f"{where}: {value!r} is not a date") from None
    if kind is NUMBER:
        return _decimal(value, where)
    if kind is BOOLEAN:
        if not isinstance(value, bool):
            raise RefDataError(f"{where}: {value!r} is not true or false")
        return value
    return str(value)


def _decimal(value: Any, where: str) -> Any:
    from decimal import Decimal, InvalidOperation

    if isinstance(value, bool):
        raise RefDataError(f"{where}: {value!r} is not a number")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RefDataError(f"{where}: {value!r} is not a number") from None


@dataclass(frozen=True)
class Table:
    """Rows keyed by one column; optionally dated with ``valid_from``/``valid_to``."""

    name: str
    key: str
    columns: Mapping[str, Type]
    rows: Sequence[Mapping[str, Any]]
    meta: Mapping[str, Any] = field(default_factory=dict)
    _index: dict[Any, list[Mapping[str, Any]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for row in self.rows:
            self._index.setdefault(row[self.key], []).append(row)

    @property
    def dated(self) -> bool:
        return "valid_from" in self.columns

    def keys(self) -> KeysView[Any]:
        """The keys in the table's order (a set's order would follow the hash
        seed, and so would a quantifier's evidence over them)."""
        return self._index.keys()

    def get(self, key: Any) -> Mapping[str, Any] | None:
        rows = self._index.get(key)
        return rows[0] if rows else None

    def with_rows(self, rows: Sequence[Mapping[str, Any]]) -> Table:
        """The same table with other rows, already converted to the column types;
        a dated table's windows are checked again."""
        if self.dated:
            _check_windows(rows, self.key)
        return Table(self.name, self.key, self.columns, list(rows), self.meta)

    def get_dated(self, key: Any, when: date) -> Mapping[str, Any] | None:
        for row in self._index.get(key, ()):
            start, end = row.get("valid_from"), row.get("valid_to")
            if (start is None or start <= when) and (end is None or when <= end):
                return row
        return None


def load_table(name: str, data: Mapping[str, Any]) -> Table:
    columns_spec = data.get("columns")
    if not isinstance(columns_spec, Mapping) or not columns_spec:
        raise RefDataError("a table needs 'columns' (name: type)")
    columns = {str(k): column_type(str(v)) for k, v in columns_spec.items()}
    key = data.get("key")
    if key not in columns:
        raise RefDataError(f"key {key!r} is not one of the columns")
    rows: list[dict[str, Any]] = []
    for i, raw in enumerate(data.get("rows") or []):
        if not isinstance(raw, Mapping):
            raise RefDataError(f"row {i + 1} is not a mapping")
        unknown = set(raw) - set(columns)
        if unknown:
            raise RefDataError(f"row {i + 1}: unknown column(s) {sorted(unknown)}")
        rows.append({c: cell(raw.get(c), t, f"row {i + 1}, {c}") for c, t in columns.items()})
        if rows[-1][key] is None:
            raise RefDataError(f"row {i + 1}: the key column {key!r} is empty")
    if "valid_from" in columns:
        _check_windows(rows, str(key))
    meta = {k: v for k, v in data.items() if k not in ("columns", "rows")}
    return Table(name, str(key), columns, rows, meta)


def _check_windows(rows: Sequence[Mapping[str, Any]], key: str) -> None:
    """A dated table's windows for one key must be well formed and must not
    overlap: which row applies on a day must never depend on row order."""
    by_key: dict[Any, list[tuple[date, date, int]]] = {}
    for i, row in enumerate(rows):
        start = row.get("valid_from") or date.min
        end = row.get("valid_to") or date.max
        if end < start:
            raise RefDataError(f"row {i + 1}: valid_to {end} is before valid_from {start}")
        by_key.setdefault(row[key], []).append((start, end, i + 1))
    for value, windows in by_key.items():
        windows.sort()
        for (_, end, a), (start, _, b) in pairwise(windows):
            if start <= end:
                raise RefDataError(f"rows {a} and {b} for {key} {value!r} have overlapping "
                                   "validity windows")


@dataclass(frozen=True)
class Calendar:
    """Working days: Monday to Friday, minus public holidays, plus make-up days."""

    name: str
    years: frozenset[int]
    holidays: frozenset[date]
    workdays: frozenset[date]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.years:
            raise Undecidable(
                f"calendar {self.name} does not cover {day.year} "
                f"(covers {min(self.years)} to {max(self.years)})"
            )
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (start itself not counted)."""
        day = start
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def load_calendar(name: str, data: Mapping[str, Any]) -> Calendar:
    years = data.get("years")
    if not isinstance(years, Mapping) or not years:
        raise RefDataError("a calendar needs 'years'")
    holidays: set[date] = set()
    workdays: set[date] = set()
    for year, spec in years.items():
        if not isinstance(spec, Mapping):
            raise RefDataError(f"year {year}: expected a mapping")
        for period in spec.get("holidays") or []:
            start = cell(period.get("from"), DATE, f"year {year}, holidays")
            end = cell(period.get("to", period.get("from")), DATE, f"year {year}, holidays")
            day = start
            while day <= end:
                holidays.add(day)
                day += timedelta(days=1)
        for day in spec.get("workdays") or []:
            workdays.add(cell(day, DATE, f"year {year}, workdays"))
    meta = {k: v for k, v in data.items() if k != "years"}
    return Calendar(name, frozenset(int(y) for y in years), frozenset(holidays),
                    frozenset(workdays), meta)
