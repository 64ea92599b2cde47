"""A waiver or an output never touches another filing: waivers name filings
literally unless a pattern is written on purpose; outputs never overwrite an
input, appear whole or not at all, and an interrupted run leaves nothing
half-written."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esgcheck.cli import main
from esgcheck.waivers import WaiverError, parse_waivers, waiver_yaml

from .conftest import ROOT

LATE = ROOT / "fixtures" / "cn-eidm-annual" / "04-late-annual-report.json"
WAIVE = ["--justification", "Late filing accepted by the bureau in writing.",
         "--approver", "Li Wei", "--expires", "2030-01-31"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two enterprises' late reports; the first one's name is a glob that
    matches the second's."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(LATE, folder / "a*.json")
    shutil.copy(LATE, folder / "ab.json")
    return folder


def grades(*args: str) -> dict[str, str]:
    code, out, err = run("check", "--format", "json", "--today", "2025-01-01", *args)
    assert code in (0, 1), err
    return {r["file"]: r["grade"] for r in json.loads(out)["filings"]}


# ---------------------------------------------------------------- waivers are literal


@pytest.mark.parametrize("name", ["a*.json", "a?.json", "[ab].json"])
def test_waive_writes_the_name_literally_and_waives_that_filing_only(
        batch: Path, name: str) -> None:
    if name != "a*.json":
        (batch / "a*.json").rename(batch / name)
    code, _, err = run("waive", f"in/{name}", "CN-EIDM-ANN-002", *WAIVE,
                         "--append", "w.yaml")
    assert code == 0, err
    text = Path("w.yaml").read_text(encoding="utf-8")
    assert "filings_glob" not in text and "filings:" in text
    assert grades("--waivers", "w.yaml", "in") == {f"in/{name}": "A", "in/ab.json": "C"}


def test_a_pattern_is_written_on_purpose_and_the_report_names_what_it_reached(
        batch: Path) -> None:
    code, _, err = run("waive", "in/ab.json", "CN-EIDM-ANN-002", *WAIVE,
                       "--filings-glob", "in/*.json", "--append", "w.yaml")
    assert code == 0, err
    assert "filings_glob: in/*.json" in Path("w.yaml").read_text(encoding="utf-8")
    assert grades("--waivers", "w.yaml", "in") == {"in/a*.json": "A", "in/ab.json": "A"}
    says = "is the pattern 'in/*.json' and waived findings in 2 filing(s): in/a*.json, in/ab.json"
    for fmt in ("text", "markdown", "html", "sarif"):
        _, out, _ = run("check", "--format", fmt, "--no-color", "--today", "2025-01-01",
                        "--waivers", "w.yaml", "in")
        assert says in out.replace("&#x27;", "'"), fmt
    _, zh, _ = run("check", "--lang", "zh", "--no-color", "--today", "2025-01-01",
                   "--waivers", "w.yaml", "in")
    assert "为通配模式“in/*.json”，豁免了 2 个文件中的发现" in zh


def test_a_literal_waiver_gets_no_scope_note(batch: Path) -> None:
    run("waive", "in/ab.json", "CN-EIDM-ANN-002", *WAIVE, "--append", "w.yaml")
    _, out, _ = run("check", "--no-color", "--today", "2025-01-01", "--waivers", "w.yaml",
                    "in")
    assert "pattern" not in out


def test_an_old_pattern_in_filings_matches_nothing_and_the_report_says_why(
        batch: Path) -> None:
    Path("w.yaml").write_text(
        "waivers:\n  - rule: CN-EIDM-ANN-002\n    filings: 'in/*.json'\n"
        "    justification: Late filing accepted in writing.\n    approver: Li Wei\n"
        "    expires: 2030-01-31\n", encoding="utf-8")
    assert grades("--waivers", "w.yaml", "in") == {"in/a*.json": "C", "in/ab.json": "C"}
    for fmt in ("text", "markdown", "html", "sarif"):
        _, out, _ = run("check", "--format", fmt, "--no-color", "--today", "2025-01-01",
                        "--waivers", "w.yaml", "in")
        assert "taken literally" in out and "filings_glob" in out, fmt


@pytest.mark.parametrize(("entry", "line", "says"), [
    ("    filing: in/ab.json\n", 3, "unknown key 'filing'; did you mean 'filings'?"),
    ("    filings: in/ab.json\n    filings_glob: 'in/*'\n", 2, "either 'filings'"),
    ("", 2, "either 'filings'"),
    ("    filings: in/ab.json\n    expires_on: 2030-01-01\n", 4,
     "unknown key 'expires_on'; did you mean 'expires'?"),
])
def test_the_scope_of_a_waiver_is_checked_when_it_loads(entry: str, line: int,
                                                        says: str) -> None:
    text = ("waivers:\n  - rule: CN-EIDM-ANN-002\n" + entry
            + "    justification: Late filing accepted in writing.\n    approver: Li Wei\n"
            + "    expires: 2030-01-31\n")
    with pytest.raises(WaiverError) as info:
        parse_waivers(text.encode(), "w.yaml")
    assert info.value.line == line and says in info.value.message
    assert "pydantic" not in str(info.value)


_names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(name=_names)
def test_any_name_waive_writes_reads_back_as_that_name_exactly(name: str) -> None:
    text = "waivers:\n" + waiver_yaml("CN-EIDM-ANN-002", name, "/submission/date",
                                      "Accepted in writing by the bureau.", "Li Wei", None,
                                      date(2030, 1, 31))
    [waiver] = parse_waivers(text.encode("utf-8"), "w.yaml").entries
    assert waiver.entry.filings == name and waiver.entry.filings_glob is None
