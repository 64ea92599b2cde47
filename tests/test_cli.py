"""The command line, through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from esgcheck.checker import Checker
from esgcheck.cli import main

from .conftest import FIXTURES, ROOT

ANNUAL = FIXTURES / "cn-eidm-annual"
CRITICAL = "11-missing-blocks.json"
LATE = "04-late-annual-report.json"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("name, grade, code", [
    ("01-compliant-key-discharger.json", "A", 0),
    ("09-observations-only.xml", "B", 0),
    ("11-missing-blocks.json", "D", 1),
    ("13-receipt-date-missing.xml", "N", 1),
])
def test_fixture_grades(name: str, grade: str, code: int) -> None:
    status, out = run("check", "--format", "json", str(ANNUAL / name))
    report = json.loads(out)
    assert status == code
    assert report["filings"][0]["grade"] == grade


def test_the_gate_fails_what_it_could_not_assess_unless_told_otherwise() -> None:
    """A major check that could not run is not a pass: the default gate fails
    on it and the summary line says so; --no-fail-on-not-assessable is the
    explicit way out, and --fail-on never turns both off."""
    filing = str(ANNUAL / "13-receipt-date-missing.xml")
    status, out = run("check", "--lang", "en", "--no-color", filing)
    assert status == 1
    assert out.rstrip("\n").splitlines()[-1].startswith(
        "1 files: 1 checked, 1 failed (1 not assessable)")
    status, out = run("check", "--lang", "zh", "--no-color", filing)
    assert "其中 1 个因无法判定" in out
    status, out = run("check", "--lang", "en", "--no-color", "--no-fail-on-not-assessable",
                      filing)
    assert status == 0
    assert "1 checked, 0 failed," in out
    assert run("check", "--fail-on", "never", filing)[0] == 0
    # --fail-on-grade applies whatever --fail-on says
    assert run("check", "--fail-on", "never", "--fail-on-grade", "N", filing)[0] == 1
    assert run("check", "--fail-on", "never", "--fail-on-grade", "D", filing)[0] == 0


def test_an_info_finding_is_not_marked_as_a_breach() -> None:
    _, out = run("check", "--lang", "en", "--no-color", str(ANNUAL / CRITICAL))
    info = out[out.index("INFO ("):]
    assert "\u24d8 CN-EIDM-" in info and "\u2717" not in info.split("\n\n")[0]


def test_text_output_groups_by_severity_and_ends_with_a_summary() -> None:
    status, out = run("check", "--lang", "en", "--no-color", str(ANNUAL / CRITICAL))
    assert status == 1
    lines = out.rstrip("\n").splitlines()
    assert lines[-1].startswith("1 files: 1 checked")
    assert out.index("CRITICAL (2)") < out.index("INFO (2)")
    assert "grade: D — critical nonconformity" in out
    _, out = run("check", "--lang", "en", "--no-color", str(ANNUAL / LATE))
    assert f"{LATE}:8:13  /submission/date" in out  # file:line:column and pointer


def test_chinese_output() -> None:
    _, out = run("check", "--lang", "zh", "--no-color", str(ANNUAL / LATE))
    assert "主要" in out and "《企业环境信息依法披露管理办法》第19条" in out


def test_explain_prints_the_derivation_chain() -> None:
    _, out = run("check", "--lang", "en", "--explain", "--no-color", str(ANNUAL / LATE))
    chain = out[out.index("CN-EIDM-ANN-002"):]
    steps = ["facts.obligated_discloser = true  ← CN-EIDM-SCOPE-D07",
             "facts.art8_triggered = true  ← CN-EIDM-SCOPE-D02",
             "facts.art8_fine_trigger = true  ← CN-EIDM-SCOPE-D01",
             # values read inside a quantifier point at the item they came from
             "/discloser/art8_events/0/fine_amount = 100000 CNY",
             "facts.annual_deadline = 2024-03-15  ← CN-EIDM-ANN-D03"]
    positions = [chain.index(step) for step in steps]
    assert positions == sorted(positions)


def test_json_carries_citation_location_and_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    _, out = run("check", "--format", "json", f"fixtures/cn-eidm-annual/{LATE}")
    filing = json.loads(out)["filings"][0]
    late = next(f for f in filing["findings"] if f["rule_id"] == "CN-EIDM-ANN-002")
    assert late["citation"]["article"] == "19"
    assert late["citation"]["document_number"] == "生态环境部令第24号"
    assert late["location"] == {
        "file": f"fixtures/cn-eidm-annual/{LATE}", "pointer": "/submission/date",
        "line": 8, "column": 13, "xpath": None, "exists": True}
    read = {(e["source"], e["name"]): e for e in late["evidence"]}
    assert read["filing", "/submission/date"]["value"] == "2024-03-18"
    assert read["filing", "/submission/date"]["location"]["line"] == 8
    assert read["fact", "annual_deadline"]["value"] == "2024-03-15"
    assert [d["fact"] for d in late["derivation"]] == ["obligated_discloser", "annual_deadline"]
    assert late["message"]["zh"] and late["message"]["en"]


def test_output_is_deterministic(tmp_path: Path) -> None:
    outputs = {run("check", "--format", fmt, str(ANNUAL))[1] for fmt in ("json",) for _ in range(2)}
    assert len(outputs) == 1
    assert str(ROOT) not in outputs.pop()  # no absolute paths for relative input


def test_json_report_validates_against_the_published_schema() -> None:
    schema = json.loads((ROOT / "esgcheck/schemas/report.schema.json").read_text())
    _, out = run("check", "--format", "json", str(ANNUAL), "--fail-on", "never")
    jsonschema.Draft202012Validator(schema).validate(json.loads(out))


@pytest.mark.parametrize("fail_on, code", [("critical", 1), ("major", 1), ("never", 0)])
def test_fail_on(fail_on: str, code: int) -> None:
    assert run("check", "--fail-on", fail_on, str(ANNUAL / CRITICAL))[0] == code


def test_fail_on_minor_catches_observations() -> None:
    assert run("check", "--fail-on", "major", str(ANNUAL / "09-observations-only.xml"))[0] == 0
    assert run("check", "--fail-on", "minor", str(ANNUAL / "09-observations-only.xml"))[0] == 1


def test_unreadable_file_exits_2_and_others_are_still_checked(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"filing_type": "cn-eidm-annual",\n  "cover": }', encoding="utf-8")
    good = ANNUAL / "01-compliant-key-discharger.json"
    status, out = run("check", "--format", "json", str(bad), str(good))
    report = json.loads(out)
    assert status == 2
    assert [f["status"] for f in report["filings"]] == ["unreadable", "checked"]
    assert report["filings"][0]["error"]["location"]["line"] == 2
    status, out = run("check", "--no-color", str(bad))
    assert status == 2 and "bad.json:2:" in out and "Traceback" not in out


def test_as_of_before_the_measures_took_effect() -> None:
    _, out = run("check", "--format", "json", "--as-of", "2021-06-01",
                 str(ANNUAL / CRITICAL))
    filing = json.loads(out)["filings"][0]
    assert filing["as_of"] == "2021-06-01" and filing["as_of_source"] == "option"
    rulebase = filing["rulebases"][0]
    assert rulebase["in_force"] is False and rulebase["ran"] == "data_checks"
    # the date before the Measures is a finding of its own; only data checks ran
    (before,) = [f for f in filing["findings"] if f["rule_id"] == "ASOF.before-first-version"]
    assert (before["outcome"], before["severity"]) == ("not_assessable", "major")
    assert filing["grade"] == "N"
    checker = Checker()
    data_checks = checker.rulebases[0].by_type["cn-eidm-annual"].data_checks
    assert all(f["rule_id"] in data_checks for f in filing["findings"]
               if f["rulebase"] == "cn-eidm" and f is not before)


def test_as_of_defaults_to_the_submission_date() -> None:
    _, out = run("check", "--format", "json", str(ANNUAL / "01-compliant-key-discharger.json"))
    filing = json.loads(out)["filings"][0]
    assert (filing["as_of"], filing["as_of_source"]) == ("2024-03-12", "/submission/date")


def test_rules_commands() -> None:
    status, out = run("rules", "list", "--lang", "en")
    assert status == 0 and "CN-EIDM-ANN-002" in out and "Art. 19" in out
    status, out = run("rules", "show", "CN-EIDM-TMP-002")
    assert status == 0 and json.loads(out)["citation"]["article"] == "17"
    assert run("rules", "show", "NOPE-1")[0] == 2
    status, out = run("rules", "lint")
    assert status == 0 and "loaded" in out
    status, out = run("rules", "test", "CN-EIDM-ID-002")
    assert status == 0 and "1 of 1 rules pass" in out


def test_explain_command() -> None:
    status, out = run("explain", "CN-EIDM-ANN-002", "--lang", "en")
    assert status == 0
    assert "Art. 19" in out and "example (fires)" in out and "example (does not fire)" in out


def test_schemas_commands(tmp_path: Path) -> None:
    status, out = run("schemas", "list")
    assert status == 0 and "cn-eidm-annual" in out
    status, out = run("schemas", "show", "cn-eidm-annual")
    assert json.loads(out)["x-esgcheck"]["filing_type"] == "cn-eidm-annual"
    status, out = run("schemas", "export", str(tmp_path))
    assert status == 0 and (tmp_path / "report.schema.json").is_file()


def test_worker_processes_give_the_same_report(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"filing_type": ', encoding="utf-8")
    serial = run("check", "--format", "json", "-j", "1", str(FIXTURES), str(bad))
    parallel = run("check", "--format", "json", "-j", "3", str(FIXTURES), str(bad))
    assert serial == parallel
    report = json.loads(parallel[1])
    assert len(report["filings"]) > 20
    assert report["summary"]["unreadable"] == 1


def test_a_killed_run_resumes_from_its_journal(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys
    import time

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sources = sorted((FIXTURES / "cn-eidm-annual").glob("*.json"))
    for n in range(120):
        shutil.copy(sources[n % len(sources)], inbox / f"{n:03d}.json")
    journal, out = tmp_path / "run.journal", tmp_path / "report.json"
    base = [sys.executable, "-c", "from esgcheck.cli import main; main()", "check",
            "--format", "json", "-j", "1", "-o", str(out), str(inbox)]
    command = [*base, "--journal", str(journal)]
    proc = subprocess.Popen(command, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text(encoding="utf-8").count("\n") > 10:
            break
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    assert not out.exists(), "the run finished before it could be killed"
    partial = journal.read_text(encoding="utf-8").count("\n") - 1
    assert 0 < partial < 120

    subprocess.run(command, cwd=tmp_path, check=False)
    resumed = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    subprocess.run(base, cwd=tmp_path, check=False)
    fresh = json.loads(out.read_text(encoding="utf-8"))
    assert resumed == fresh
    files = [f["file"] for f in resumed["filings"]]
    assert len(files) == len(set(files)) == 120
    entries = journal.read_text(encoding="utf-8").splitlines()[1:]
    names = [json.loads(line)["file"] for line in entries if line.strip()]
    assert len(names) == len(set(names)) == 120
