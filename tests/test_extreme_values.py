"""Values at the edge of what a filing can write never erase its findings.

Every single-value edit of a bundled sample to an extreme value (a date of
9999-12-31 or 0001-01-01, 1e999999, -1e999999, 10^30, 10^300, 1e-400, a
5,000-digit integer, an empty text, a 100 KB text) leaves the filing checked
(a refusal only where the README documents one: a 5,000-digit integer is past
what the JSON reader takes, and a filing that no longer says what type it is
cannot be read as one), never "internal error", and keeps every finding that
does not read the edited value, with its outcome. A condition that reads an
out-of-range value is not assessable and its note names the value.

The property runs over every sample and leaf (60 examples; 2,000 with
ESGCHECK_FUZZ=long); the deterministic pass edits every date of three samples to
the date classes and every number to the number classes (with
ESGCHECK_FUZZ=long: every leaf to both).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esgcheck.checker import Checker
from esgcheck.engine.build import json_value
from esgcheck.engine.expr.values import MISSING, display
from esgcheck.engine.findings import FilingReport, Finding
from esgcheck.engine.units import Quantity, parse_unit

from .conftest import FIXTURES

LONG = os.environ.get("ESGCHECK_FUZZ") == "long"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Raw:
    """A value written into the JSON text as it is (a number JSON can write but
    Python's float cannot hold)."""

    text: str


DATES = {"9999-12-31": "9999-12-31", "0001-01-01": "0001-01-01"}
NUMBERS = {"1e999999": Raw("1e999999"), "-1e999999": Raw("-1e999999"),
           "10^30": Raw(str(10 ** 30)), "10^300": Raw(str(10 ** 300)),
           "1e-400": Raw("1e-400")}
OTHERS = {"5000 digits": Raw("9" * 5000), "empty text": "", "100 KB text": "x" * 100_000}
VALUES: dict[str, Any] = {**DATES, **NUMBERS, **OTHERS}


@dataclass(frozen=True)
class Sample:
    name: str
    doc: Any
    canonical: bool  # written in a canonical filing type, not read from an industry format


def _load(data: bytes) -> Any:
    text = data.decode("utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else (
        data.decode("utf-8-sig"))
    return json.loads(text, parse_float=Decimal)


@cache
def samples() -> dict[str, Sample]:
    out = {}
    for path in sorted(FIXTURES.glob("*/*.json")):
        doc = _load(path.read_bytes())
        name = f"{path.parent.name}/{path.name}"
        out[name] = Sample(name, doc, "filing_type" in doc)
    return out


def leaves(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from leaves(value, (*path, i))
    else:
        yield path, node


def write(node: Any) -> str:
    """JSON text, exact numbers and Raw values written as they are."""
    if isinstance(node, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {write(v)}"
                               for k, v in node.items()) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(write(v) for v in node) + "]"
    if isinstance(node, Raw):
        return node.text
    if isinstance(node, Decimal):
        return str(node)
    return json.dumps(node, ensure_ascii=False)


def edited(doc: Any, path: Path_, value: Any) -> bytes:
    def replace(node: Any, at: Path_) -> Any:
        if not at:
            return value
        head, rest = at[0], at[1:]
        if isinstance(node, dict):
            return {k: replace(v, rest) if k == head else v for k, v in node.items()}
        return [replace(v, rest) if i == head else v for i, v in enumerate(node)]

    return write(replace(doc, path)).encode("utf-8")


def pointer(path: Path_) -> str:
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in path)


def related(a: str, b: str) -> bool:
    """Whether one place is the other or holds it."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def reads(finding: Finding, place: str) -> bool:
    """Whether a finding rests on the value at ``place``: it read it (or the
    object holding it, or a value inside it), directly or through a derived
    fact, or it is located there."""
    if finding.location.pointer == place:
        return True
    return any(e.source == "filing" and related(e.name, place)
               for e in finding.all_evidence())


@cache
def checker() -> Checker:
    return Checker()


@cache
def original(name: str) -> FilingReport:
    sample = samples()[name]
    report = checker().check_bytes(edited(sample.doc, (), sample.doc), name)
    assert report.status == "checked"
    return report


def key(f: Finding) -> tuple[str, str, str]:
    return f.rulebase, f.rule_id, f.location.pointer


def check_edit(name: str, path: Path_, label: str) -> FilingReport:
    """Edit one value of a sample and assert what the module promises."""
    sample = samples()[name]
    value = VALUES[label]
    report = checker().check_bytes(edited(sample.doc, path, value), name)
    where = f"{name} {pointer(path)} = {label}"
    assert not (report.error is not None and report.error.code == "internal"), where
    if report.status == "unreadable":
        assert label == "5000 digits" or path == ("filing_type",) or not sample.canonical, (
            where, report.error)
        return report
    if report.status == "not_assessed":
        assert report.error is not None and report.error.code.startswith("limit."), where
        return report
    assert report.status == "checked", where
    if not sample.canonical:
        return report
    place = pointer(path)
    as_of_places = checker().registry.get(sample.doc["filing_type"]).as_of  # type: ignore[union-attr]
    if place in as_of_places:
        return report  # another as-of date: other rule-base versions apply
    after = {key(f): f for f in report.findings}
    for before in original(name).findings:
        if reads(before, place):
            continue
        now = after.get(key(before))
        if now is None and covered(before, report):
            continue
        assert now is not None, f"{where}: {before.rule_id} at {before.location.pointer} lost"
        assert now.outcome == before.outcome, f"{where}: {before.rule_id} became {now.outcome}"
    return report


def covered(finding: Finding, report: FilingReport) -> bool:
    """A structural unit finding is left out when a rule's finding names the same
    quantity as a value it could not read (one defect, one finding)."""
    if finding.rule_id != "SCHEMA.x-quantity":
        return False
    quantity = finding.evidence[0].name.removesuffix("/unit")
    return any(e.name == quantity and e.problem is not None
               for f in report.findings for e in f.all_evidence())


# ---------------------------------------------------------------- the property


@settings(max_examples=2_000 if LONG else 60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_an_extreme_value_anywhere_keeps_the_filing_checked(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(samples())), label="sample")
    paths = [p for p, _ in leaves(samples()[name].doc)]
    path = data.draw(st.sampled_from(paths), label="path")
    label = data.draw(st.sampled_from(sorted(VALUES)), label="value")
    check_edit(name, path, label)


# ---------------------------------------------------------------- every leaf of three samples

PASS = ["cn-eidm-annual/06-wrong-check-character.json",
        "green-finance/12-green-financial-bond-late-report.json",
        "eu-battery-cf/03-stages-do-not-add-up.json"]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def edits(name: str) -> list[tuple[Path_, str]]:
    out = []
    for path, value in leaves(samples()[name].doc):
        is_date = isinstance(value, str) and ISO_DATE.fullmatch(value) is not None
        is_number = isinstance(value, int | Decimal) and not isinstance(value, bool)
        out += [(path, label) for label in DATES if is_date or LONG]
        out += [(path, label) for label in NUMBERS if is_number or LONG]
    return out


@pytest.mark.parametrize("name", PASS)
def test_every_date_and_number_of_a_sample_to_the_extremes(name: str) -> None:
    cases = edits(name)
    assert len(cases) > 40
    for path, label in cases:
        check_edit(name, path, label)


# ---------------------------------------------------------------- the cases of the issue


def case(name: str, path: Path_, label: str) -> FilingReport:
    report = check_edit(name, path, label)
    assert report.status == "checked"
    return report


def notes_of(report: FilingReport, rule: str) -> list[str]:
    return [n for f in report.findings if f.rule_id == rule
            for n in [*f.notes, f.message.en]]


def test_a_permit_issued_on_9999_12_31_keeps_the_breaches_and_names_the_date() -> None:
    """add_months(issued, 60) is past the calendar: unknown, and the note names
    it; the permit is still a breach because it also runs backwards (issued
    after it expires: false whatever the unknown), and every other breach stays."""
    name = "cn-eidm-annual/06-wrong-check-character.json"
    path = ("environmental_management", "permits", 0, "issued")
    report = case(name, path, "9999-12-31")
    before = {f.rule_id for f in original(name).findings if f.outcome == "breach"}
    assert before <= {f.rule_id for f in report.findings if f.outcome == "breach"}
    permit = next(f for f in report.findings if f.rule_id == "CN-EIDM-PMT-001-02")
    assert permit.outcome == "breach"
    assert permit.notes == ["add_months(9999-12-31, 60) is out of range (ValueError)"]


def test_a_receipt_date_of_9999_12_31_is_not_assessable_and_names_the_date() -> None:
    name = "cn-eidm-annual/06-wrong-check-character.json"
    path = ("temporary_disclosures", "items", 0, "document_received")
    report = case(name, path, "9999-12-31")
    before = {f.rule_id for f in original(name).findings if f.outcome == "breach"}
    assert before <= {f.rule_id for f in report.findings if f.outcome == "breach"}
    unknown = [f for f in report.findings if f.outcome == "not_assessable"
               and f.location.pointer.startswith("/temporary_disclosures/items/0")]
    assert unknown, [(f.rule_id, f.outcome) for f in report.findings]
    assert any("9999-12-31" in n and "out of range" in n for f in unknown for n in f.notes)


def test_a_total_of_1e999999_is_over_its_limit_and_shown_briefly() -> None:
    """Two quantities in the same unit compare as written, however large: a
    total of 1e999999 t is over a limit of 20 t (in base units it is past the
    decimal exponent limit, which once ended the whole filing)."""
    name = "cn-eidm-annual/06-wrong-check-character.json"
    path = ("pollution", "outlets", 0, "pollutants", 0, "annual_total", "value")
    report = case(name, path, "1e999999")
    over = next(f for f in report.findings if f.rule_id == "CN-EIDM-PMT-003-02")
    assert over.outcome == "breach" and over.notes == []
    assert "the annual total 1E+999999 t exceeds the permitted 20 t" in over.message.en
    assert all(len(e.display) < 100 for f in report.findings for e in f.all_evidence()
               if e.name.startswith(pointer(path[:-1])))


# ---------------------------------------------------------------- how values are shown


@pytest.mark.parametrize("value, shown", [
    (Decimal("1e999999"), "1E+999999"),
    (Decimal("-1e999999"), "-1E+999999"),
    (Decimal("1e-400"), "1E-400"),
    (Decimal("1.2500e-400"), "1.25E-400"),
    (10 ** 30, str(10 ** 30)),
    (10 ** 300, "1E+300"),
    (-(10 ** 5000) - 7, "-1." + "0" * 4999 + "7E+5000"),  # more digits than str() takes
    (Decimal("123.4500"), "123.45"),
    (Decimal("0.000001"), "0.000001"),
    (Decimal(10 ** 39), str(10 ** 39)),
    (Decimal(10 ** 40), "1E+40"),
    (date(9999, 12, 31), "9999-12-31"),
], ids=lambda v: type(v).__name__)
def test_extreme_numbers_are_shown_exactly_and_briefly(value: Any, shown: str) -> None:
    assert display(value) == shown


def test_huge_values_are_json_that_any_reader_takes() -> None:
    assert json_value(10 ** 300) == ("1E+300", None)
    assert json_value(2 ** 53 - 1) == (2 ** 53 - 1, None)
    assert json_value(2 ** 53) == (str(2 ** 53), None)
    assert json_value(Quantity(Decimal("1e999999"), parse_unit("t"))) == ("1E+999999", "t")
    assert json_value(MISSING) == (None, None)
    json.dumps(json_value(-(10 ** 5000))[0])  # no integer Python refuses to write
