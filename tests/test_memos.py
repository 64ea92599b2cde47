"""The shortcuts that make checking fast give the answers of the long way:
a regular expression's memo, and the quantity check's pass over a filing whose
units were all seen before."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import regex

from esgcheck.engine.expr.runtime import SearchMemo
from esgcheck.engine.expr.values import Undecidable
from esgcheck.engine.filing_types import default_registry
from esgcheck.engine.quantities import QuantityFields, UnitProblem, _at

FIXTURE = Path(__file__).parents[1] / "fixtures" / "cn-eidm-annual" / \
    "01-compliant-key-discharger.json"


def test_a_text_is_searched_once() -> None:
    calls: list[str] = []
    pattern = regex.compile(r"m\s*3$")

    def search(text: str, **_: Any) -> Any:
        calls.append(text)
        return pattern.search(text)

    memo = SearchMemo(search, timed=False)
    assert [memo["mg/m3"], memo["mg/L"], memo["mg/m3"], memo["mg/L"]] == [True, False, True, False]
    assert calls == ["mg/m3", "mg/L"]


def test_long_texts_and_timeouts_are_not_kept() -> None:
    def slow(text: str, **_: Any) -> Any:
        raise TimeoutError

    memo = SearchMemo(slow, timed=True)
    with pytest.raises(Undecidable):
        memo["mg/m3"]
    assert "mg/m3" not in memo  # the next search tries again
    plain = SearchMemo(regex.compile("a").search, timed=False)
    long = "a" * (SearchMemo.LONGEST + 1)
    assert plain[long] is True and long not in plain


def _reference(fields: QuantityFields, doc: Any) -> list[UnitProblem]:
    """problems() the long way: every value of every quantity field looked at."""
    from esgcheck.engine.units import unit_problem

    out = []
    for pattern, t in fields.patterns:
        for path, obj in _at(doc, pattern):
            if obj.__class__ is not dict:
                continue
            unit = obj.get("unit")
            if unit.__class__ is not str or not unit or fields.readable(unit, t):
                continue
            kind, found = unit_problem(unit, t.dims)
            out.append(UnitProblem(path, kind, unit, t, found))
    return out


def _pollutants(doc: Any) -> list[Any]:
    return [p for o in doc["pollution"]["outlets"] for p in o["pollutants"]]


@pytest.mark.parametrize("change", ["list unit", "number not object", "bad unit", "outlet null",
                                    "outlets not list", "empty unit", "other dimension"])
def test_unit_problems_as_the_long_way_finds_them(change: str) -> None:
    ft = default_registry().get("cn-eidm-annual")
    assert ft is not None
    fields = QuantityFields(ft.types)  # its own memo of units seen
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert fields.problems(doc) == _reference(fields, doc) == []  # and units are now seen
    bad = copy.deepcopy(doc)
    first = _pollutants(bad)[0]
    if change == "list unit":
        first["concentration"]["unit"] = ["mg/m3"]
    elif change == "number not object":
        first["concentration"] = 12.5
    elif change == "bad unit":
        _pollutants(bad)[-1]["annual_total"]["unit"] = "furlongs"
    elif change == "outlet null":
        _pollutants(bad)[-1]["concentration"]["unit"] = "t"
        bad["pollution"]["outlets"].insert(0, None)
    elif change == "outlets not list":
        bad["pollution"]["outlets"] = {"pollutants": [first]}
    elif change == "empty unit":
        first["concentration"]["unit"] = ""
    else:
        first["concentration_limit"]["unit"] = "kg"
    assert fields.problems(bad) == _reference(fields, bad)
    if change in ("bad unit", "outlet null", "other dimension"):
        assert fields.problems(bad)  # the change is found, not passed over
