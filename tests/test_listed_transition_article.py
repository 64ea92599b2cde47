"""The first-period relief is Art. 63(3) of the SSE and SZSE guidelines and Art. 62
of BSE No. 11 (its last article: entry into force and the relief, one paragraph;
BSE has 62 articles, no CSR-report article). A finding on a BSE report names
Art. 62 of BSE11, never Art. 63, which BSE No. 11 does not have. The rule test
cases (CN-LS-REL-002.yaml) say when the rule fires; this says what it cites."""

from __future__ import annotations

import copy
import json
from typing import Any

from esgcheck.checker import Checker

from .conftest import ROOT

BASE = ROOT / "esgcheck/rules/cn-listed-sustainability/tests/base-report.json"


def report(exchange: str, guideline: str) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(json.loads(BASE.read_text("utf-8")))
    doc["company"].update(exchange=exchange)
    doc["report"].update(guideline=guideline, first_period=True)
    if exchange == "BSE":
        doc["company"].update(stock_code="920088", board="bse", index_memberships=[])
        doc["report"]["status"] = "voluntary"
    doc["indicators"] = [{"name": "范围三排放", "qualitative_only": True,
                          "quantified_before": True, "reason": "供应商数据不足"}]
    return doc


def relief_finding(checker: Checker, exchange: str, guideline: str) -> Any:
    data = json.dumps(report(exchange, guideline), ensure_ascii=False).encode("utf-8")
    result = checker.check_bytes(data, f"{guideline}.json")
    assert result.status == "checked", result.error
    found = [f for f in result.findings if f.rule_id == "CN-LS-REL-002"]
    assert len(found) == 1
    return found[0]


def test_a_bse_report_is_told_art_62_of_bse_11(checker: Checker) -> None:
    finding = relief_finding(checker, "BSE", "BSE11")
    assert finding.outcome == "breach"
    assert "Art. 62" in finding.message.en and "Art. 63" not in finding.message.en
    assert "第62条" in finding.message.zh and "第63条" not in finding.message.zh


def test_an_sse_report_is_told_art_63(checker: Checker) -> None:
    finding = relief_finding(checker, "SSE", "SSE14")
    assert "Art. 63" in finding.message.en and "第63条" in finding.message.zh
