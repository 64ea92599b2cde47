"""The command line's report options: formats and outputs, exit codes, waivers,
baselines, the evidence bundle and why-not."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from esgcheck.cli import main

from .conftest import ROOT
from .sarif_schema import check_sarif

LATE = "fixtures/cn-eidm-annual/04-late-annual-report.json"
COMPLIANT = "fixtures/cn-eidm-annual/01-compliant-key-discharger.json"
OBSERVATIONS = "fixtures/cn-eidm-annual/09-observations-only.xml"
CONCENTRATION = "fixtures/cn-eidm-annual/07-concentration-over-limit.json"
WAIVE = ["--justification", "Late filing accepted by the bureau in writing.",
         "--approver", "Li Wei", "--ticket", "AUD-7", "--expires", "2027-01-31"]


@pytest.fixture(autouse=True)
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- formats


def test_several_formats_in_one_run(tmp_path: Path) -> None:
    paths = {fmt: tmp_path / f"out.{fmt}" for fmt in ("json", "sarif", "junit", "markdown")}
    args = [a for fmt, p in paths.items() for a in ("--output", f"{fmt}={p}")]
    code, out, _ = run("check", "--no-color", *args, LATE)
    assert code == 1
    assert out.rstrip().splitlines()[-1].startswith("1 files: 1 checked, 1 failed")
    assert json.loads(paths["json"].read_text())["filings"][0]["grade"] == "C"
    sarif = check_sarif(paths["sarif"].read_text())
    assert sarif["runs"][0]["results"][0]["ruleId"] == "CN-EIDM-ANN-002"
    assert paths["junit"].read_text().startswith("<?xml")
    assert "CN-EIDM-ANN-002" in paths["markdown"].read_text()


def test_output_path_alone_takes_the_format_and_silences_stdout(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    code, out, _ = run("check", "--format", "markdown", "-o", str(target), LATE)
    assert (code, out) == (1, "")
    assert target.read_text().startswith("### esgcheck results")


def test_unknown_output_format_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("check", "--output", f"pdf={tmp_path / 'x.pdf'}", LATE)
    assert code == 2 and "unknown format 'pdf'" in err


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_explain_reaches_the_human_formats(fmt: str) -> None:
    _, plain, _ = run("check", "--format", fmt, "--no-color", LATE)
    _, explained, _ = run("check", "--format", fmt, "--no-color", "--explain", LATE)
    assert "CN-EIDM-ANN-D03" not in plain
    assert "annual_deadline" in explained and "CN-EIDM-ANN-D03" in explained


def test_markdown_summary_leads_with_the_verdict() -> None:
    _, out, _ = run("check", "--format", "markdown", "--lang", "zh", LATE, COMPLIANT)
    lines = out.splitlines()
    assert lines[0] == "### esgcheck 检查结果"
    assert lines[2].startswith("❌ 1 个文件未通过")
    table = [line for line in lines if line.startswith("| `fixtures/")]
    assert len(table) == 2 and "**C**" in table[0] and "**A**" in table[1]


# ---------------------------------------------------------------- exit codes


@pytest.mark.parametrize("args, code", [
    ([OBSERVATIONS], 0),                                  # minor breaches pass by default
    (["--fail-on", "minor", OBSERVATIONS], 1),
    (["--fail-on-grade", "B", OBSERVATIONS], 1),          # B is B or worse
    (["--fail-on-grade", "C", OBSERVATIONS], 0),
    (["--fail-on-grade", "A", COMPLIANT], 1),
    (["--fail-on", "never", LATE], 0),
    (["--fail-on", "never", "--fail-on-grade", "C", LATE], 1),
    (["--fail-on-grade", "Z", LATE], 2),                  # no policy has such a grade
])
def test_exit_codes(args: list[str], code: int) -> None:
    assert run("check", "--format", "json", *args)[0] == code


def test_a_broken_file_costs_exit_2_but_the_batch_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"filing_type": ', encoding="utf-8")
    code, out, _ = run("check", "--format", "json", COMPLIANT, str(broken))
    report = json.loads(out)
    assert code == 2
    assert [f["status"] for f in report["filings"]] == ["checked", "unreadable"]


# ---------------------------------------------------------------- waivers


def test_waive_writes_an_entry_that_check_then_applies(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    code, out, _ = run("waive", LATE, "CN-EIDM-ANN-002", *WAIVE, "--append", str(waivers))
    assert code == 0 and "added 1 waiver" in out
    text = waivers.read_text()
    assert "path: /submission/date" in text and "expires: 2027-01-31" in text
    code, out, _ = run("check", "--no-color", "--waivers", str(waivers), "--today",
                       "2026-12-01", LATE)
    assert code == 0
    assert "~ CN-EIDM-ANN-002" in out and "approved by Li Wei, AUD-7" in out
    assert out.rstrip().endswith("waived 1")
    # past its expiry, the finding fails the check again and the waiver is named
    code, out, _ = run("check", "--no-color", "--waivers", str(waivers), "--today",
                       "2027-02-01", LATE)
    assert code == 1 and "expired on 2027-01-31" in out
    # a second waiver for an already waived finding is refused
    code, _, err = run("waive", LATE, "CN-EIDM-ANN-002", *WAIVE, "--waivers", str(waivers),
                       "--today", "2026-12-01")
    assert code == 2 and "reports nothing" in err


def test_waive_asks_only_on_a_terminal() -> None:
    # standard input here is not a terminal: a missing option is a usage error
    # (tests/test_cli_rule_ids.py asks on a real terminal)
    code, _, err = run("waive", "CN-EIDM-ANN-002", LATE,
                       stdin="Late filing accepted in writing.\nLi Wei\n2027-01-31\n")
    assert code == 2 and "missing --justification, --approver, --expires" in err


def test_waive_refuses_a_rule_that_did_not_fire() -> None:
    code, _, err = run("waive", COMPLIANT, "CN-EIDM-ANN-002", *WAIVE)
    assert code == 2 and "CN-EIDM-ANN-016" in err  # names what did fire


def test_a_broken_waiver_file_stops_with_exit_2(tmp_path: Path) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - rule: CN-EIDM-ANN-002\n", encoding="utf-8")
    code, out, err = run("check", "--waivers", str(waivers), LATE)
    assert code == 2 and out == ""
    assert f"{waivers}:2:" in err


# ---------------------------------------------------------------- baselines


def test_baseline_create_then_check_reports_only_new_findings(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    code, out, _ = run("baseline", "create", LATE, "-o", str(baseline))
    assert code == 0 and "baseline of 2 findings in 1 files" in out
    code, out, _ = run("check", "--no-color", "--baseline", str(baseline), LATE,
                       CONCENTRATION)
    assert code == 1  # the concentration filing is new
    assert "CN-EIDM-ANN-002" not in out and "CN-EIDM-PMT-003" in out
    assert "2 finding(s) known to baseline" in out
    code, out, _ = run("check", "--no-color", "--baseline", str(baseline), COMPLIANT)
    assert code == 0


def test_a_broken_baseline_stops_with_exit_2(tmp_path: Path) -> None:
    baseline = tmp_path / "b.json"
    baseline.write_text("[]", encoding="utf-8")
    code, _, err = run("check", "--baseline", str(baseline), LATE)
    assert code == 2 and "b.json" in err


# ---------------------------------------------------------------- evidence


def test_the_evidence_bundle_is_complete_and_byte_identical(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (LATE, CONCENTRATION):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    monkeypatch.chdir(tmp_path)  # names as a user in their own folder gives them
    run("waive", LATE, "CN-EIDM-ANN-002", *WAIVE, "--append", "waivers.yaml")
    bundles = [tmp_path / "a", tmp_path / "b"]
    for folder in bundles:
        code, _, _ = run("check", "--format", "json", "--waivers", "waivers.yaml", "--today",
                         "2026-12-01", "--evidence", folder.name, LATE, CONCENTRATION)
        assert code == 1
    names = sorted(p.name for p in bundles[0].iterdir())
    assert names == ["SHA256SUMS", "manifest.json", "report.html", "report.json",
                     "waivers.yaml"]
    for name in names:
        assert (bundles[0] / name).read_bytes() == (bundles[1] / name).read_bytes(), name
    manifest = json.loads((bundles[0] / "manifest.json").read_text())
    late = (ROOT / LATE).read_bytes()
    assert manifest["inputs"][0] == {"file": LATE, "sha256": hashlib.sha256(late).hexdigest(),
                                     "bytes": len(late), "status": "checked"}
    assert {rb["id"] for rb in manifest["rulebases"]} == {
        "cn-eidm", "cn-enterprise", "cn-listed-sustainability", "cn-solid-waste", "eu-battery",
        "green-catalogue", "cn-fi-disclosure", "product-cf"}
    assert manifest["rulebases"][0]["versions_used"] == ["2022.1"]
    assert manifest["waivers"]["entries"][0]["status"] == "applied"
    for line in (bundles[0] / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((bundles[0] / name).read_bytes()).hexdigest() == digest
    for name in names:
        assert str(tmp_path) not in (bundles[0] / name).read_text(), name


# ---------------------------------------------------------------- why-not


def test_why_not_shows_which_part_held() -> None:
    code, out, _ = run("why-not", "CN-EIDM-PMT-003", COMPLIANT)
    assert code == 0
    assert out.startswith("CN-EIDM-PMT-003 reports nothing on " + COMPLIANT)
    assert "✓ concentration <= concentration_limit  → true" in out
    assert "/pollution/outlets/0/pollutants/0/concentration = 18.2 mg/m3" in out
    assert "✗ ((exceeded ?? false) and exists(exceedance_explanation))  → false" in out


def test_why_not_on_a_rule_that_fires_and_one_whose_guard_is_false() -> None:
    code, out, _ = run("why-not", "CN-EIDM-ANN-002", LATE)
    assert code == 1 and "breach: its condition (assert) is false" in out
    code, out, _ = run("why-not", "--format", "json", "CN-EIDM-ANN-005", LATE)
    answer = json.loads(out)
    assert code == 0 and answer["reason"] == "quiet"
    (inst,) = answer["instances"]
    assert inst["verdict"] == "not_applicable"
    assert inst["guard"]["parts"][0]["read"][0]["name"] == "mandatory_audit"


@pytest.mark.parametrize("args, words", [
    (["BATT-CF-040", LATE], "applies to filing type eu-battery-cf"),
    (["--as-of", "2020-01-01", "CN-EIDM-ANN-002", LATE], "not in force on the as-of date"),
])
def test_why_not_names_the_reason_before_any_instance(args: list[str], words: str) -> None:
    code, out, _ = run("why-not", *args)
    assert code == 0 and words in out.splitlines()[0]


def test_why_not_refuses_unknown_and_derive_rules() -> None:
    assert run("why-not", "NO-SUCH-1", LATE)[0] == 2
    assert run("why-not", "CN-EIDM-ANN-D01", LATE)[0] == 2


def test_an_output_that_cannot_be_written_costs_exit_2_not_the_others(tmp_path: Path) -> None:
    good = tmp_path / "report.sarif"
    code, out, err = run("check", "--no-color", "--output", f"sarif={good}",
                         "--output", f"junit={tmp_path / 'missing' / 'junit.xml'}", LATE)
    assert code == 2
    assert "cannot write" in err and "junit.xml" in err
    assert check_sarif(good.read_text())["version"] == "2.1.0"
    assert out.rstrip().splitlines()[-1].startswith("1 files:")  # stdout still has the report


def test_waive_leaves_a_file_it_cannot_extend_as_it_was(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: broken\n", encoding="utf-8")
    code, _, err = run("waive", LATE, "CN-EIDM-ANN-002", *WAIVE, "--append", str(waivers))
    assert code == 2 and "file left unchanged" in err
    assert waivers.read_text() == "waivers:\n  - rule: broken\n"
    missing = tmp_path / "no" / "such" / "waivers.yaml"
    code, _, err = run("waive", LATE, "CN-EIDM-ANN-002", *WAIVE, "--append", str(missing))
    assert code == 2 and "cannot write" in err and not missing.exists()


@pytest.mark.parametrize("fmt", ["sarif", "junit", "html", "markdown", "text"])
def test_a_saved_json_report_renders_as_the_check_would(tmp_path: Path, fmt: str) -> None:
    saved = tmp_path / "report.json"
    run("check", "--format", "json", "-o", str(saved), LATE, CONCENTRATION)
    _, direct, _ = run("check", "--format", fmt, "--no-color", "--lang", "zh", LATE,
                       CONCENTRATION)
    code, rendered, _ = run("render", "--format", fmt, "--lang", "zh", str(saved))
    assert code == 0
    if fmt == "sarif":  # the exit code is the check's: render does not know it
        (invocation,) = json.loads(direct)["runs"][0]["invocations"]
        assert invocation.pop("exitCode") == 1
        direct = re.sub(r'\n *"exitCode": 1,', "", direct, count=1)
        assert "exitCode" not in rendered
    assert rendered == direct


def test_sarif_from_check_records_the_exit_code_and_times_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"

    def invocation(*args: str) -> tuple[int, dict[str, object]]:
        code, _, _ = run("check", "--output", f"sarif={out}", *args)
        (found,) = check_sarif(out.read_text(encoding="utf-8"))["runs"][0]["invocations"]
        return code, found

    code, found = invocation(LATE)
    assert code == 1 and found == {"exitCode": 1, "executionSuccessful": True}
    first = out.read_bytes()
    assert invocation(LATE)[1] == found and out.read_bytes() == first  # same bytes
    code, found = invocation(COMPLIANT)
    assert (code, found["exitCode"], found["executionSuccessful"]) == (0, 0, True)
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    code, found = invocation(LATE, str(broken))
    assert (code, found["exitCode"], found["executionSuccessful"]) == (2, 2, False)
    notes = found["toolExecutionNotifications"]
    assert isinstance(notes, list) and str(broken) in notes[0]["message"]["text"]
    code, found = invocation("--timestamps", LATE)
    assert code == 1
    start, end = found["startTimeUtc"], found["endTimeUtc"]
    assert isinstance(start, str) and isinstance(end, str) and start <= end


def test_markdown_limit_bounds_check_and_render(tmp_path: Path) -> None:
    folder = "fixtures/cn-eidm-annual"
    code, whole, _ = run("check", "--format", "markdown", folder)
    assert code == 1 and len(whole.encode()) > 8192 and "Cut to fit" not in whole
    code, cut, _ = run("check", "--format", "markdown", "--markdown-limit", "8192", folder)
    assert code == 1 and len(cut.encode()) <= 8192
    assert "Cut to fit 8192 characters" in cut and "`--markdown-limit`" in cut
    saved = tmp_path / "report.json"
    run("check", "--format", "json", "-o", str(saved), folder)
    code, rendered, _ = run("render", "--format", "markdown", "--markdown-limit", "8192",
                            str(saved))
    assert code == 0 and rendered == cut
    code, _, err = run("check", "--format", "markdown", "--markdown-limit", "100", folder)
    assert code == 2 and "--markdown-limit" in err


def test_render_refuses_what_is_not_a_report(tmp_path: Path) -> None:
    bad = tmp_path / "other.json"
    bad.write_text('{"filing_type": "cn-eidm-annual"}', encoding="utf-8")
    code, out, err = run("render", str(bad))
    assert (code, out) == (2, "") and "not an esgcheck report" in err
