"""Date-times of product carbon footprints are instants in UTC: the readers keep
each bound's UTC date and its time of day, so a period of some hours within one
day is a period, an end at noon on 1 January 2025 includes the beginning of
2025 (PACT v2.3.3 index.bs, O* properties), and a time-zone offset moves the
instant, with a note (PACT's DateTime must be UTC)."""

from __future__ import annotations

import json
from typing import Any

from esgcheck.checker import Checker, Options
from esgcheck.engine.filing_types import default_registry
from esgcheck.filings.reader import read_bytes

from .conftest import FIXTURES

SAMPLES = FIXTURES / "product-carbon-footprint"
REGISTRY = default_registry()


def changed(name: str, drop: tuple[str, ...] = (), **pcf: Any) -> bytes:
    raw = json.loads((SAMPLES / f"{name}.json").read_bytes())
    raw["pcf"].update(pcf)
    for key in drop:
        del raw["pcf"][key]
    return json.dumps(raw).encode()


def outcomes(checker: Checker, data: bytes) -> set[tuple[str, str]]:
    report = checker.check_bytes(data, "f.json", Options())
    return {(f.rule_id, f.outcome) for f in report.findings}


def test_a_reference_period_of_eighteen_hours_is_in_order(checker: Checker) -> None:
    data = changed("01-pact-v3-lfp-cell", referencePeriodStart="2024-06-01T00:00Z",
                   referencePeriodEnd="2024-06-01T18:00Z")
    doc = read_bytes(data, "f.json", REGISTRY).doc
    assert doc["reference_period"] == {"start": "2024-06-01", "start_time": 0,
                                       "end": "2024-06-01", "end_time": 64800}
    assert not {r for r, _ in outcomes(checker, data)} & {"PCF-TIME-001"}


def test_a_reference_period_reversed_within_one_day_is_a_critical_breach(
        checker: Checker) -> None:
    data = changed("01-pact-v3-lfp-cell", referencePeriodStart="2024-06-01T12:00:00Z",
                   referencePeriodEnd="2024-06-01T06:00:00Z")
    assert ("PCF-TIME-001", "breach") in outcomes(checker, data)


def test_a_v2_period_ending_at_noon_on_1_january_2025_needs_the_o_star_fields(
        checker: Checker) -> None:
    drop = ("dqi", "dLucGhgEmissions", "biogenicAccountingMethodology")
    noon = changed("02-pact-v2-cathode-powder", drop, referencePeriodEnd="2025-01-01T12:00:00Z")
    assert ("PCF-O25-001", "breach") in outcomes(checker, noon)
    midnight = changed("02-pact-v2-cathode-powder", drop,
                       referencePeriodEnd="2025-01-01T00:00:00Z")
    assert not {r for r, _ in outcomes(checker, midnight)} & {"PCF-O25-001"}


def test_an_offset_moves_the_instant_into_2025_with_a_note(checker: Checker) -> None:
    data = changed("02-pact-v2-cathode-powder", ("dqi",),
                   referencePeriodEnd="2024-12-31T23:00:00-02:00")
    doc = read_bytes(data, "f.json", REGISTRY).doc
    assert (doc["reference_period"]["end"], doc["reference_period"]["end_time"]) == (
        "2025-01-01", 3600)
    [note] = [n for n in doc["source"]["notes"] if n["field"] == "/pcf/referencePeriodEnd"]
    assert (note["reason"], note["read_as"]) == ("datetime_offset", "2025-01-01T01:00:00Z")
    found = outcomes(checker, data)
    assert ("PCF-O25-001", "breach") in found and ("PCF-RD-001", "breach") in found


def test_a_date_time_without_a_zone_is_read_as_utc_with_a_note() -> None:
    data = changed("01-pact-v3-lfp-cell", referencePeriodEnd="2025-07-01T08:30:00.5")
    doc = read_bytes(data, "f.json", REGISTRY).doc
    assert doc["reference_period"]["end"] == "2025-07-01"
    assert str(doc["reference_period"]["end_time"]) == "30600.5"
    [note] = [n for n in doc["source"]["notes"] if n["field"] == "/pcf/referencePeriodEnd"]
    assert note["reason"] == "datetime_no_zone"


def test_a_date_time_that_is_no_date_is_kept_for_the_schema(checker: Checker) -> None:
    data = changed("01-pact-v3-lfp-cell", referencePeriodEnd="2025-13-01T00:00:00Z")
    doc = read_bytes(data, "f.json", REGISTRY).doc
    assert doc["reference_period"]["end"] == "2025-13-01T00:00:00Z"
    assert "end_time" not in doc["reference_period"]
    assert ("PCF-TIME-001", "not_assessable") in outcomes(checker, data)
