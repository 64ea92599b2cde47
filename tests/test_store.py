"""The results store, on SQLite and on a real PostgreSQL server: what a run
writes, what it reuses, what survives a run that stops part way, and the
questions asked of it afterwards."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text

from esgcheck.checker import Checker, Options
from esgcheck.engine.findings import FilingReport, Report
from esgcheck.store import StoreError, open_store
from esgcheck.store.schema import findings, metadata, reports, run_filings
from esgcheck.waivers import parse_waivers

from .conftest import FIXTURES
from .pg import Server, new_postgres_db, postgres  # noqa: F401  # fixtures used by name

ANNUAL = FIXTURES / "cn-eidm-annual"
TEMPORARY = FIXTURES / "cn-eidm-temporary"  # some have no findings at all


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "results.db")
    make: Callable[[], str] = request.getfixturevalue("new_postgres_db")
    return make()


def run_into(store_url: str, checker: Checker, paths: list[Path],
             waivers: str | None = None) -> tuple[int, Report]:
    store = open_store(store_url)
    options = Options()
    run = store.begin_run(checker.settings(options), [], files=len(paths))
    report = checker.check_paths(paths, options, journal=run)
    settled = checker.settle(report, waivers=parse_waivers(waivers.encode(), "w.yaml") if waivers
                             else None, today=date(2026, 12, 1))
    run.finish(settled)
    return run.id, settled


def test_migrations_build_exactly_the_tables_the_code_declares(store_url: str) -> None:
    store = open_store(store_url)
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_a_run_stores_every_filing_once_with_its_findings(
        store_url: str, checker: Checker) -> None:
    run_id, report = run_into(store_url, checker, [ANNUAL, TEMPORARY])
    assert any(not f.findings for f in report.filings)
    store = open_store(store_url)  # opened again: nothing is held in memory
    stored = store.filings(run_id)
    assert [f.model_dump_json() for f in stored] == [
        f.model_dump_json() for f in report.filings]
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(reports)).scalar() == len(
            report.filings)
        assert c.execute(select(func.count()).select_from(findings)).scalar() == sum(
            len(f.findings) for f in report.filings)
    summary = store.summary(run_id)
    assert (summary["files"], summary["checked"]) == (report.summary.files,
                                                       report.summary.checked)
    assert summary["grades"] == report.summary.grades
    counts = report.summary.counts
    assert summary["counts"]["critical"] == counts.critical
    assert summary["counts"]["not_assessable"] == counts.not_assessable


def test_the_filings_that_failed_a_rule(store_url: str, checker: Checker) -> None:
    run_id, report = run_into(store_url, checker, [ANNUAL])
    failed = open_store(store_url).failed(run_id, rule="CN-EIDM-PMT-003")
    expected = [f.file for f in report.filings if any(
        x.rule_id == "CN-EIDM-PMT-003" and x.outcome == "breach" for x in f.findings)]
    assert [f["file"] for f in failed] == expected and expected
    critical = open_store(store_url).failed(run_id, severity="critical")
    assert {f["grade"] for f in critical} == {"D"}


def test_running_again_checks_nothing_that_is_unchanged(
        store_url: str, checker: Checker, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    shutil.copytree(ANNUAL, folder)
    first, report = run_into(store_url, checker, [folder])
    store = open_store(store_url)
    run = store.begin_run(checker.settings(Options()), [], files=1)
    again = checker.check_paths([folder], Options(), journal=run)
    run.finish(checker.settle(again))
    assert (run.stored, run.reused) == (0, len(report.filings))
    assert again.model_dump_json() == report.model_dump_json()
    # one filing changes: only it is checked again, and the diff says what moved
    late = folder / "04-late-annual-report.json"
    late.write_text(late.read_text("utf-8").replace('"2024-03-18"', '"2024-03-14"'), "utf-8")
    run = store.begin_run(checker.settings(Options()), [], files=1)
    third = checker.check_paths([folder], Options(), journal=run)
    run.finish(checker.settle(third))
    assert run.stored == 1
    diff = store.diff(first, run.id)
    assert [(d["rule"], Path(d["file"]).name) for d in diff["fixed"]] == [
        ("CN-EIDM-ANN-002", "04-late-annual-report.json")]
    assert diff["new"] == []


def test_a_filing_that_changes_during_the_run_is_never_stored_as_checked(
        store_url: str, checker: Checker, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A filing rewritten after the run hashed it and before it was read (an
    enterprise re-uploading into the inbox): its report may be of bytes the
    digest does not name, so it is an entry of its own, ``changed``, and the
    next run checks it; the other filings are stored as usual."""
    folder = tmp_path / "inbox"
    shutil.copytree(ANNUAL, folder)
    late = folder / "04-late-annual-report.json"
    check_file = Checker.check_file

    def rewritten_first(self: Checker, path: Path, display: str, options: Options
                        ) -> FilingReport:
        if path.name == late.name:
            late.write_text(late.read_text("utf-8").replace('"2024-03-18"', '"2024-03-14"'),
                            "utf-8")
        return check_file(self, path, display, options)

    monkeypatch.setattr(Checker, "check_file", rewritten_first)
    _, report = run_into(store_url, checker, [folder])
    monkeypatch.undo()
    changed = [f for f in report.filings if f.error is not None and f.error.code == "changed"]
    assert [Path(f.file).name for f in changed] == [late.name]
    assert "changed while the run" in changed[0].error.message.en
    assert sum(f.status == "checked" for f in report.filings) == len(report.filings) - 1
    store = open_store(store_url)
    run = store.begin_run(checker.settings(Options()), [], files=1)
    again = checker.check_paths([folder], Options(), journal=run)
    run.finish(checker.settle(again))
    assert run.stored == 1 and run.reused == len(report.filings) - 1
    assert all(f.status == "checked" for f in again.filings)


def test_a_run_that_stops_part_way_keeps_what_it_stored(
        store_url: str, checker: Checker) -> None:
    store = open_store(store_url)
    options = Options()
    run = store.begin_run(checker.settings(options), [], files=1)
    added = 0
    real_add = run.add

    def add_then_die(file: str, sha256: str, report: object) -> None:
        nonlocal added
        real_add(file, sha256, report)  # type: ignore[arg-type]  # a FilingReport
        added += 1
        if added == 7:
            run.flush()  # what was committed before the fault
            raise KeyboardInterrupt

    run.add = add_then_die  # type: ignore[method-assign]  # a fault injected mid-run
    with pytest.raises(KeyboardInterrupt):
        checker.check_paths([ANNUAL], options, journal=run)
    run.interrupt()
    assert [r.status for r in store.runs()] == ["interrupted"]
    resumed = store.begin_run(checker.settings(options), [], files=1)
    report = checker.check_paths([ANNUAL], options, journal=resumed)
    resumed.finish(checker.settle(report))
    assert resumed.reused == 7
    clean = Checker().check_paths([ANNUAL], options)
    assert report.model_dump_json() == clean.model_dump_json()
    with store.engine.connect() as c:  # each filing's report stored once
        assert c.execute(select(func.count()).select_from(reports)).scalar() == len(
            clean.filings)


WAIVERS = """
waivers:
  - id: W-1
    rule: CN-EIDM-PMT-003
    filings: {file}
    justification: The bureau accepted the exceedance explanation in writing.
    approver: Wang Fang (audit lead)
    expires: 2027-06-30
"""


def test_waivers_belong_to_the_run(store_url: str, checker: Checker) -> None:
    over = "fixtures/cn-eidm-annual/07-concentration-over-limit.json"  # as reported
    first, _ = run_into(store_url, checker, [Path(over)])
    second, settled = run_into(store_url, checker, [Path(over)], WAIVERS.format(file=over))
    store = open_store(store_url)
    assert store.summary(first)["counts"]["waived"] == 0
    assert store.summary(second)["counts"]["waived"] == 1
    assert store.summary(second)["grades"] == settled.summary.grades
    assert store.failed(second, rule="CN-EIDM-PMT-003") == []
    (shown,) = store.filings(second)
    assert shown.model_dump_json() == settled.filings[0].model_dump_json()
    rows = list(store.finding_rows(second))
    assert [r["waiver"] for r in rows if r["rule_id"] == "CN-EIDM-PMT-003"] == ["W-1"]
    with store.engine.connect() as c:  # the same report serves both runs
        assert c.execute(select(func.count()).select_from(reports)).scalar() == 1
        assert c.execute(select(func.count()).select_from(run_filings)).scalar() == 2


def test_two_runs_writing_at_once_store_each_report_once(
        store_url: str, checker: Checker) -> None:
    store = open_store(store_url)
    options = Options()
    a = store.begin_run(checker.settings(options), [], files=1)
    b = open_store(store_url).begin_run(checker.settings(options), [], files=1)
    files = sorted(ANNUAL.glob("*.json"))
    for path in files:
        for run in (a, b):
            assert run.get(path.as_posix(), "x" + path.name) is None
    for path in files:
        report = checker.check_file(path, path.as_posix(), options)
        a.add(path.as_posix(), "x" + path.name, report)
        b.add(path.as_posix(), "x" + path.name, report)
        a.flush()
        b.flush()
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(reports)).scalar() == len(files)
        assert c.execute(select(func.count()).select_from(run_filings)).scalar() == 2 * len(
            files)


def test_a_store_made_by_a_newer_esgcheck_is_refused(store_url: str) -> None:
    store = open_store(store_url)
    with store.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="made by a newer esgcheck"):
        open_store(store_url)


def test_an_unreachable_store_is_refused_before_anything_is_checked(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"folder .* does not exist"):
        open_store(str(tmp_path / "no" / "such" / "results.db"))
    with pytest.raises(StoreError, match=re.escape("cannot open store postgresql://nobody@127.0.0.1:1/x")):
        open_store("postgresql://nobody:secret@127.0.0.1:1/x")


def test_the_password_is_never_in_a_message(postgres: Server) -> None:  # noqa: F811
    with pytest.raises(StoreError) as info:
        open_store(f"postgresql://esgcheck:hunter2@127.0.0.1:{postgres.port}/missing_db")
    assert "hunter2" not in str(info.value) and "missing_db" in str(info.value)


def test_export_rows_carry_every_finding(store_url: str, checker: Checker) -> None:
    run_id, report = run_into(store_url, checker, [ANNUAL / "07-concentration-over-limit.json"])
    rows = list(open_store(store_url).finding_rows(run_id))
    assert [(r["rule_id"], r["pointer"], r["line"]) for r in rows] == [
        (f.rule_id, f.location.pointer, f.location.line) for f in report.filings[0].findings]
    json.dumps(rows, default=str)  # plain values only
