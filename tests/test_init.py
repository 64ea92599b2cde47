"""``esgcheck init``: a skeleton filing of every type and both forms that
esgcheck reads without a structural error, holding every field a rule reads,
in the schema's order, described; the schemas' ``x-rules`` as the rules read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from esgcheck.checker import Checker
from esgcheck.cli import main
from esgcheck.skeleton import fields_read, schema_files, schema_text

TYPES = ["cn-eidm-annual", "cn-eidm-temporary", "cn-listed-sustainability-report",
         "cn-solid-waste-ledger", "eu-battery-cf",
         "green-finance", "cn-fi-environmental-disclosure"]


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def holds(doc: Any, path: tuple[str, ...]) -> bool:
    node = doc
    for step in path:
        if step == "*":
            if not isinstance(node, list) or not node:
                return False
            node = node[0]
        elif isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return False
    return True


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("filing_type", TYPES)
def test_a_skeleton_is_checked_with_findings_and_no_structural_error(
        tmp_path: Path, filing_type: str, fmt: str) -> None:
    target = tmp_path / f"new.{fmt}"
    code, _, err = run("init", filing_type, "--format", fmt, "-o", target)
    assert code == 0, err
    assert "replace every TODO" in err
    code, out, err = run("check", "--format", "json", "--no-config", target)
    assert code in (0, 1), err
    (filing,) = json.loads(out)["filings"]
    assert filing["status"] == "checked" and filing["filing_type"] == filing_type
    structural = [f["rule_id"] for f in filing["findings"]
                  if f["rule_id"].startswith(("SCHEMA.", "ASOF."))]
    assert structural == []
    assert filing["findings"], "the placeholders say nothing, and the rules say so"


@pytest.mark.parametrize("filing_type", TYPES)
def test_a_skeleton_holds_every_field_a_rule_reads_in_the_schemas_order(
        checker: Checker, filing_type: str) -> None:
    code, out, _ = run("init", filing_type)
    assert code == 0
    doc = json.loads(out)
    ft = checker.registry.get(filing_type)
    assert ft is not None
    reads = fields_read(ft, checker.rulebases_for(ft))
    assert reads
    missing = [p for p in reads if not holds(doc, p)]
    assert missing == []
    order = list(ft.schema["properties"])
    keys = [k for k in doc if k != "$comment"]
    assert keys == sorted(keys, key=order.index)
    assert all(line.split(":")[0] in doc for line in doc["$comment"])
    assert "rules / 规则:" in out


def test_fields_read_include_those_rules_need_but_the_schema_does_not_require(
        checker: Checker) -> None:
    ft = checker.registry.get("cn-eidm-annual")
    assert ft is not None
    reads = fields_read(ft, checker.rulebases_for(ft))
    assert "CN-EIDM-ANN-003" in reads[("submission", "receipt_number")]
    assert "CN-EIDM-PMT-003" in reads[("pollution", "outlets", "*", "pollutants", "*",
                                       "concentration")]
    assert "receipt_number" not in ft.schema["properties"]["submission"]["required"]


def test_xml_skeletons_describe_each_field_in_both_languages() -> None:
    code, out, _ = run("init", "cn-eidm-annual", "--format", "xml")
    assert code == 0
    assert '<AnnualReport xmlns="urn:esgcheck:cn-eidm-annual:1">' in out
    assert "<!-- date: 提交日期 submission date" in out
    assert "CN-EIDM-ANN-002" in out


def test_the_schemas_say_which_rules_read_each_field() -> None:
    """x-rules in the shipped schemas is what the rules read; after changing a
    rule: python -m esgcheck.skeleton --write-schemas"""
    files = schema_files()
    assert {ft.id for ft, _, _ in files} == set(TYPES)
    for ft, file, rulebases in files:
        assert file.read_text("utf-8") == schema_text(ft, rulebases, file.read_text("utf-8")), (
            f"{file.name}: x-rules out of date (python -m esgcheck.skeleton --write-schemas)")


def test_comment_members_are_not_part_of_a_filing(checker: Checker) -> None:
    source = Path(__file__).parent.parent / "fixtures" / "cn-eidm-annual" / (
        "01-compliant-key-discharger.json")
    doc = json.loads(source.read_text("utf-8"))
    plain = checker.check_bytes(json.dumps(doc).encode(), "f.json")
    doc["$comment"] = ["a note"]
    doc["submission"]["$comment"] = "uploaded by hand"
    commented = checker.check_bytes(json.dumps(doc).encode(), "f.json")
    assert [f.rule_id for f in commented.findings] == [f.rule_id for f in plain.findings]
    assert not any(f.rule_id.startswith("SCHEMA.") for f in commented.findings)


def test_init_refuses_an_unknown_type_and_an_existing_file(tmp_path: Path) -> None:
    code, out, err = run("init", "cn-eidm-anual")
    assert code == 2 and out == ""
    assert "did you mean cn-eidm-annual" in err
    target = tmp_path / "mine.json"
    target.write_text("{}", encoding="utf-8")
    code, _, err = run("init", "green-finance", "-o", target)
    assert code == 2 and "exists" in err
    assert target.read_text(encoding="utf-8") == "{}"
