"""Why a value the filing gives cannot be read as its field's type.

A value that is present but unreadable (a concentration in an unknown unit, a
date written ``2023-13-01``, text where a number belongs) is not an absent
value: the rules that need it report ``not_assessable`` and their evidence says
what was found and what was expected. This module words that, in Chinese and
English, when a rule is evaluated with a trace.
"""

from __future__ import annotations

from typing import Any

from esgcheck.engine.expr.types import ListT, ObjectT, QuantityT, Scalar, Type
from esgcheck.engine.model import Text
from esgcheck.engine.units import dims_example, dims_name, unit_problem
from esgcheck.messages import message

_KIND_WORDS = {
    "string": ("文本", "text"), "number": ("数字", "a number"),
    "boolean": ("true 或 false", "true or false"), "date": ("YYYY-MM-DD 格式的日期",
                                                          "a date written YYYY-MM-DD"),
}


def _kind(value: Any) -> tuple[str, str]:
    """What a JSON value is, in words."""
    if isinstance(value, bool):
        return ("布尔值", "a boolean")
    if isinstance(value, int | float) or value.__class__.__name__ == "Decimal":
        return ("数字", "a number")
    if isinstance(value, str):
        return ("文本", "text")
    if isinstance(value, list):
        return ("列表", "a list")
    if isinstance(value, dict):
        return ("对象", "an object")
    return ("其他值", "another value")


def _both(code: str, **params: tuple[str, str] | str) -> Text:
    """A message with parameters that differ by language (zh, en) pairs."""
    def fill(i: int, lang: str) -> str:
        return message(code, lang, **{k: v if isinstance(v, str) else v[i]
                                      for k, v in params.items()})
    return Text(zh=fill(0, "zh"), en=fill(1, "en"))


def describe(t: Type, raw: Any) -> Text:
    """Why ``raw``, present in the filing, is not a value of type ``t``."""
    if isinstance(t, QuantityT):
        expected = (dims_name(t.dims, "zh"), dims_name(t.dims, "en"))
        example = dims_example(t.dims)
        if not isinstance(raw, dict):
            return _both("unreadable.quantity_shape", found=_kind(raw))
        value, unit = raw.get("value"), raw.get("unit")
        if value is None or isinstance(value, bool) or not (
                isinstance(value, int | float) or value.__class__.__name__ == "Decimal"):
            return _both("unreadable.quantity_value", found=_kind(value))
        kind, found = unit_problem(unit, t.dims)
        if kind == "dimension" and found is not None:
            return _both("unreadable.unit_dimension", unit=str(unit), expected=expected,
                         example=example, found=(dims_name(found, "zh"), dims_name(found, "en")))
        return _both(f"unreadable.unit_{kind}", unit=str(unit), expected=expected,
                     example=example)
    if isinstance(t, Scalar) and t.name in _KIND_WORDS:
        if t.name == "date" and isinstance(raw, str):
            return _both("unreadable.date", value=raw)
        return _both("unreadable.type", expected=_KIND_WORDS[t.name], found=_kind(raw))
    if isinstance(t, ListT):
        return _both("unreadable.type", expected=("列表", "a list"), found=_kind(raw))
    if isinstance(t, ObjectT):
        return _both("unreadable.type", expected=("对象", "an object"), found=_kind(raw))
    return _both("unreadable.type", expected=("可读的值", "a readable value"), found=_kind(raw))
