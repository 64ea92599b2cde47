"""The expression language: parsing, typing, units and three-valued logic."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from esgcheck.engine.expr.codegen import build_rule
from esgcheck.engine.expr.compiler import (
    Context,
    Environment,
    ExprTypeError,
    FactStore,
    Note,
    Read,
    bounded_width,
    compile_expr,
)
from esgcheck.engine.expr.parser import ExprSyntaxError, parse
from esgcheck.engine.expr.types import SchemaTypes
from esgcheck.engine.expr.values import MISSING
from esgcheck.engine.units import Quantity

QUANTITY = {"type": "object", "properties": {"value": {"type": "number"},
                                              "unit": {"type": "string"}}}
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["a", "b"]},
        "day": {"type": "string", "format": "date"},
        "flag": {"type": "boolean"},
        "n": {"type": "number"},
        "big": {"type": "number"},
        "far": {"type": "number"},
        "total": {**QUANTITY, "x-quantity": "t"},
        "cap": {**QUANTITY, "x-quantity": "t"},
        "footprint": {**QUANTITY, "x-quantity": "kgCO2e/kWh"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "outlets": {"type": "array", "items": {
            "type": "object", "x-entity": "outlet",
            "properties": {"code": {"type": "string"}, "total": {**QUANTITY, "x-quantity": "t"}}}},
    },
}
TYPES = SchemaTypes(SCHEMA, "demo")


def run(expr: str, doc: dict[str, Any] | str, trace: bool = False) -> Any:
    """The expression's value on ``doc`` (or on the JSON text ``doc``). Untraced,
    it is worked out both by the closures and by the generated code (see
    codegen), which must agree."""
    env = Environment(TYPES, TYPES.root())
    compiled = compile_expr(parse(expr), env)
    doc = json.loads(doc if isinstance(doc, str) else json.dumps(doc), parse_float=Decimal)
    ctx = Context(doc, FactStore(), date(2024, 3, 1), env.slots)
    ctx.env[1], ctx.paths[1] = doc, ()
    if trace:
        ctx.trace = []
        value = compiled.fn(ctx)
        return value, ctx.trace
    value = compiled.fn(ctx)
    generated = build_rule("test", None, compiled.emitter())(ctx)
    assert generated is value if value is MISSING or isinstance(value, bool) else (
        generated == value), (expr, generated, value)
    return value


def type_error(expr: str) -> str:
    with pytest.raises(ExprTypeError) as info:
        compile_expr(parse(expr), Environment(TYPES, TYPES.root()))
    return info.value.message


DOC = {
    "name": "x", "kind": "a", "day": "2024-03-15", "flag": True, "n": 3,
    "total": {"value": 3500, "unit": "kg"},
    "footprint": {"value": 65, "unit": "kg CO2e/kWh"},
    "tags": ["p", "q"],
    "outlets": [{"code": "DA001", "total": {"value": 1.5, "unit": "t"}},
                {"code": "DW002", "total": {"value": 2, "unit": "t"}}],
}


@pytest.mark.parametrize("expr, expected", [
    ("n + 2 * 3 == 9", True),
    ("(n + 2) * 3", 15),
    ("n / 2", Decimal("1.5")),
    ("day == 2024-03-15", True),
    ("day < 2024-03-16 and day > 2024-03-14", True),
    ("add_days(day, 17) == 2024-04-01", True),
    ("add_months(2024-01-31, 1) == 2024-02-29", True),
    ("kind in ['a', 'b']", True),
    ("kind not in ['a']", False),
    ("'p' in tags", True),
    ("name matches '^x$'", True),
    ("all(o in outlets: o.code matches '^D[AW][0-9]{3}$')", True),
    ("any(o in outlets: o.code == 'DW002')", True),
    ("none(o in outlets: o.code == 'XX')", True),
    ("count(o in outlets: o.total > 1.6[t])", 1),
    ("count(outlets)", 2),
    ("any(t in tags: t == 'q')", True),  # items converted one by one in generated code
    ("count(t in tags: t != 'p' and n > 2)", 1),
    ("name + kind == 'xa'", True),
    ("as_of < day", True),
    ("total == 3.5[t]", True),
    ("total > 3499[kg] and total < 3.501[t]", True),
    ("approx(sum(o in outlets: o.total), total, 0.01)", True),
    ("footprint <= 0.065[tCO2e/kWh]", True),
    ("footprint == 65000[gCO2e/kWh]", True),
    ("footprint > 64999[kgCO2e/MWh]", True),
    ("value_in(total, 't')", Decimal("3.5")),
    ("if flag then 'yes' else 'no'", "yes"),
    ("code_prefix('3.2.2.1', 3) == '3.2.2'", True),
    ("code_prefix('3.2.2.1', 1)", "3"),
    ("code_prefix('3.2', 3)", MISSING),  # no third level
    ("number(substr('2025-03-15', 1, 4)) > 2024", True),
    ("number('-1.50')", Decimal("-1.50")),
    ("number('2024/')", MISSING),  # not a number written in decimal digits
    ("number('\uff12\uff10\uff12\uff14')", MISSING),  # full-width digits are not read as digits
    # normalize: NFKC (full-width forms), dashes as hyphens, no space between
    # Chinese characters, single spaces; name_key also upper-cases and drops a
    # trailing bracketed qualifier, as name tables are keyed
    ("normalize('\uff23\uff2f\uff24\u2010\uff11  \u6c28 \u6c2e ')", "COD-1 氨氮"),
    ("normalize('coal\u2013fired  power')", "coal-fired power"),
    ("name_key('化学需氧量（COD）')", "化学需氧量"),
    ("name_key(' nox ')", "NOX"),
    ("missing_thing ?? 'd'", None),  # replaced below: unknown fields are load errors
])
def test_values(expr: str, expected: Any) -> None:
    if "missing_thing" in expr:
        assert "unknown field 'missing_thing'" in type_error(expr)
        return
    assert run(expr, DOC) == expected


def test_sum_keeps_the_unit_of_the_first_item() -> None:
    value = run("sum(o in outlets: o.total)", DOC)
    assert isinstance(value, Quantity)
    assert value.unit.symbol == "t" and value.value == Decimal("3.5")


@pytest.mark.parametrize("expr, expected", [
    ("n > 1 and name == 'x'", MISSING),
    ("n > 1 or name == 'x'", True),  # true or missing is true
    ("name == 'y' and n > 1", False),  # false and missing is false
    ("not (n > 1)", MISSING),
    ("exists(n)", False),
    ("missing(n)", True),
    ("n ?? 7", 7),
    ("all(o in outlets: o.code == 'DA001')", MISSING),
    ("any(o in outlets: o.code == 'DW001')", MISSING),
    ("any(o in outlets: o.code == 'DA001')", True),
])
def test_three_valued_logic(expr: str, expected: Any) -> None:
    doc = {"outlets": [{"code": "DA001"}, {}]} if "outlets" in expr else {"name": "x"}
    assert run(expr, doc) is expected or run(expr, doc) == expected


def test_any_is_true_when_one_item_decides_despite_missing_ones() -> None:
    assert run("any(o in outlets: o.code == 'DA001')",
               {"outlets": [{}, {"code": "DA001"}]}) is True


def test_wrong_types_read_as_missing_not_as_values() -> None:
    doc = {"n": "12", "day": "15.03.2024", "total": {"value": 1, "unit": "kWh"}}
    assert run("n > 1", doc) is MISSING
    assert run("day > 2024-01-01", doc) is MISSING
    assert run("total > 0[t]", doc) is MISSING  # a unit of the wrong dimension


UNREADABLE = {"n": "12", "day": "2023-13-01", "flag": "yes",
              "total": {"value": 1, "unit": "kWh"},
              "footprint": {"value": 65, "unit": "kgCO2e/piece"}}


@pytest.mark.parametrize("expr, expected", [
    # a value that is there but does not read as its type is unknown, not absent
    ("exists(n)", MISSING), ("missing(n)", MISSING), ("readable(n)", False),
    ("exists(day)", MISSING), ("readable(day)", False),
    ("exists(total)", MISSING), ("missing(total)", MISSING), ("readable(total)", False),
    ("present(total)", True), ("present(n)", True), ("present(name)", False),
    ("present(kind)", True),
    ("exists(footprint)", MISSING), ("readable(footprint)", False),
    ("n ?? 7", MISSING), ("(flag ?? false) or n > 1", MISSING),
    ("total ?? 0[t]", MISSING),
    ("exists(total) and total > 5[t]", MISSING),  # a guard that cannot be decided
    # absent stays absent
    ("exists(name)", False), ("missing(name)", True), ("readable(name)", MISSING),
    ("name ?? 'd'", "d"),
    # readable stays readable
    ("exists(kind)", True), ("readable(kind)", True), ("kind ?? 'b'", "a"),
])
def test_unreadable_is_not_absent(expr: str, expected: Any) -> None:
    doc = {**UNREADABLE, "kind": "a"}
    assert run(expr, doc) is expected or run(expr, doc) == expected


def test_unreadable_inside_a_quantifier_is_unknown() -> None:
    doc = {"outlets": [{"code": "DA001", "total": {"value": 9, "unit": "furlong"}}]}
    assert run("any(o in outlets: exists(o.total) and o.total > 5[t])", doc) is MISSING
    assert run("all(o in outlets: (o.total ?? 0[t]) < 5[t])", doc) is MISSING


def test_an_unreadable_value_is_traced_with_what_was_found_and_expected() -> None:
    _, trace = run("exists(total) and total > 5[t]", UNREADABLE, trace=True)
    read = next(e for e in trace if isinstance(e, Read) and e.path == ("total",))
    assert read.value is MISSING and read.raw == {"value": 1, "unit": "kWh"}
    assert read.problem is not None
    assert "'kWh' measures an energy" in read.problem.en and "a mass" in read.problem.en
    _, trace = run("day > 2024-01-01", UNREADABLE, trace=True)
    (read,) = [e for e in trace if isinstance(e, Read)]
    assert read.problem is not None and "'2023-13-01' is not a valid date" in read.problem.en


def test_readable_takes_a_field_of_the_filing() -> None:
    assert "readable() takes a field" in type_error("readable(n + 1)")
    assert "present() takes a field" in type_error("present(n + 1)")


def test_trace_records_paths_and_values() -> None:
    _, trace = run("all(o in outlets: o.total < 5[t])", DOC, trace=True)
    paths = [e.path for e in trace if isinstance(e, Read)]
    assert ("outlets", 0, "total") in paths and ("outlets", 1, "total") in paths


@pytest.mark.parametrize("expr, message", [
    ("nmae == 'x'", "unknown field 'nmae'"),
    ("frobnicate(n)", "unknown function 'frobnicate'"),
    ("name > 3", "cannot use '>' between string and number"),
    ("total > 3", "unit clash"),
    ("total > 3[kWh]", "unit clash"),
    ("total + footprint", "unit clash"),
    ("kind == 'c'", "'c' is not a value this field can take"),
    ("n and flag", "expected a true/false condition"),
    ("name matches '(['", "invalid regular expression"),
    ("3[parsec] > n", "unknown unit"),
    ("lookup('nope', name)", "unknown table 'nope'"),
    ("facts.nothing", "unknown fact 'nothing'"),
    ("config.nothing", "unknown configuration value 'nothing'"),
    ("len(n)", "expected string|list"),
    ("substr(name, 1)", "takes 3 argument(s)"),
])
def test_type_errors(expr: str, message: str) -> None:
    assert message in type_error(expr)


@pytest.mark.parametrize("expr", ["n ==", "(n", "all(o in : x)", "n @ 2", "'unclosed"])
def test_syntax_errors_have_positions(expr: str) -> None:
    with pytest.raises(ExprSyntaxError) as info:
        parse(expr)
    assert 0 <= info.value.pos <= len(expr)


def test_regexes_keep_backslashes() -> None:
    assert run(r"name matches '^\w$'", DOC) is True


@pytest.mark.parametrize(("pattern", "bounded"), [
    ("^D[AW][0-9]{3}$", True),  # at most 5 characters: searched without the timeout
    ("(?i)^qr", True),
    ("a{1,1000}", True),
    ("^(D|A|a|aa)+$", False),  # unbounded repeats keep the timeout
    (r"^[1-6]\.[0-9]+$", False),
    (r"^\p{Han}$", False),  # syntax only the regex package knows: keep the timeout
])
def test_only_bounded_patterns_run_without_timeout(pattern: str, bounded: bool) -> None:
    assert bounded_width(pattern) is bounded


# Values past what a built-in or an operator can work in: both ways of
# evaluating agree that the condition cannot be decided, and the traced one
# notes the operation and the values, so the finding names them.
HUGE = ('{"n": 3, "day": "2024-03-15", "name": "x", "big": 1e600000, "far": 1e9999999,'
        ' "total": {"value": 1e999999, "unit": "t"}, "footprint": {"value": 1, "unit":'
        ' "kgCO2e/kWh"}, "outlets": [{"code": "DA001", "total": {"value": 9e999999, "unit":'
        ' "t"}}, {"code": "DA002", "total": {"value": 9e999999, "unit": "t"}},'
        ' {"code": "DA003", "total": {"value": 1, "unit": "kg"}}]}')


@pytest.mark.parametrize("expr, note", [
    ("round(n, 1000000000) > 1", "round(3, 1000000000) is out of range (InvalidOperation)"),
    ("add_months(day, 100000000000) > day",
     "add_months(2024-03-15, 100000000000) is out of range"),
    ("date(100000000000, 1, 1) > day", "date(100000000000, 1, 1) is not a date"),
    ("add_days(day, 1e30) > day", "1000000000000000000000000000000 is beyond the range of a"),
    ("add_days(day, far) > day", "1E+9999999 is beyond the range of a count"),
    ("add_months(9999-12-31, 1) > day", "add_months(9999-12-31, 1) is out of range"),
    ("add_days(9999-12-31, 1) > day", "add_days(9999-12-31, 1) is out of range (OverflowError)"),
    ("substr(name, 1, 1e30) == 'x'", "beyond the range of a count"),
    ("total > 1[kg]", "1E+999999 t > 1 kg is out of range (Overflow)"),
    ("total == 1[kg]", "1E+999999 t == 1 kg is out of range (Overflow)"),
    ("total in [1[kg], 2[kg]]", "is out of range (Overflow)"),
    ("approx(total, 1[kg], 0.1)", "approx(1E+999999 t, 1 kg, 0.1) is out of range"),
    ("value_in(total, 'kg') > 0", "value_in(1E+999999 t, kg) is out of range (Overflow)"),
    ("big * big > 0", "1E+600000 * 1E+600000 is out of range (Overflow)"),
    ("-far < 0", "-(1E+9999999) is out of range (Overflow)"),
    ("sum(o in outlets: o.total) > 0[t]", "9E+999999 t + 9E+999999 t is out of range"),
    ("max(o in outlets: o.total) > 0[t]",
     "max(9E+999999 t, 9E+999999 t, 1 kg) is out of range (Overflow)"),
])
def test_values_out_of_range_cannot_be_decided_and_are_named(expr: str, note: str) -> None:
    assert run(expr, HUGE) is MISSING
    value, trace = run(expr, HUGE, trace=True)
    assert value is MISSING
    notes = [e.text for e in trace if isinstance(e, Note)]
    assert any(note in n for n in notes), notes


@pytest.mark.parametrize("expr, expected", [
    ("total > 20[t]", True),  # same unit: compared as written, however large
    ("n < far", True),
    ("big > 5", True),
    ("-big < 0", True),
    ("round(n, 2) == 3", True),
    ("add_months(9999-11-30, 1) == 9999-12-30", True),
    ("sum(o in outlets: o.total) > 0[t] or n == 3", True),  # true or unknown
])
def test_large_values_that_can_be_decided_are(expr: str, expected: Any) -> None:
    assert run(expr, HUGE) is expected


@pytest.mark.parametrize("value", [0.1, 0.3, 0.30000000000000004, 2.5, 3, 3.0, -0.0, 1e-07,
                                   123456789.123, 2**53 + 1, 1e22, True])
@pytest.mark.parametrize("expr", ["n < 0.3", "n <= 0.1", "n == 3", "n > 2.5", "n >= 1e-7",
                                  "0.3 > n", "n != 123456789.123", "n < 0.1234567890123456789",
                                  "n == 9007199254740993", "n > far", "n == far"])
def test_numbers_compare_as_written_in_both_forms(expr: str, value: Any) -> None:
    """A JSON float is the decimal it is written as: the fast form, which compares
    floats without making decimals of them, agrees with the traced form, which
    converts them, and with exact decimal arithmetic."""
    env = Environment(TYPES, TYPES.root())
    compiled = compile_expr(parse(expr), env)
    for far in (0.3, 3, 2.5000000000000004):
        doc = {"n": value, "far": far}  # floats as orjson and json give them
        ctx = Context(doc, FactStore(), None, env.slots)
        ctx.env[1], ctx.paths[1] = doc, ()
        fast = build_rule("test", None, compiled.emitter())(ctx)
        assert fast is compiled.fn(ctx), (expr, value, far)
        if isinstance(value, bool):
            assert fast is MISSING
            continue
        exact = {k: Decimal(repr(v)) for k, v in doc.items()}
        ctx = Context(exact, FactStore(), None, env.slots)
        ctx.env[1], ctx.paths[1] = exact, ()
        assert fast is compiled.fn(ctx), (expr, value, far)


@pytest.mark.parametrize("total, cap, expected", [
    (1152921504606846990, 1.152921504606847e18, True),  # the float is 2**60 in binary
    (1152921504606847001, 1.152921504606847e18, False),
    (1.152921504606847e18, 1152921504606846990, False),
    (5, 4.9, False),
    (4.9, 5, True),
    (0.1, 0.1, True),
    (9007199254740991, 9007199254740991.0, True),
])
def test_quantities_in_one_unit_compare_as_written(total: Any, cap: Any, expected: bool) -> None:
    """Two quantities in the same unit compare by their numbers without making
    decimals of them only where Python compares them as written: an integer
    against a float compares as the decimal the float is written as, which its
    binary value may not be (past 2**53), in both forms."""
    env = Environment(TYPES, TYPES.root())
    compiled = compile_expr(parse("total <= cap"), env)
    doc = {"total": {"value": total, "unit": "t"}, "cap": {"value": cap, "unit": "t"}}
    ctx = Context(doc, FactStore(), None, env.slots)
    ctx.env[1], ctx.paths[1] = doc, ()
    assert build_rule("test", None, compiled.emitter())(ctx) is expected
    assert compiled.fn(ctx) is expected


@pytest.mark.parametrize("expr, expected", [
    ("total <= 0.1[t]", True),
    ("total >= 0.1[t]", True),
    ("total == 0.1[t]", True),
    ("total != 0.1[t]", False),
    ("total < 0.1[t]", False),
    ("total > 0.1[t]", False),
    ("total <= 100[kg]", True),
    ("total < 100.000000000000001[kg]", True),
])
def test_a_float_quantity_compares_with_a_constant_as_written(expr: str, expected: bool) -> None:
    """0.1 t read from a filing (a float, as the fast JSON path gives it) is
    equal to the rule's 0.1[t] (a decimal): Python would compare the float's
    binary value, 0.1000000000000000055..., and find it greater. In both forms."""
    env = Environment(TYPES, TYPES.root())
    compiled = compile_expr(parse(expr), env)
    doc = {"total": {"value": 0.1, "unit": "t"}}
    ctx = Context(doc, FactStore(), None, env.slots)
    ctx.env[1], ctx.paths[1] = doc, ()
    assert build_rule("test", None, compiled.emitter())(ctx) is expected
    assert compiled.fn(ctx) is expected


@pytest.mark.parametrize("a", [0.1, 3, 2**53, 2**53 + 1, 1e16, 1.152921504606847e18, -0.3,
                               Decimal("0.1"), Decimal("9007199254740993")])
@pytest.mark.parametrize("b", [0.1, 3.0, 9007199254740992.0, 2**60, -1, Decimal("0.3")])
def test_numbers_compared_directly_compare_as_written(a: Any, b: Any) -> None:
    """Where compare_directly allows Python's own comparison, it agrees with
    exact decimal comparison of the numbers as written."""
    from esgcheck.engine.expr.values import compare_directly

    def exact(x: Any) -> Decimal:
        return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)

    if compare_directly(a, b):
        assert (a < b, a == b) == (exact(a) < exact(b), exact(a) == exact(b))
