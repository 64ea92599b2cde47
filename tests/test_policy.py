"""Waivers and baselines: what they hide, what they keep, and what they report.

Every date here is fixed (``today=``/``--today``): nothing depends on the clock.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from esgcheck.baseline import BaselineError, apply_baseline, dumps, load_baseline
from esgcheck.checker import Checker
from esgcheck.engine.findings import Report
from esgcheck.waivers import WaiverError, apply_waivers, load_waivers, waiver_yaml

from .conftest import FIXTURES, ROOT

ANNUAL = FIXTURES / "cn-eidm-annual"
LATE = "fixtures/cn-eidm-annual/04-late-annual-report.json"
CONCENTRATION = "fixtures/cn-eidm-annual/07-concentration-over-limit.json"
TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # filing names in reports are relative to the working directory


@pytest.fixture(scope="module")
def report(checker: Checker) -> Report:
    return checker.check_paths([Path(LATE), Path(CONCENTRATION)])


def write(tmp_path: Path, text: str, name: str = "waivers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def entry(rule: str = "CN-EIDM-ANN-002", filings: str = "fixtures/cn-eidm-annual/04-*",
          expires: str = "2027-01-31", extra: str = "") -> str:
    return (f"  - rule: {rule}\n    filings_glob: \"{filings}\"\n{extra}"
            "    justification: Late filing accepted by the bureau in writing.\n"
            f"    approver: Li Wei\n    ticket: AUD-7\n    expires: {expires}\n")


def finding(report: Report, file: str, rule: str) -> object:
    return next(f for r in report.filings if r.file == file for f in r.findings
                if f.rule_id == rule)


# ---------------------------------------------------------------- waivers


def test_a_waived_finding_stays_visible_and_no_longer_counts(
        checker: Checker, report: Report, tmp_path: Path) -> None:
    waivers = load_waivers(write(tmp_path, "waivers:\n" + entry()))
    settled = checker.settle(report, waivers=waivers, today=TODAY)
    late = settled.filings[0]
    (waived,) = [f for f in late.findings if f.rule_id == "CN-EIDM-ANN-002"]
    assert waived.outcome == "waived"
    assert waived.waiver is not None and waived.waiver.approver == "Li Wei"
    assert waived.waiver.line == 2 and waived.waiver.ticket == "AUD-7"
    assert report.filings[0].grade == "C" and late.grade == "A"  # graded again without it
    assert late.counts.major == 0 and late.counts.waived == 1
    assert settled.summary.failed == 1  # the other filing still fails
    assert settled.waivers is not None
    assert [(e.id, e.status, e.matched) for e in settled.waivers.entries] == [
        ("W-1", "applied", 1)]


def test_an_expired_waiver_applies_to_nothing_and_is_reported(
        checker: Checker, report: Report, tmp_path: Path) -> None:
    waivers = load_waivers(write(tmp_path, "waivers:\n" + entry(expires="2026-11-30")))
    settled = checker.settle(report, waivers=waivers, today=TODAY)
    assert settled.filings[0].grade == "C"
    assert all(f.outcome != "waived" for r in settled.filings for f in r.findings)
    assert settled.waivers is not None
    (status,) = settled.waivers.entries
    assert (status.status, status.matched) == ("expired", 1)
    # the last day of a waiver is still inside it
    still = checker.settle(report, waivers=waivers, today=date(2026, 11, 30))
    assert still.filings[0].grade == "A"


def test_unused_waivers_and_the_first_matching_waiver_wins(
        checker: Checker, report: Report, tmp_path: Path) -> None:
    text = ("waivers:\n" + entry(extra="    id: FIRST\n") + entry(extra="    id: SECOND\n")
            + entry(rule="CN-EIDM-ANN-005", extra="    id: NOTHING\n"))
    settled = checker.settle(report, waivers=load_waivers(write(tmp_path, text)), today=TODAY)
    assert settled.waivers is not None
    assert [(e.id, e.status) for e in settled.waivers.entries] == [
        ("FIRST", "applied"), ("SECOND", "applied"), ("NOTHING", "unused")]
    (waived,) = [f for f in settled.filings[0].findings if f.outcome == "waived"]
    assert waived.waiver is not None and waived.waiver.id == "FIRST"


def test_a_waiver_path_narrows_it_to_a_place(report: Report, tmp_path: Path) -> None:
    rule = "CN-EIDM-PMT-003"
    target = next(f for f in report.filings[1].findings if f.rule_id == rule)
    pointer = target.location.pointer
    outlet = pointer.split("/pollutants")[0]
    for path, hits in ((outlet, 1), (pointer, 1), ("/pollution/outlets/9", 0),
                       (outlet + "0", 0)):  # /outlets/10 is not under /outlets/1
        text = "waivers:\n" + entry(rule=rule, filings="*/07-*", extra=f"    path: {path}\n")
        _, used = apply_waivers(report.filings, load_waivers(write(tmp_path, text)), TODAY)
        assert used.entries[0].matched == hits, path


@pytest.mark.parametrize("text, line, words", [
    ("waivers:\n  - rule: CN-EIDM-ANN-002\n    filings: '*'\n    approver: A\n"
     "    justification: long enough reason\n", 2, "expires"),
    ("waivers:\n" + entry(expires="soon"), 7, "expires"),
    ("waivers:\n" + entry(extra="    reason: typo\n"), 4, "reason"),
    ("waivers:\n" + entry(rule="not a rule"), 2, "rule"),
    ("waivers:\n" + entry(extra="    path: no-slash\n"), 4, "path"),
    ("waivers:\n" + entry(extra="    id: A\n") + entry(extra="    id: A\n"), 9, "twice"),
    ("waivers:\n  - rule: X-1\n    rule: X-2\n", 3, "duplicate key"),
    ("waivers: [\n", 2, "invalid YAML"),
    ("waivers: []\n", 1, "at least 1"),
])
def test_broken_waiver_files_name_the_line(tmp_path: Path, text: str, line: int,
                                           words: str) -> None:
    with pytest.raises(WaiverError) as caught:
        load_waivers(write(tmp_path, text))
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "waivers.yaml"))


def test_waiver_yaml_writes_an_entry_that_loads(tmp_path: Path) -> None:
    text = "waivers:\n" + waiver_yaml("CN-EIDM-ANN-002", LATE, "/submission/date",
                                      "Late filing accepted in writing.", "Li Wei", "AUD-7",
                                      date(2027, 1, 31), "W-9")
    (w,) = load_waivers(write(tmp_path, text)).entries
    assert (w.id, w.entry.path, w.entry.expires) == ("W-9", "/submission/date", date(2027, 1, 31))
    with pytest.raises(ValueError):
        waiver_yaml("CN-EIDM-ANN-002", LATE, None, "short", "Li", None, date(2027, 1, 1))


# ---------------------------------------------------------------- baselines


def test_a_baseline_hides_known_findings_and_lists_fixed_ones(
        checker: Checker, report: Report, tmp_path: Path) -> None:
    path = write(tmp_path, dumps(report, tmp_path), "baseline.json")
    baseline = load_baseline(path)
    assert len(baseline.entries) == sum(len(r.findings) for r in report.filings)
    settled = checker.settle(report, baseline=baseline)
    assert all(not r.findings for r in settled.filings)
    assert settled.baseline is not None and settled.baseline.known == len(baseline.entries)
    assert settled.baseline.fixed == []
    assert settled.summary.failed == 0 and settled.summary.counts.critical == 0
    assert [r.grade for r in settled.filings] == [r.grade for r in report.filings]
    # one filing fixed: its findings are listed as fixed, nothing is new
    fixed = checker.check_paths([ANNUAL / "01-compliant-key-discharger.json"])
    renamed = fixed.model_copy(update={"filings": [fixed.filings[0].model_copy(
        update={"file": LATE})]})
    after = checker.settle(renamed, baseline=baseline)
    assert after.baseline is not None
    assert {e.rule_id for e in after.baseline.fixed} == {"CN-EIDM-ANN-002"}
    assert [f.rule_id for f in after.filings[0].findings] == []  # ANN-016 was known


def test_a_baseline_matches_on_place_not_just_rule(report: Report, tmp_path: Path) -> None:
    data = json.loads(dumps(report, tmp_path))
    moved = [dict(e, fingerprint="0" * 32) if e["rule_id"] == "CN-EIDM-PMT-003" else e
             for e in data["findings"]]
    path = write(tmp_path, json.dumps({**data, "findings": moved}), "baseline.json")
    filings, used = apply_baseline(report.filings, load_baseline(path))
    assert [f.rule_id for f in filings[1].findings] == ["CN-EIDM-PMT-003"]  # new place
    assert [e.rule_id for e in used.fixed] == ["CN-EIDM-PMT-003"]  # the old one is gone


def test_fingerprints_survive_moved_lines(checker: Checker, tmp_path: Path) -> None:
    source = ROOT / LATE
    shifted = tmp_path / "late.json"
    shifted.write_text("\n\n\n" + source.read_text(encoding="utf-8").replace("\n", "\n  "),
                       encoding="utf-8")
    a = checker.check_paths([source]).filings[0].findings
    b = checker.check_paths([shifted]).filings[0].findings
    assert [f.location.line for f in a] != [f.location.line for f in b]
    assert [f.fingerprint for f in a] == [f.fingerprint for f in b]
    assert len({f.fingerprint for f in a}) == len(a)


@pytest.mark.parametrize("text", ["{", "[]", '{"esgcheck_baseline": 3, "findings": []}',
                                  '{"esgcheck_baseline": 1}'])
def test_broken_baselines_are_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(BaselineError) as caught:
        load_baseline(write(tmp_path, text, "baseline.json"))
    assert "baseline.json" in str(caught.value)
