"""Rule selection (--select, --extend-select, --ignore): by id in any case, by
id prefix, by severity; the report lists every check rule switched off."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from esgcheck.checker import Checker
from esgcheck.cli import main
from esgcheck.selection import RuleRef, Selection, SelectionError, split

from .conftest import ROOT

LATE = str(ROOT / "fixtures/cn-eidm-annual/04-late-annual-report.json")
CONCENTRATION = str(ROOT / "fixtures/cn-eidm-annual/07-concentration-over-limit.json")


@pytest.fixture(autouse=True)
def _own_checker(monkeypatch: pytest.MonkeyPatch, checker: Checker, tmp_path: Path) -> None:
    """Each run gets a copy of the session's loaded rule bases (a selection
    switches rules off on the checker it is given), in a folder with no
    configuration file."""
    import esgcheck.commands.common

    def make(rules: object = None, user_config: object = None) -> Checker:
        if rules is None and user_config is None:
            return copy.copy(checker)
        return Checker(rules, user_config=user_config)  # type: ignore[arg-type]

    monkeypatch.setattr(esgcheck.commands.common, "new_checker", make)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def report(*args: str) -> tuple[int, dict]:
    code, out, err = run("check", "--format", "json", *args)
    assert code != 2, err
    return code, json.loads(out)


# ---------------------------------------------------------------- the rules


RULES = [RuleRef("CN-EIDM-ANN-002", "major"), RuleRef("CN-EIDM-ANN-008-02", "minor"),
         RuleRef("CN-EIDM-ANN-010", "minor"), RuleRef("CN-EIDM-PMT-003", "critical"),
         RuleRef("CN-EIDM-ANN-D01", None, is_derive=True)]


def runs(selection: Selection) -> list[str]:
    return [r.id for r in RULES if not r.is_derive and selection.runs(r)]


def test_prefixes_end_at_a_dash_and_ids_are_read_in_any_case() -> None:
    assert runs(Selection(select=("cn-eidm-ann",))) == [
        "CN-EIDM-ANN-002", "CN-EIDM-ANN-008-02", "CN-EIDM-ANN-010"]
    assert runs(Selection(select=("CN-EIDM-ANN-008",))) == ["CN-EIDM-ANN-008-02"]
    assert runs(Selection(select=("CN-EIDM-ANN-01",))) == []  # not ANN-010
    assert runs(Selection(select=("severity:minor",))) == ["CN-EIDM-ANN-008-02",
                                                            "CN-EIDM-ANN-010"]
    assert runs(Selection(select=("ALL",))) == runs(Selection())


def test_ignore_wins_and_extend_select_adds() -> None:
    assert runs(Selection(select=("CN-EIDM-ANN",), ignore=("severity:minor",))) == [
        "CN-EIDM-ANN-002"]
    assert runs(Selection(select=("CN-EIDM-ANN-002",), ignore=("CN-EIDM",))) == []
    assert runs(Selection(select=("CN-EIDM-PMT",), extend_select=("CN-EIDM-ANN-002",))) == [
        "CN-EIDM-ANN-002", "CN-EIDM-PMT-003"]
    assert split(["A,B", " C ", ""]) == ("A", "B", "C")


def test_a_selector_that_matches_no_check_rule_names_the_nearest() -> None:
    with pytest.raises(SelectionError) as caught:
        Selection(select=("CN-EIDM-AN",), ignore=("severity:minr", "CN-EIDM-ANN-D01")).check(
            RULES)
    select, severity, derive = caught.value.problems
    assert "select CN-EIDM-AN" in select and "did you mean CN-EIDM-ANN" in select
    assert "unknown severity 'minr'" in severity and "did you mean minor" in severity
    assert "derive rule" in derive


# ---------------------------------------------------------------- check


def test_select_a_prefix_ignore_an_id_and_a_severity() -> None:
    code, full = report(LATE)
    assert code == 1 and "CN-EIDM-ANN-002" in {f["rule_id"]
                                               for f in full["filings"][0]["findings"]}
    assert full["selection"] is None
    code, data = report("--select", "CN-EIDM-ANN", "--ignore", "cn-eidm-ann-002",
                        "--ignore", "severity:minor", LATE)
    assert code == 0
    filing = data["filings"][0]
    ids = {f["rule_id"] for f in filing["findings"] if f["rulebase"] == "cn-eidm"}
    assert ids and all(i.startswith("CN-EIDM-ANN-") for i in ids)
    assert "CN-EIDM-ANN-002" not in ids
    assert all(f["severity"] != "minor" for f in filing["findings"]
               if f["rulebase"] == "cn-eidm")
    sel = data["selection"]
    assert sel["select"] == ["CN-EIDM-ANN"]
    assert sel["ignore"] == ["cn-eidm-ann-002", "severity:minor"]
    assert "CN-EIDM-ANN-002" in sel["deselected"] and "CN-EIDM-PMT-003" in sel["deselected"]
    assert sel["deselected"] == sorted(sel["deselected"])
    catalogue = {r["id"] for r in data["rules"]}
    assert not catalogue & set(sel["deselected"])
    assert filing["rules_evaluated"] < full["filings"][0]["rules_evaluated"]
    assert data["schema_version"] == "1.4.0"


def test_the_derive_rules_a_selected_rule_needs_still_run() -> None:
    code, data = report("--select", "CN-EIDM-ANN-002", LATE)
    assert code == 1
    [finding] = [f for f in data["filings"][0]["findings"] if f["rulebase"] == "cn-eidm"
                 and f["outcome"] != "waived" and f["severity"] != "info"]
    assert finding["rule_id"] == "CN-EIDM-ANN-002"
    assert finding["derivation"]  # the due date was derived
    assert data["filings"][0]["rules_evaluated"] == 1


def test_unknown_selectors_exit_2_naming_the_nearest_ids() -> None:
    code, _, err = run("check", "--select", "CN-EIDM-ANN-02", "--ignore", "severity:huge", LATE)
    assert code == 2
    assert "did you mean" in err and "CN-EIDM-ANN-002" in err
    assert "unknown severity 'huge'" in err


def test_every_format_names_the_rules_switched_off(tmp_path: Path) -> None:
    outputs = {fmt: tmp_path / f"out.{fmt}" for fmt in ("markdown", "html", "sarif", "text")}
    code, _, _ = run("check", "--no-color", "--lang", "en", "--ignore", "CN-EIDM-PMT-003",
                       *(a for fmt, p in outputs.items() for a in ("-o", f"{fmt}={p}")),
                       CONCENTRATION)
    assert code == 0
    text = outputs["text"].read_text()
    assert "rule selection: ignore CN-EIDM-PMT-003" in text
    # an id is also the prefix of its sub-rules (CN-EIDM-PMT-003-02)
    off = ["CN-EIDM-PMT-003", "CN-EIDM-PMT-003-02"]
    assert ("2 check rule(s) switched off (not run, not reported): CN-EIDM-PMT-003, "
            "CN-EIDM-PMT-003-02") in text
    assert "CN-EIDM-PMT-003" in outputs["markdown"].read_text()
    assert "switched off" in outputs["html"].read_text()
    sarif = json.loads(outputs["sarif"].read_text())
    run_ = sarif["runs"][0]
    assert run_["invocations"][0]["ruleConfigurationOverrides"] == [
        {"descriptor": {"id": rule}, "configuration": {"enabled": False}} for rule in off]
    assert run_["properties"]["selection"]["deselected"] == off
    assert "CN-EIDM-PMT-003" not in {r["ruleId"] for r in run_["results"]}
    assert "CN-EIDM-PMT-003" not in {r["id"] for r in run_["tool"]["driver"]["rules"]}


def test_a_saved_report_renders_its_selection_again(tmp_path: Path) -> None:
    saved = tmp_path / "report.json"
    run("check", "--format", "json", "-o", str(saved), "--ignore", "CN-EIDM-PMT-003",
        CONCENTRATION)
    code, out, _ = run("render", str(saved), "--format", "text", "--lang", "en")
    assert code == 0 and "switched off (not run, not reported): CN-EIDM-PMT-003," in out


def test_a_journal_of_another_selection_is_not_reused(tmp_path: Path) -> None:
    journal = tmp_path / "run.journal"
    code, _ = report("--journal", str(journal), LATE)
    assert code == 1
    code, _ = report("--journal", str(journal), "--ignore", "CN-EIDM-ANN-002", LATE)
    assert code == 0, "the journal's report, made with every rule, was reused"
