"""One defect, one finding, in the words that fit it: a block without its
status is the schema's finding alone; a date that is not a date is a format
error echoing the value, and the rules that need it say it is invalid, not
absent."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from esgcheck.checker import Checker
from esgcheck.engine.findings import FilingReport

from .conftest import FIXTURES

SOURCE = json.loads((FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json")
                    .read_text(encoding="utf-8"))


def check(checker: Checker, doc: dict[str, Any]) -> FilingReport:
    return checker.check_bytes(json.dumps(doc, ensure_ascii=False).encode(), "f.json")


def test_a_block_without_its_status_is_one_finding(checker: Checker) -> None:
    doc = copy.deepcopy(SOURCE)
    del doc["emergency"]["status"]
    report = check(checker, doc)
    ids = [f.rule_id for f in report.findings if f.severity != "info"]
    assert ids == ["SCHEMA.required"]
    assert report.findings[0].location.pointer == "/emergency/status"


@pytest.mark.parametrize("bad", ["2024-02-30", "2024-13-01", "15/03/2024"])
def test_an_invalid_date_is_a_format_error_echoing_it_and_not_read_as_absent(
        checker: Checker, bad: str) -> None:
    doc = copy.deepcopy(SOURCE)
    doc["submission"]["date"] = bad
    report = check(checker, doc)
    (fmt,) = [f for f in report.findings if f.rule_id == "SCHEMA.format"]
    assert f"'{bad}'" in fmt.message.en and f"'{bad}'" in fmt.message.zh
    assert "YYYY-MM-DD" in fmt.message.en
    (late,) = [f for f in report.findings if f.rule_id == "CN-EIDM-ANN-002"]
    assert late.outcome == "not_assessable"
    assert "is not a valid date" in late.message.en and "absent" not in late.message.en
    assert "不是有效日期" in late.message.zh and "缺失" not in late.message.zh


def test_an_absent_date_is_said_to_be_absent(checker: Checker) -> None:
    doc = copy.deepcopy(SOURCE)
    del doc["submission"]["date"]
    report = check(checker, doc)
    (late,) = [f for f in report.findings if f.rule_id == "CN-EIDM-ANN-002"]
    assert late.outcome == "not_assessable"
    assert "(submission.date) is absent" in late.message.en
    assert "not a valid date" not in late.message.en


TEMPORARY = json.loads((FIXTURES / "cn-eidm-temporary" / "01-penalty-on-time.json")
                       .read_text(encoding="utf-8"))


@pytest.mark.parametrize(("value", "words", "not_words"), [
    ("2024-02-30", "(document.received) is not a valid date", "not given"),
    (None, "(document.received) is not given", "valid date"),
])
def test_a_temporary_report_says_whether_the_receipt_date_is_invalid_or_absent(
        checker: Checker, value: str | None, words: str, not_words: str) -> None:
    doc = copy.deepcopy(TEMPORARY)
    if value is None:
        del doc["document"]["received"]
    else:
        doc["document"]["received"] = value
    report = check(checker, doc)
    said = [f.message.en for f in report.findings if f.outcome == "not_assessable"
            and "document.received" in f.message.en]
    assert said, [f.message.en for f in report.findings]
    assert all(words in m and not_words not in m.split("(document.received)")[1][:20]
               for m in said)
