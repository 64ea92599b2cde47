"""Baselines and waivers that do not depend on where esgcheck runs: filing names
relative to the baseline's or waiver file's folder, old files still read, and
files that name no filing, or a report given instead of filings, said so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from esgcheck.cli import main

from .conftest import FIXTURES

LATE = FIXTURES / "cn-eidm-annual" / "04-late-annual-report.json"  # ANN-002, major
COMPLIANT = FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json"
WAIVE = ["--justification", "Late filing accepted by the bureau in writing.",
         "--approver", "Li Wei", "--expires", "2027-01-31"]


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository: filings in filings/, esgcheck's files in .esgcheck/; the
    working directory is its root."""
    root = tmp_path / "repo"
    (root / "filings" / "2024").mkdir(parents=True)
    (root / ".esgcheck").mkdir()
    shutil.copy(LATE, root / "filings" / "2024" / "late.json")
    shutil.copy(COMPLIANT, root / "filings" / "2024" / "ok.json")
    monkeypatch.chdir(root)
    return root


def test_a_baseline_made_in_the_root_matches_from_a_subfolder_and_absolute_paths(
        repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, _, _ = run("baseline", "create", "filings", "-o", ".esgcheck/baseline.json")
    assert code == 0
    data = json.loads((repo / ".esgcheck" / "baseline.json").read_text())
    assert data["esgcheck_baseline"] == 2
    assert {e["file"] for e in data["findings"]} == {"../filings/2024/late.json",
                                                       "../filings/2024/ok.json"}
    known = len(data["findings"])
    places = [
        (repo, ["filings"], ".esgcheck/baseline.json"),
        (repo / "filings", ["2024"], "../.esgcheck/baseline.json"),
        (repo / "filings" / "2024", ["late.json", "ok.json"], "../../.esgcheck/baseline.json"),
        (tmp_path, [str(repo / "filings")], str(repo / ".esgcheck" / "baseline.json")),
    ]
    for cwd, paths, baseline in places:
        monkeypatch.chdir(cwd)
        code, out, err = run("check", "--format", "json", "--baseline", baseline, *paths)
        report = json.loads(out)
        assert code == 0, (cwd, err)
        assert report["baseline"]["known"] == known, cwd
        assert report["baseline"]["fixed"] == []
        assert all(f["findings"] == [] for f in report["filings"]), cwd
        assert err == "", err


def test_fixed_findings_are_named_as_the_report_names_the_filing(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("baseline", "create", "filings", "-o", ".esgcheck/baseline.json")
    shutil.copy(COMPLIANT, repo / "filings" / "2024" / "late.json")  # the breach mended
    monkeypatch.chdir(repo / "filings")
    code, out, _ = run("check", "--format", "json", "--baseline",
                       "../.esgcheck/baseline.json", "2024")
    report = json.loads(out)
    assert code == 0
    assert {(e["rule_id"], e["file"]) for e in report["baseline"]["fixed"]} == {
        ("CN-EIDM-ANN-002", "2024/late.json")}


def test_a_baseline_on_standard_output_names_filings_from_the_working_directory(
        repo: Path) -> None:
    code, out, _ = run("baseline", "create", "filings/2024/late.json")
    assert code == 0
    assert {e["file"] for e in json.loads(out)["findings"]} == {"filings/2024/late.json"}


def test_an_old_baseline_still_works_where_it_was_made_and_says_so(repo: Path) -> None:
    run("baseline", "create", "filings", "-o", ".esgcheck/baseline.json")
    path = repo / ".esgcheck" / "baseline.json"
    data = json.loads(path.read_text())
    old = {"esgcheck_baseline": 1, "findings": [
        dict(e, file=e["file"].removeprefix("../")) for e in data["findings"]]}
    path.write_text(json.dumps(old), encoding="utf-8")
    code, out, err = run("check", "--format", "json", "--baseline", path, "filings")
    assert code == 0
    assert json.loads(out)["baseline"]["known"] == len(old["findings"])
    assert "format 1" in err and "relative to the working directory" in err
    assert "baseline create" in err


def test_a_baseline_that_names_no_filing_says_so(repo: Path, tmp_path: Path) -> None:
    run("baseline", "create", "filings", "-o", ".esgcheck/baseline.json")
    other = tmp_path / "elsewhere.json"
    shutil.copy(LATE, other)
    code, _, err = run("check", "--baseline", ".esgcheck/baseline.json", other)
    assert code == 1  # every finding is new
    assert "names none of the 1 filing(s) checked" in err
    assert "../filings/2024/" in err and "elsewhere.json" in err


@pytest.mark.parametrize("given", ["report.json", "report.sarif"])
def test_baseline_create_given_a_report_says_why_and_writes_nothing(
        repo: Path, given: str) -> None:
    fmt = "json" if given.endswith("json") else "sarif"
    run("check", "--format", fmt, "-o", given, "filings")
    assert (repo / given).exists()
    target = repo / "baseline.json"
    code, out, err = run("baseline", "create", given, "-o", target)
    assert code == 2
    assert not target.exists() and out == ""
    assert f"{given} is a" in err and "not a filing" in err
    assert "no baseline written" in err


def test_baseline_create_names_each_file_it_could_not_check(repo: Path) -> None:
    code, out, err = run("baseline", "create", "filings/2024/late.json", "missing.json")
    assert code == 2
    assert json.loads(out)["findings"]  # what was checked is written
    assert "missing.json" in err and "not in the baseline" in err


# ---------------------------------------------------------------- waivers


def waiver(scope: str, key: str = "filings") -> str:
    return ("waivers:\n  - rule: CN-EIDM-ANN-002\n"
            f"    {key}: \"{scope}\"\n"
            "    justification: Late filing accepted by the bureau in writing.\n"
            "    approver: Li Wei\n    expires: 2027-01-31\n")


@pytest.mark.parametrize(("scope", "key"), [("../filings/2024/late.json", "filings"),
                                            ("../filings/*/late.json", "filings_glob")])
def test_waivers_name_filings_relative_to_their_own_folder(
        repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, scope: str,
        key: str) -> None:
    (repo / ".esgcheck" / "waivers.yaml").write_text(waiver(scope, key), encoding="utf-8")
    places = [(repo, "filings", ".esgcheck/waivers.yaml"),
              (repo / "filings" / "2024", ".", "../../.esgcheck/waivers.yaml"),
              (tmp_path, str(repo / "filings"), str(repo / ".esgcheck" / "waivers.yaml"))]
    for cwd, path, waivers in places:
        monkeypatch.chdir(cwd)
        code, out, err = run("check", "--format", "json", "--today", "2026-12-01",
                             "--waivers", waivers, path)
        report = json.loads(out)
        assert code == 0, (cwd, err)
        assert report["waivers"]["entries"][0]["status"] == "applied", cwd
        assert err == "", err


def test_an_old_waiver_file_still_matches_and_says_how_to_write_the_name(repo: Path) -> None:
    (repo / ".esgcheck" / "waivers.yaml").write_text(waiver("filings/2024/late.json"),
                                                     encoding="utf-8")
    code, out, err = run("check", "--format", "json", "--today", "2026-12-01",
                         "--waivers", ".esgcheck/waivers.yaml", "filings")
    assert code == 0
    assert json.loads(out)["waivers"]["entries"][0]["status"] == "applied"
    assert "relative to the working directory" in err
    assert "write '../filings/2024/late.json'" in err


def test_a_waiver_file_that_names_no_filing_says_so(repo: Path) -> None:
    (repo / ".esgcheck" / "waivers.yaml").write_text(waiver("../inbox/late.json"),
                                                     encoding="utf-8")
    code, _, err = run("check", "--today", "2026-12-01", "--waivers",
                       ".esgcheck/waivers.yaml", "filings")
    assert code == 1
    assert "no waiver names any of the 2 filing(s) checked" in err
    assert "'../filings/2024/late.json'" in err


def test_waive_writes_the_name_relative_to_the_waiver_file(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, _ = run("waive", "filings/2024/late.json", "CN-EIDM-ANN-002", *WAIVE,
                     "--append", ".esgcheck/waivers.yaml")
    assert code == 0
    text = (repo / ".esgcheck" / "waivers.yaml").read_text()
    assert "filings: ../filings/2024/late.json" in text
    monkeypatch.chdir(repo / "filings")
    code, _, err = run("check", "--today", "2026-12-01", "--waivers",
                       "../.esgcheck/waivers.yaml", "2024/late.json")
    assert code == 0, err
