"""Rule ids and filing types on the command line: any case, and a misspelt one
is an error naming the nearest (exit 2); waive in CI never prompts; rules list,
rules show and explain with the same --format; one argument order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from esgcheck.cli import main

from .conftest import ROOT

LATE = "fixtures/cn-eidm-annual/04-late-annual-report.json"
WAIVE = ["--justification", "Late filing accepted by the bureau in writing.",
         "--approver", "Li Wei", "--expires", "2027-01-31"]


@pytest.fixture(autouse=True)
def _at_the_root(one_checker: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- misspelt ids


@pytest.mark.parametrize("args", [
    ("explain", "CN-EIDM-ANN-0002"),
    ("why-not", "CN-EIDM-ANN-0002", LATE),
    ("rules", "show", "CN-EIDM-ANN-0002"),
    ("rules", "test", "CN-EIDM-ANN-0002"),
    ("waive", "CN-EIDM-ANN-0002", LATE, *WAIVE),
])
def test_a_misspelt_rule_id_names_the_nearest(args: tuple[str, ...]) -> None:
    code, out, err = run(*args)
    assert code == 2, out
    assert "no rule CN-EIDM-ANN-0002" in err and "did you mean CN-EIDM-ANN-002" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [
    ("explain", "cn-eidm-ann-002", "--lang", "en"),
    ("why-not", "cn-eidm-ann-002", LATE),
    ("rules", "show", "Cn-Eidm-Ann-002"),
    ("rules", "test", "-v", "cn-eidm-id-002"),
])
def test_rule_ids_in_any_case(args: tuple[str, ...]) -> None:
    code, out, err = run(*args)
    assert code in (0, 1), err
    assert "CN-EIDM-" in out


def test_rules_test_on_a_folder_says_to_use_rules() -> None:
    code, out, err = run("rules", "test", "rules/some-folder")
    assert code == 2 and "0 of 0" not in out and "no rule rules/some-folder" in err
    code, out, err = run("rules", "test", "fixtures")
    assert code == 2 and "--rules fixtures" in err


def test_a_waiver_for_a_rule_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: CN-EIDM-ANN-02\n    filings_glob: '*'\n"
                       "    justification: Accepted by the bureau in writing.\n"
                       "    approver: Li Wei\n    expires: 2030-01-01\n", encoding="utf-8")
    code, out, err = run("check", "--waivers", str(waivers), LATE)
    assert code == 2 and out == ""
    assert f"{waivers.as_posix()}:2: waiver W-1: no rule CN-EIDM-ANN-02" in err
    assert "did you mean" in err and "CN-EIDM-ANN-002" in err
    # in any case, it waives the rule it names
    waivers.write_text(waivers.read_text().replace("CN-EIDM-ANN-02", "cn-eidm-ann-002"),
                       encoding="utf-8")
    code, out, err = run("check", "--format", "json", "--today", "2025-01-01", "--waivers",
                         str(waivers), LATE)
    assert code == 0, err
    report = json.loads(out)
    assert report["waivers"]["entries"][0]["status"] == "applied"
    assert report["waivers"]["entries"][0]["rule"] == "CN-EIDM-ANN-002"


def test_an_unknown_filing_type_names_the_nearest() -> None:
    for args in (("check", "--type", "cn-eidm-anual", LATE),
                 ("why-not", "CN-EIDM-ANN-002", "--type", "cn-eidm-anual", LATE),
                 ("rules", "list", "--type", "cn-eidm-anual")):
        code, _, err = run(*args)
        assert code == 2 and "unknown filing type 'cn-eidm-anual'" in err
        assert "did you mean cn-eidm-annual" in err
    code, out, _ = run("check", "--format", "json", "--type", "CN-EIDM-ANNUAL", LATE)
    assert code == 1 and json.loads(out)["filings"][0]["filing_type"] == "cn-eidm-annual"


# ---------------------------------------------------------------- waive


def test_waive_without_a_terminal_does_not_prompt() -> None:
    code, out, err = run("waive", "CN-EIDM-ANN-002", LATE, "--approver", "Li Wei", stdin="")
    assert code == 2
    assert "missing --justification, --expires" in err and "not a terminal" in err
    assert "Aborted" not in out + err


def test_waive_takes_the_rule_first_and_the_old_order_with_a_warning() -> None:
    code, out, err = run("waive", "CN-EIDM-ANN-002", LATE, *WAIVE)
    assert code == 0 and "rule: CN-EIDM-ANN-002" in out and "deprecated" not in err
    old_code, old_out, old_err = run("waive", LATE, "cn-eidm-ann-002", *WAIVE)
    assert (old_code, old_out) == (code, out)
    assert "deprecated" in old_err and f"esgcheck waive CN-EIDM-ANN-002 {LATE}" not in old_err
    assert f"esgcheck waive cn-eidm-ann-002 {LATE}" in old_err


def test_dates_are_typed_in_every_help_text() -> None:
    for command in (("check",), ("waive",), ("why-not",), ("baseline", "create")):
        _, out, _ = run(*command, "--help")
        assert "[YYYY-MM-DD]" not in out
        for option in ("--as-of", "--today", "--expires"):
            if option in out:
                assert f"{option} YYYY-MM-DD" in out, (command, option)
    _, out, _ = run("waive", "--help")
    assert "RULE-ID FILING" in out.splitlines()[0]
    _, out, _ = run("why-not", "--help")
    assert "RULE-ID FILING" in out.splitlines()[0]


# ---------------------------------------------------------------- rules list, show, explain


def test_rules_list_sorted_with_rule_base_and_severity_and_filters() -> None:
    code, out, _ = run("rules", "list", "--lang", "en")
    ids = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and ids == sorted(ids) and len(ids) > 100
    first = out.splitlines()[0].split()
    assert first[1] in ("cn-eidm", "eu-battery", "green-catalogue")
    code, out, _ = run("rules", "list", "--format", "json", "--rulebase", "CN-EIDM",
                       "--severity", "minor", "--type", "cn-eidm-annual")
    rows = json.loads(out)
    assert rows and {(r["rulebase"], r["severity"], r["filing_type"]) for r in rows} == {
        ("cn-eidm", "minor", "cn-eidm-annual")}
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    code, _, err = run("rules", "list", "--rulebase", "cn-eidn")
    assert code == 2 and "did you mean cn-eidm" in err


def test_show_and_explain_share_format_and_explain_speaks_chinese() -> None:
    _, shown, _ = run("rules", "show", "CN-EIDM-ANN-002")
    _, explained, _ = run("explain", "CN-EIDM-ANN-002", "--format", "json")
    data = json.loads(explained)
    assert {k: v for k, v in data.items() if k != "examples"} == json.loads(shown)
    assert {e["fires"] for e in data["examples"]} == {True, False}
    _, text, _ = run("rules", "show", "CN-EIDM-ANN-002", "--format", "text", "--lang", "en")
    assert text.startswith("CN-EIDM-ANN-002") and "citation: " in text
    _, zh, _ = run("explain", "CN-EIDM-ANN-002", "--lang", "zh")
    assert "规则库：cn-eidm" in zh and "示例（触发）：" in zh and "severity" not in zh


def test_waive_asks_on_a_terminal() -> None:
    """On a real terminal (a pseudo-terminal as standard input), waive asks for
    what it was not given, and a date that is not one is asked for again."""
    import os
    import subprocess
    import sys

    leader, follower = os.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "esgcheck", "waive", "CN-EIDM-ANN-002",
                                 LATE], stdin=follower, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=ROOT, text=True)
        os.write(leader, b"Late filing accepted in writing.\nLi Wei\n2027-02-30\n2027-01-31\n")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(leader)
        os.close(follower)
    assert proc.returncode == 0, err
    assert "Justification: " in out and "Expires (YYYY-MM-DD): " in out
    assert "'2027-02-30' is not a date" in err
    entry = out.split("waivers:\n", 1)[1]
    assert entry.startswith("  - rule: CN-EIDM-ANN-002")
    assert "approver: Li Wei" in entry and "2027-01-31" in entry
