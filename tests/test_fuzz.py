"""Property-based tests over the readers, the expression parser and the engine:
whatever arrives, esgcheck answers with its own input error or a report, and
the same input always gives the same report.

The default run is bounded for CI. The longer run (see the README) is the same
tests with more examples: ESGCHECK_FUZZ=long python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esgcheck.checker import Checker
from esgcheck.engine.expr.parser import ExprSyntaxError, parse
from esgcheck.engine.filing_types import default_registry
from esgcheck.filings.errors import InputError
from esgcheck.filings.reader import read_bytes
from esgcheck.filings.xmlread import to_xml

from .conftest import FIXTURES, all_paths

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("ESGCHECK_FUZZ", "ci"))

REGISTRY = default_registry()
ANNUAL = json.loads((FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json")
                    .read_text(encoding="utf-8"))

PREFIXES = [b"", b"{", b'{"filing_type": "cn-eidm-annual", ', b"\xef\xbb\xbf{", b"\xff\xfe",
            b"<", b'<?xml version="1.0"?>', b'<AnnualReport xmlns="urn:esgcheck:cn-eidm-annual:1">']


@given(st.sampled_from(PREFIXES), st.binary(max_size=400), st.sampled_from(["f.json", "f.xml"]))
def test_arbitrary_bytes_give_a_filing_or_an_input_error(prefix: bytes, body: bytes,
                                                         name: str) -> None:
    try:
        read_bytes(prefix + body, name, REGISTRY)
    except InputError as exc:
        assert exc.describe("en").startswith(name) and exc.describe("zh")


EXPR_ALPHABET = st.sampled_from([*"abcxyz_019.,:()[]'\"<>=!?+-*/ \n", "and", "or", "not",
                                 "in", "if", "then", "else", "all", "any", "sum", "matches",
                                 "true", "false", "??"])


@given(st.lists(EXPR_ALPHABET, max_size=40).map(" ".join) | st.text(max_size=60))
def test_arbitrary_expressions_parse_or_give_a_syntax_error(text: str) -> None:
    with contextlib.suppress(ExprSyntaxError):  # the one error the parser may give
        parse(text)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
    | st.sampled_from(["2023-01-01", "2023-02-30", "t", "mg/m3", "DA001", "HW08", "air"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8)


def _mutate(doc: Any, changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    doc = json.loads(json.dumps(doc))
    for path, value in changes:
        node = doc
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the place
    return doc


@pytest.fixture(scope="module")
def engine() -> Checker:
    return Checker()


# Canonical samples of every filing type whose values the mutations change.
BASES = {
    "cn-eidm-annual": ANNUAL,
    "green-finance": json.loads(
        (FIXTURES / "green-finance/01-compliant-domestic-bond-2021.json").read_text("utf-8")),
    "eu-battery-cf": json.loads(
        (FIXTURES / "eu-battery-cf/01-compliant-ev-declaration.json").read_text("utf-8")),
    "cn-fi-environmental-disclosure": json.loads(
        (FIXTURES / "cn-fi-environmental-disclosure/01-compliant-shenzhen-bank-2024.json")
        .read_text("utf-8")),
}
BASE_PATHS = {name: [p for p in all_paths(doc) if p and p[0] != "filing_type"]
              for name, doc in BASES.items()}


@given(st.sampled_from(sorted(BASES)), st.data(), st.booleans())
def test_well_formed_filings_always_give_the_same_report(engine: Checker, type_id: str,
                                                         data: st.DataObject,
                                                         as_xml: bool) -> None:
    changes = data.draw(st.lists(st.tuples(st.sampled_from(BASE_PATHS[type_id]), JSON_VALUES),
                                 min_size=1, max_size=4))
    doc = _mutate(BASES[type_id], changes)
    ft = REGISTRY.get(type_id)
    assert ft is not None and ft.xml_root is not None
    if as_xml:
        try:
            raw = to_xml(doc, ft.types, ft.xml_root, ft.xml_namespace)
        except (TypeError, ValueError):
            return  # a value the XML form cannot carry (a control character, say)
        name = "f.xml"
    else:
        raw, name = json.dumps(doc, ensure_ascii=False).encode(), "f.json"
    first = engine.check_bytes(raw, name)
    again = engine.check_bytes(raw, name)
    assert first.model_dump_json() == again.model_dump_json()
    assert first.status in ("checked", "unreadable", "not_assessed")
    assert first.error is None or first.error.code != "internal", first.error
