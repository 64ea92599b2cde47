"""Many filings: one filing never costs the others, a journal entry stands only
for the filing it describes, and a report is the same byte for byte however it
was reached (one process or several, uninterrupted, resumed, or from a complete
journal)."""

from __future__ import annotations

import decimal
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import esgcheck.checker as checker_module
from esgcheck import workers
from esgcheck.checker import Checker, Options
from esgcheck.checkerparts import file_digest, portable_name
from esgcheck.cli import main
from esgcheck.engine import grading
from esgcheck.engine.chain import Evaluation
from esgcheck.engine.findings import Evidence, FilingReport, Report
from esgcheck.journal import FORMAT, Journal, JournalError, settings_digest
from esgcheck.report import FORMATS, RenderOptions, renderer

from .conftest import FIXTURES

# A batch of every kind: JSON and XML, three filing types, breaches and a
# clean filing. The target has breaches, derive rules and findings.
BATCH = [
    ("cn-eidm-annual", "01-compliant-key-discharger.json"),
    ("cn-eidm-annual", "07-concentration-over-limit.xml"),
    ("green-finance", "03-clean-coal-project.json"),
    ("eu-battery-cf", "03-stages-do-not-add-up.json"),
]
TARGET = "target.json"
DEFAULT = Options()
TARGET_SOURCE = FIXTURES / "cn-eidm-annual" / "11-missing-blocks.json"


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inbox")
    for n, (kind, name) in enumerate(BATCH):
        shutil.copy(FIXTURES / kind / name, folder / f"{n}-{name}")
    shutil.copy(TARGET_SOURCE, folder / TARGET)
    return folder


def by_file(report: Report) -> dict[str, str]:
    return {Path(f.file).name: f.model_dump_json() for f in report.filings}


@pytest.fixture(scope="module")
def clean(checker: Checker, inbox: Path) -> dict[str, str]:
    """Every filing's report without any fault."""
    report = checker.check_paths([inbox])
    assert {f.status for f in report.filings} == {"checked"}
    return by_file(report)


# ---------------------------------------------------------------- faults at every stage

CURRENT = [""]  # the filing being checked, in this process (a worker has its own)


def only_for_target(fail: Callable[[], Any]) -> Callable[..., Any]:
    """A stand-in for a function of one stage: it fails on the target filing and
    does what the original does on every other."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            if CURRENT[0].endswith(TARGET):
                return fail()
            return original(*args, **kwargs)
        return run

    return wrap


def raising(exc: BaseException) -> Callable[[], Any]:
    def fail() -> Any:
        raise exc
    return fail


class Strange(Exception):
    """An exception esgcheck has never heard of."""


EXCEPTIONS: list[BaseException] = [
    TypeError("injected"), KeyError("injected"), RuntimeError("injected"),
    RecursionError("injected"), MemoryError("injected"), ZeroDivisionError("injected"),
    decimal.InvalidOperation("injected"), Strange("injected"), AssertionError("injected"),
]

# where each stage's work is done, and so where a fault of that stage is injected
STAGES: dict[str, tuple[Any, str]] = {
    "read": (checker_module, "read_bytes"),
    "limits": (checker_module, "depth_bound"),
    "validate": (checker_module, "validate"),
    "as_of": (checker_module, "as_of_date"),
    "derive": (Evaluation, "derive"),
    "check": (Evaluation, "hit"),
    "findings": (checker_module, "build_finding"),
    "grade": (grading, "grade"),
}


def inject(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str,
           fail: Callable[[], Any]) -> None:
    original = Checker.check_file

    def check_file(self: Checker, path: Path, display: str, options: Options = DEFAULT
                   ) -> FilingReport:
        CURRENT[0] = display
        return original(self, path, display, options)

    monkeypatch.setattr(Checker, "check_file", check_file)
    monkeypatch.setattr(owner, name, only_for_target(fail)(getattr(owner, name)))


def assert_contained(report: Report, clean: dict[str, str], stage: str | None) -> FilingReport:
    """The target is not assessed, as an internal error naming the stage; every
    other filing's report is what it is without the fault."""
    got = by_file(report)
    assert got.keys() == clean.keys()
    for name, text in got.items():
        if name != TARGET:
            assert text == clean[name], name
    target = next(f for f in report.filings if f.file.endswith(TARGET))
    assert target.status == "not_assessed"
    assert target.error is not None and target.error.code == "internal"
    assert target.findings == []
    if stage is not None:
        assert f"stage '{stage}'" in target.error.message.en
        assert f"阶段 {stage}" in target.error.message.zh
    assert report.summary.not_assessed == 1
    assert report.summary.checked == len(clean) - 1
    return target


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("exc", EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_a_fault_at_any_stage_costs_only_that_filing(
        checker: Checker, inbox: Path, clean: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        stage: str, exc: BaseException) -> None:
    owner, name = STAGES[stage]
    inject(monkeypatch, owner, name, raising(exc))
    target = assert_contained(checker.check_paths([inbox]), clean, stage)
    assert type(exc).__name__ in target.error.message.en  # type: ignore[union-attr]


@pytest.mark.parametrize("stage", STAGES)
def test_a_fault_at_any_stage_in_a_worker_costs_only_that_filing(
        checker: Checker, inbox: Path, clean: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        stage: str) -> None:
    exc = EXCEPTIONS[list(STAGES).index(stage) % len(EXCEPTIONS)]
    owner, name = STAGES[stage]
    inject(monkeypatch, owner, name, raising(exc))
    assert_contained(checker.check_paths([inbox], jobs=2), clean, stage)


def unsendable(clean: dict[str, str]) -> Callable[[], Any]:
    """The target's report holding a value no serialiser knows: it cannot be
    written as JSON (a worker could not send it, a renderer not write it)."""
    def fail() -> Any:
        report = FilingReport.model_validate_json(clean[TARGET])
        bad = report.findings[0].model_copy(update={"evidence": [Evidence(
            source="filing", name="/x", value=object(), display="x")]})
        return report.model_copy(update={"findings": [bad]})
    return fail


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_report_that_cannot_be_sent_costs_only_that_filing(
        checker: Checker, inbox: Path, clean: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        jobs: int) -> None:
    inject(monkeypatch, Checker, "check_filing", unsendable(clean))
    assert_contained(checker.check_paths([inbox], jobs=jobs), clean, "send")


def test_a_report_that_does_not_read_back_costs_only_that_filing(
        checker: Checker, inbox: Path, clean: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    original = Checker.check_serialised

    def garbled(self: Checker, path: Path, display: str, options: Options = DEFAULT,
                data: bytes | None = None) -> bytes:
        out = original(self, path, display, options, data)
        return b'{"file": 1' if display.endswith(TARGET) else out

    monkeypatch.setattr(Checker, "check_serialised", garbled)
    assert_contained(checker.check_paths([inbox], jobs=2), clean, "send")


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_worker_that_ends_costs_only_its_filing(
        checker: Checker, inbox: Path, clean: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        how: str) -> None:
    def end() -> Any:
        if how == "exit":
            os._exit(3)
        os.kill(os.getpid(), signal.SIGKILL)

    inject(monkeypatch, checker_module, "read_bytes", end)
    target = assert_contained(checker.check_paths([inbox], jobs=2), clean, None)
    expected = "exit status 3" if how == "exit" else f"signal {int(signal.SIGKILL)}"
    assert f"worker process checking this filing ended ({expected})" in (
        target.error.message.en)  # type: ignore[union-attr]


def deep_json(levels: int) -> bytes:
    return (b'{"filing_type": "cn-eidm-annual", "x": ' + b"[" * levels + b"]" * levels + b"}")


@pytest.mark.parametrize("levels", [255, 256, 600, 999, 1001])
@pytest.mark.parametrize("jobs", [1, 2])
def test_deep_json_in_a_batch_is_its_own_entry(checker: Checker, tmp_path: Path, levels: int,
                                               jobs: int) -> None:
    (tmp_path / "deep.json").write_bytes(deep_json(levels))
    ok = tmp_path / "ok.json"
    shutil.copy(FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json", ok)
    journal = Journal(tmp_path / "run.journal", checker.settings(Options()))
    report = checker.check_paths([tmp_path / "deep.json", ok], jobs=jobs, journal=journal)
    journal.close()
    deep, good = report.filings
    assert deep.status in ("not_assessed", "unreadable") and good.status == "checked"
    # resumed from its journal, the run does not stop at the same file
    again = Journal(tmp_path / "run.journal", checker.settings(Options()))
    assert checker.check_paths([tmp_path / "deep.json", ok], journal=again) == report
    again.close()


# ---------------------------------------------------------------- the worker pool


def _square(n: int) -> bytes:
    if n % 7 == 3:
        import time

        time.sleep(0.002 * (n % 5))  # some items take longer: results still in order
    return str(n * n).encode()


def test_workers_give_every_result_once_in_order() -> None:
    assert list(workers.results(500, _square, 3)) == [str(n * n).encode() for n in range(500)]
    assert list(workers.results(0, _square, 3)) == []
    assert list(workers.results(1, _square, 4)) == [b"0"]


def _dies_on_13(n: int) -> bytes:
    if n == 13:
        os._exit(9)
    return str(n).encode()


def test_a_dead_worker_loses_only_the_item_it_was_on() -> None:
    got = list(workers.results(200, _dies_on_13, 2))
    assert got[13] == workers.Lost(9)
    assert got[:13] + got[14:] == [str(n).encode() for n in range(200) if n != 13]
    assert workers.Lost(-9).describe() == "signal 9"


def test_tasks_grow_with_cheap_items_and_stay_single_for_slow_ones() -> None:
    plan = workers._Plan(20_000, 2)
    assert plan.task(0) == (0, 1)  # nothing known yet: one item
    plan.took((0, 1), 60e-6)
    assert plan.task(0) == (1, 1 + workers.MAX_TASK)  # empty files: many per message
    slow = workers._Plan(100, 2)
    slow.took((0, 1), 2.0)
    assert slow.task(0) == (0, 1)
    last = workers._Plan(10, 4)
    last.took((0, 1), 1e-6)
    assert last.task(0) == (0, 3)  # the last items are shared out, not given to one


def test_many_empty_files_cost_few_messages(checker: Checker, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With --jobs, cheap filings go to workers many at a time (they took one
    message each, and the parent's share of the work made two processes slower
    than one)."""
    for n in range(4000):
        (tmp_path / f"{n:04d}.json").write_bytes(b"")
    sent: list[tuple[int, int]] = []
    give = workers._Worker.give

    def count(self: workers._Worker, task: tuple[int, int]) -> None:
        sent.append(task)
        give(self, task)

    monkeypatch.setattr(workers._Worker, "give", count)
    report = checker.check_paths([tmp_path], jobs=2)
    assert report.summary.unreadable == 4000
    assert sum(b - a for a, b in sent) == 4000
    assert len(sent) < 120, len(sent)  # one a filing, or 16 at a time as before: 250
    assert report == checker.check_paths([tmp_path], jobs=1)


# ---------------------------------------------------------------- names and paths


def test_a_name_that_is_not_utf8_is_written_with_its_bytes_escaped(
        checker: Checker, tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9-\xff.json"
    shutil.copy(FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json",
                os.fsdecode(raw))
    shutil.copy(FIXTURES / "cn-eidm-annual" / "11-missing-blocks.json", tmp_path / "b.json")
    reports = [checker.check_paths([tmp_path], jobs=jobs) for jobs in (1, 2, 1)]
    assert reports[0] == reports[1] == reports[2]
    names = [f.file for f in reports[0].filings]
    assert names[1].endswith("/caf\\xe9-\\xff.json")
    for fmt in FORMATS:
        text = renderer(fmt)(reports[0], RenderOptions(lang="en"))
        text.encode("utf-8")  # every character can be written
        assert "caf" in text
    report = json.loads(renderer("json")(reports[0], RenderOptions()))
    assert report["filings"][1]["file"] == names[1]
    assert portable_name("plain.json") == "plain.json"
    assert portable_name("a\udcff.json") == "a\\xff.json"
    assert portable_name("a\ud800.json") == "a\\ud800.json"  # a surrogate no byte stands for


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file that cannot be read (mode 000; run as root, which reads any file,
    the kernel's answer to anyone else is given in its place)."""
    path = tmp_path / "locked.json"
    shutil.copy(FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json", path)
    path.chmod(0)
    if os.geteuid() == 0:
        real_open = os.open

        def open_(file: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if os.fspath(file) == os.fspath(path):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return real_open(file, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", open_)
    return path


def test_missing_and_unreadable_paths_are_entries_and_the_others_are_checked(
        tmp_path: Path, unreadable_file: Path) -> None:
    good = FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json"
    code, out, _ = run_cli("check", "--format", "json", "-j", "1", str(good),
                           str(tmp_path / "missing.json"), str(unreadable_file),
                           str(tmp_path / "no-folder" / "x.json"), str(good))
    assert code == 2
    report = json.loads(out)
    statuses = [(Path(f["file"]).name, f["status"]) for f in report["filings"]]
    assert statuses == [(good.name, "checked"), ("missing.json", "unreadable"),
                        ("locked.json", "unreadable"), ("x.json", "unreadable"),
                        (good.name, "checked")]
    reasons = [f["error"]["message"]["en"] for f in report["filings"] if f["error"]]
    assert "No such file or directory" in reasons[0]
    assert "Permission denied" in reasons[1]
    assert report["summary"] == {**report["summary"], "files": 5, "checked": 2,
                                 "unreadable": 3}


def test_baseline_create_takes_missing_paths_as_entries(tmp_path: Path) -> None:
    good = FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json"
    code, out, _ = run_cli("baseline", "create", "-j", "1", str(good),
                           str(tmp_path / "missing.json"))
    assert code == 2  # not every file was checked
    assert "01-compliant-key-discharger.json" in out


# ---------------------------------------------------------------- journals


def settings(checker: Checker) -> dict[str, Any]:
    return checker.settings(Options())


def write_journal(path: Path, checker: Checker, entries: list[dict[str, Any]]) -> None:
    lines = [json.dumps({"journal": FORMAT, "settings": settings(checker)})]
    lines += [json.dumps(e) for e in entries]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_journal_entry_stands_only_for_the_filing_it_describes(
        checker: Checker, tmp_path: Path) -> None:
    """An entry whose report names another file, whose digest is another
    content's, or that was checked with other settings is not journalled: that
    filing is checked again."""
    clean = tmp_path / "clean.json"
    bad = tmp_path / "bad.json"
    shutil.copy(FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json", clean)
    shutil.copy(FIXTURES / "cn-eidm-annual" / "11-missing-blocks.json", bad)
    fresh = checker.check_paths([clean, bad])
    good_report = fresh.filings[0].model_dump(mode="json")
    names = [f.file for f in fresh.filings]
    digest = file_digest(bad)
    key = settings_digest(settings(checker))
    own = fresh.filings[1].model_dump(mode="json")  # the genuine report
    forged = [
        # the clean filing's report, filed under the other name
        ({"file": names[1], "sha256": digest, "settings": key, "report": good_report}, 1),
        # the clean filing's report renamed, its findings still pointing to the other file
        ({"file": names[1], "sha256": digest, "settings": key,
          "report": good_report | {"file": names[1]}}, int(bool(good_report["findings"]))),
        # the genuine report, its findings pointing to the other file
        ({"file": names[1], "sha256": digest, "settings": key, "report": own | {"findings": [
            f | {"location": f["location"] | {"file": names[0]}} for f in own["findings"]]}}, 1),
        # checked with other settings
        ({"file": names[1], "sha256": digest, "settings": "1" * 64, "report": own}, 1),
        # no settings at all, as an older journal wrote
        ({"file": names[1], "sha256": digest, "report": own}, 1),
        # not a report
        ({"file": names[1], "sha256": digest, "settings": key, "report": {"grade": "A"}}, 1),
        # the genuine report, for another content: kept as an entry for that
        # content, and not taken for this one
        ({"file": names[1], "sha256": "0" * 64, "settings": key, "report": own}, 0),
    ]
    path = tmp_path / "run.journal"
    for entry, ignored in forged:
        write_journal(path, checker, [entry])
        journal = Journal(path, settings(checker))
        assert journal.get(names[1], digest) is None
        assert journal.ignored == ignored
        resumed = checker.check_paths([clean, bad], journal=journal)
        journal.close()
        assert resumed == fresh
        assert resumed.filings[1].grade == "D"  # not the clean filing's A
    # the genuine entry is taken
    write_journal(path, checker, [{"file": names[1], "sha256": digest, "settings": key,
                                   "report": fresh.filings[1].model_dump(mode="json")}])
    journal = Journal(path, settings(checker))
    assert journal.get(names[1], digest) == fresh.filings[1] and journal.ignored == 0
    journal.close()


@pytest.mark.parametrize("content, place", [
    (None, "line 2: not a journal entry (nested deeper than any entry)"),
    (b"\xff\xfe not utf-8\n", "line 2: not UTF-8 text (byte"),
    (b"[1, 2]\n", "line 2: not a journal entry (a JSON list, not an object)"),
    (b"{\"file\": \n", "line 2: not a journal entry (not JSON"),
])
def test_a_journal_that_cannot_be_read_is_refused_with_file_and_line(
        checker: Checker, tmp_path: Path, content: bytes | None, place: str) -> None:
    path = tmp_path / "run.journal"
    header = json.dumps({"journal": FORMAT, "settings": settings(checker)}).encode()
    body = content if content is not None else b"[" * 100_000 + b"]" * 100_000 + b"\n"
    path.write_bytes(header + b"\n" + body + b"{}\n")
    before = path.read_bytes()
    with pytest.raises(JournalError) as info:
        Journal(path, settings(checker))
    assert str(info.value).startswith(f"{path}, {place}")
    assert path.read_bytes() == before  # left as it is
    if content is None:  # the command line says so and exits 2 (one case: each loads rules)
        code, out, err = run_cli("check", "--journal", str(path), "-j", "1", str(
            FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json"))
        assert code == 2 and out == ""
        assert f"{path}, {place}" in err and "Traceback" not in err
        assert path.read_bytes() == before


def test_a_journal_in_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "run.journal"
    code, out, err = run_cli("check", "--journal", str(path), "-j", "1",
                             str(FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json"))
    assert code == 2 and out == ""
    assert f"{path}: cannot write the journal: No such file or directory" in err
    assert not path.parent.exists()


def test_a_journal_line_cut_short_is_dropped_and_the_journal_goes_on(
        checker: Checker, tmp_path: Path) -> None:
    path = tmp_path / "run.journal"
    files = sorted((FIXTURES / "cn-eidm-annual").glob("0*.json"))[:3]
    journal = Journal(path, settings(checker))
    fresh = checker.check_paths(files, journal=journal)
    journal.close()
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:2]) + b"\n" + lines[2][:50])  # killed while writing
    journal = Journal(path, settings(checker))
    assert len(journal.done) == 1
    assert checker.check_paths(files, journal=journal) == fresh
    journal.close()
    again = Journal(path, settings(checker))  # every line whole: nothing refused
    assert len(again.done) == 3 and again.ignored == 0
    again.close()


# ---------------------------------------------------------------- byte-identical output


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Filings of every type and both formats, one that is not JSON, one nested
    too deep, one whose name is not UTF-8: every kind of entry."""
    folder = tmp_path_factory.mktemp("mixed")
    picks = ["cn-eidm-annual/02-listed-company-fine-boundary.json",
             "cn-eidm-annual/04-late-annual-report.xml",
             "cn-eidm-annual/09-observations-only.json",
             "cn-eidm-temporary/02-sixth-working-day-across-national-day.json",
             "green-finance/07-eu-hydropower-fails-criteria.xml",
             "eu-battery-cf/03-stages-do-not-add-up.json",
             "eu-battery-cf/12-catena-x-battery-pass.json"]
    for n, pick in enumerate(picks):
        shutil.copy(FIXTURES / pick, folder / f"{n:02d}-{Path(pick).name}")
    (folder / "20-broken.json").write_bytes(b'{"filing_type": ')
    (folder / "21-deep.json").write_bytes(deep_json(300))
    shutil.copy(FIXTURES / "cn-eidm-annual" / "11-missing-blocks.json",
                os.fsdecode(os.fsencode(folder) + b"/22-\xff.json"))
    return [folder]


def outputs(checker: Checker, report: Report) -> dict[str, str]:
    settled = checker.settle(report)
    return {fmt: renderer(fmt)(settled, RenderOptions(lang=lang, explain=True))
            for fmt in FORMATS for lang in ("en",)} | {
        f"{fmt}-zh": renderer(fmt)(settled, RenderOptions(lang="zh"))
        for fmt in ("text", "markdown")}


def runs(checker: Checker, paths: list[Path], journal_path: Path, jobs: int
         ) -> Iterator[tuple[str, Report]]:
    """An uninterrupted run; runs killed after each number of journalled
    filings (one of them part way through writing a line), then resumed; and a
    run with a complete journal."""
    yield "uninterrupted", checker.check_paths(paths, jobs=jobs)
    journal = Journal(journal_path, settings(checker))
    yield "journalled", checker.check_paths(paths, jobs=jobs, journal=journal)
    journal.close()
    whole = journal_path.read_bytes()
    lines = whole.split(b"\n")[:-1]
    for kept in (0, 1, 4, len(lines) - 2):
        cut = b"\n".join(lines[:1 + kept]) + b"\n" + (lines[1 + kept][:77] if kept == 4 else b"")
        journal_path.write_bytes(cut)
        journal = Journal(journal_path, settings(checker))
        assert len(journal.done) == kept
        yield f"killed after {kept}, resumed", checker.check_paths(paths, jobs=jobs,
                                                                   journal=journal)
        journal.close()
    journal = Journal(journal_path, settings(checker))
    assert len(journal.done) == len(lines) - 1
    yield "complete journal", checker.check_paths(paths, jobs=jobs, journal=journal)
    journal.close()


def test_every_output_is_byte_identical_however_the_report_was_reached(
        checker: Checker, mixed: list[Path], tmp_path: Path) -> None:
    reference = outputs(checker, checker.check_paths(mixed, jobs=1))
    report = json.loads(reference["json"])
    assert {f["status"] for f in report["filings"]} == {"checked", "unreadable", "not_assessed"}
    assert any(f["section_grades"] for f in report["filings"])
    for jobs in (1, 2):
        for how, result in runs(checker, mixed, tmp_path / f"j{jobs}.journal", jobs):
            got = outputs(checker, result)
            for fmt, text in reference.items():
                assert got[fmt] == text, f"{fmt}, --jobs {jobs}, {how}"


def test_section_grades_are_in_one_order_whatever_their_source(
        checker: Checker, tmp_path: Path) -> None:
    """The rule base's order of sections, which the HTML report shows them in,
    also for a report read back in another order (a journal written with its
    keys sorted, as esgcheck once wrote it; a database that orders them)."""
    path = tmp_path / "t.json"
    shutil.copy(TARGET_SOURCE, path)
    report = checker.check_paths([path]).filings[0]
    declared = [s.id for rb in checker.rulebases if rb.id == "cn-eidm" for s in rb.meta.sections]
    assert list(report.section_grades) == [s for s in declared if s in report.section_grades]
    assert list(report.section_grades) != sorted(report.section_grades)
    shuffled = dict(sorted(report.section_grades.items()))
    name = report.file
    journal = tmp_path / "run.journal"
    data = report.model_dump(mode="json") | {"section_grades": shuffled}
    write_journal(journal, checker, [{
        "file": name, "sha256": file_digest(path),
        "settings": settings_digest(settings(checker)), "report": data}])
    record = Journal(journal, settings(checker))
    assert next(iter(record.done.values())).section_grades == shuffled
    resumed = checker.check_paths([path], journal=record)
    record.close()
    assert resumed == checker.check_paths([path])
    assert list(resumed.filings[0].section_grades) == list(report.section_grades)
    sorted_summary = Report.model_validate(
        resumed.model_dump(mode="json") | {"summary": resumed.summary.model_dump(mode="json") | {
            "grades": {"Z": 1, "A": 2}}})
    assert list(sorted_summary.summary.grades) == ["A", "Z"]


def test_a_resumed_command_line_run_writes_the_same_bytes(tmp_path: Path) -> None:
    """The command line, in a process of its own: a run, the same run with its
    journal cut part way, and with the complete journal write the same files
    (without a journal and in one process: see the test above)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n, source in enumerate(sorted((FIXTURES / "cn-eidm-annual").glob("*.json"))[:8]):
        shutil.copy(source, inbox / f"{n}.json")
    journal = tmp_path / "run.journal"

    def run(*extra: str) -> dict[str, bytes]:
        out = tmp_path / "out"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        targets = [f"{fmt}={out / fmt}" for fmt in FORMATS]
        subprocess.run([sys.executable, "-c", "from esgcheck.cli import main; main()",
                        "check", "-j", "2", *[a for t in targets for a in ("-o", t)],
                        *extra, str(inbox)], cwd=tmp_path, check=False,
                       capture_output=True)
        return {fmt: (out / fmt).read_bytes() for fmt in FORMATS}

    plain = run("--journal", str(journal))
    lines = journal.read_bytes().split(b"\n")
    journal.write_bytes(b"\n".join(lines[:4]) + b"\n" + lines[4][:40])
    assert run("--journal", str(journal)) == plain
    assert run("--journal", str(journal)) == plain
