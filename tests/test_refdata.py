"""Reference data: tables are checked when they load, and used as they are meant."""

from __future__ import annotations

from datetime import date

import pytest

from esgcheck.engine.expr.compiler import Environment, ExprTypeError, compile_expr
from esgcheck.engine.expr.parser import parse
from esgcheck.engine.expr.types import SchemaTypes
from esgcheck.engine.refdata import RefDataError, load_table

DATED = {
    "key": "category", "columns": {"category": "string", "valid_from": "date",
                                   "valid_to": "date", "max": "number"},
    "rows": [{"category": "ev", "valid_from": date(2025, 1, 1), "valid_to": date(2027, 12, 31),
              "max": 100},
             {"category": "ev", "valid_from": date(2028, 1, 1), "max": 80}],
}


def test_dated_rows_are_chosen_by_date() -> None:
    table = load_table("t", DATED)
    assert table.get_dated("ev", date(2027, 12, 31))["max"] == 100
    assert table.get_dated("ev", date(2028, 1, 1))["max"] == 80
    assert table.get_dated("ev", date(2024, 12, 31)) is None


def test_overlapping_windows_are_refused() -> None:
    rows = [dict(DATED["rows"][0], valid_to=date(2028, 6, 30)), DATED["rows"][1]]
    with pytest.raises(RefDataError, match="overlapping"):
        load_table("t", {**DATED, "rows": rows})


def test_backwards_windows_are_refused() -> None:
    rows = [dict(DATED["rows"][0], valid_to=date(2024, 1, 1))]
    with pytest.raises(RefDataError, match="before valid_from"):
        load_table("t", {**DATED, "rows": rows})


SCHEMA = {"type": "object", "properties": {"category": {"type": "string"},
                                            "n": {"type": "number"},
                                            "day": {"type": "string", "format": "date"}}}


def compile_with_table(expr: str) -> None:
    types = SchemaTypes(SCHEMA, "t")
    env = Environment(types, types.root(), tables={"t": load_table("t", DATED)})
    compile_expr(parse(expr), env)


@pytest.mark.parametrize("expr, message", [
    ("exists(lookup_dated('t', n, day))", "the key of table t is string, not number"),
    ("exists(lookup('t', category))", "table t is dated: use lookup_dated"),
    ("category in table('t')", "table t is dated"),
])
def test_table_misuse_is_a_load_error(expr: str, message: str) -> None:
    with pytest.raises(ExprTypeError, match=message):
        compile_with_table(expr)


def test_dated_lookup_compiles() -> None:
    compile_with_table("lookup_dated('t', category, day).max > 3")
