"""A waiver or an output never touches another filing: waivers name filings
literally unless a pattern is written on purpose; outputs never overwrite an
input, appear whole or not at all, and an interrupted run leaves nothing
half-written."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esgcheck.checker import Checker
from esgcheck.cli import main
from esgcheck.waivers import WaiverError, parse_waivers, waiver_yaml

from .conftest import ROOT

LATE = ROOT / "fixtures" / "cn-eidm-annual" / "04-late-annual-report.json"
WAIVE = ["--justification", "Late filing accepted by the bureau in writing.",
         "--approver", "Li Wei", "--expires", "2030-01-31"]


pytestmark = pytest.mark.usefixtures("one_checker")


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


def plain(text: str) -> str:
    """Report text with markdown's backslash escapes and HTML's quote entity undone."""
    return re.sub(r"\\(.)", r"\1", text).replace("&#x27;", "'")


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
        assert says in plain(out), fmt
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
        assert "taken literally" in plain(out) and "filings_glob" in plain(out), fmt


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


# ---------------------------------------------------------------- outputs never overwrite inputs


@pytest.fixture()
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(LATE, folder / "late.json")
    (tmp_path / "link.json").symlink_to(folder / "late.json")
    (tmp_path / "hard.json").hardlink_to(folder / "late.json")
    return folder


@pytest.mark.parametrize("target", ["in/late.json", "link.json", "hard.json"])
@pytest.mark.parametrize("option", ["--output", "--output=html", "--journal"])
def test_an_output_over_an_input_is_refused_and_nothing_is_written(
        inputs: Path, target: str, option: str) -> None:
    before = (inputs / "late.json").read_bytes()
    value = f"{option.split('=')[1]}={target}" if "=" in option else target
    code, out, err = run("check", "in", option.split("=")[0], value,
                         "--output", "sarif=other.sarif")
    assert code == 2 and out == ""
    assert "refused / 拒绝写入" in err and "never overwrites an input" in err
    assert (inputs / "late.json").read_bytes() == before
    assert not Path("other.sarif").exists()


def test_the_files_given_with_the_options_are_inputs_too(inputs: Path) -> None:
    Path("w.yaml").write_text("waivers:\n  - rule: CN-EIDM-ANN-002\n    filings: x\n"
                              "    justification: Accepted in writing.\n    approver: A\n"
                              "    expires: 2030-01-01\n", encoding="utf-8")
    before = Path("w.yaml").read_bytes()
    code, _, err = run("check", "in/late.json", "--waivers", "w.yaml", "-o", "json=w.yaml")
    assert code == 2 and "is the input w.yaml" in err
    assert Path("w.yaml").read_bytes() == before


def test_render_baseline_and_waive_refuse_to_write_over_their_input(inputs: Path) -> None:
    _, out, _ = run("check", "--format", "json", "in/late.json")
    Path("report.json").write_text(out, encoding="utf-8")
    assert run("render", "report.json", "-o", "report.json")[0] == 2
    assert Path("report.json").read_text(encoding="utf-8") == out
    before = (inputs / "late.json").read_bytes()
    assert run("baseline", "create", "in/late.json", "-o", "hard.json")[0] == 2
    assert run("waive", "in/late.json", "CN-EIDM-ANN-002", *WAIVE, "--append", "link.json"
               )[0] == 2
    assert (inputs / "late.json").read_bytes() == before


def test_a_journal_that_is_not_a_journal_is_left_alone(inputs: Path) -> None:
    Path("notes.txt").write_text("my notes\n", encoding="utf-8")
    code, _, err = run("check", "in", "--journal", "notes.txt")
    assert code == 2 and "not an esgcheck journal" in err
    assert Path("notes.txt").read_text(encoding="utf-8") == "my notes\n"
    first = run("check", "in", "--journal", "run.journal")
    assert first[0] == 1
    assert run("check", "in", "--journal", "run.journal") == first  # its own journal: fine


def test_a_new_output_file_is_written(inputs: Path) -> None:
    code, _, err = run("check", "in", "-o", "json=report.json")
    assert code == 1, err
    assert json.loads(Path("report.json").read_text())["filings"][0]["grade"] == "C"


# ---------------------------------------------------------------- whole or not at all


class _FullDisk:
    """A file object that takes half of what is written, then fails as a full
    disk does."""

    def __init__(self, handle: object) -> None:
        self.handle = handle

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()  # type: ignore[attr-defined]

    def write(self, data: bytes) -> int:
        self.handle.write(data[:len(data) // 2])  # type: ignore[attr-defined]
        self.handle.flush()  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _no_leftovers(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith((".part", ".old"))]


@pytest.mark.parametrize("fmt", ["html", "json", "sarif", "junit", "markdown", "text"])
def test_a_full_disk_leaves_the_old_output_as_it_was(
        inputs: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    import esgcheck.outputs

    Path("report.out").write_text("the report of yesterday\n", encoding="utf-8")
    real = os.fdopen
    monkeypatch.setattr(esgcheck.outputs.os, "fdopen",
                        lambda fd, mode: _FullDisk(real(fd, mode)))
    code, _, err = run("check", "in", "--output", f"{fmt}=report.out",
                       "--output", f"{fmt}=new.out")
    assert code == 2 and "No space left on device" in err
    assert Path("report.out").read_text(encoding="utf-8") == "the report of yesterday\n"
    assert not Path("new.out").exists()
    _no_leftovers(Path.cwd())


def test_a_full_disk_leaves_no_evidence_bundle_or_the_old_one_whole(
        inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run("check", "in", "--evidence", "bundle")
    assert code == 1, err
    old = {p.name: p.read_bytes() for p in Path("bundle").iterdir()}
    real = Path.write_bytes

    def fails_on_html(self: Path, data: bytes) -> int:
        if self.name == "report.html":
            real(self, data[:100])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", fails_on_html)
    for folder in ("bundle", "new-bundle"):
        code, _, err = run("check", "in", "--explain", "--evidence", folder)
        assert code == 2 and "cannot write the evidence bundle" in err
    assert {p.name: p.read_bytes() for p in Path("bundle").iterdir()} == old
    assert not Path("new-bundle").exists()
    _no_leftovers(Path.cwd())


def test_an_evidence_folder_holding_other_files_is_not_replaced(inputs: Path) -> None:
    Path("mine").mkdir()
    Path("mine", "thesis.docx").write_text("keep me", encoding="utf-8")
    code, _, err = run("check", "in", "--evidence", "mine")
    assert code == 2 and "not an evidence bundle's" in err
    assert [p.name for p in Path("mine").iterdir()] == ["thesis.docx"]


def test_an_evidence_bundle_replaces_an_earlier_one(inputs: Path) -> None:
    assert run("check", "in", "--evidence", "bundle")[0] == 1
    first = {p.name: p.read_bytes() for p in Path("bundle").iterdir()}
    assert run("check", "in", "--evidence", "bundle")[0] == 1
    assert {p.name: p.read_bytes() for p in Path("bundle").iterdir()} == first
    _no_leftovers(Path.cwd())


def test_waive_append_and_baseline_create_write_whole_or_not_at_all(
        inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import esgcheck.outputs

    assert run("waive", "in/late.json", "CN-EIDM-ANN-002", *WAIVE, "--append", "w.yaml")[0] == 0
    assert run("baseline", "create", "in", "-o", "base.json")[0] == 0
    before = Path("w.yaml").read_bytes(), Path("base.json").read_bytes()
    real = os.fdopen
    monkeypatch.setattr(esgcheck.outputs.os, "fdopen",
                        lambda fd, mode: _FullDisk(real(fd, mode)))
    assert run("waive", "in/late.json", "CN-EIDM-ANN-002", *WAIVE, "--path", "/x",
               "--append", "w.yaml")[0] == 2
    assert run("baseline", "create", "in", "-o", "base.json")[0] == 2
    assert (Path("w.yaml").read_bytes(), Path("base.json").read_bytes()) == before
    _no_leftovers(Path.cwd())


def test_an_output_through_a_link_or_to_a_device_is_written_where_it_leads(
        inputs: Path) -> None:
    Path("reports").mkdir()
    Path("latest.json").symlink_to(Path("reports") / "r.json")
    assert run("check", "in", "-o", "json=latest.json")[0] == 1
    assert Path("latest.json").is_symlink()
    assert json.loads(Path("reports", "r.json").read_text())["filings"]
    assert run("check", "in", "-o", "json=/dev/null")[0] == 1
    assert Path("/dev/null").is_char_device()


def _esgcheck(*args: str, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "esgcheck", *args], stdout=kw.pop(
        "stdout", subprocess.PIPE), stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]


def test_standard_output_on_a_full_device_is_a_message_and_exit_2() -> None:
    with open("/dev/full", "wb") as full:
        proc = _esgcheck("check", str(LATE), stdout=full)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert b"Traceback" not in err and b"No space left on device" in err


# ---------------------------------------------------------------- interrupts


def test_an_interrupt_ends_with_130_and_writes_nothing(
        inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Checker, "check_paths", interrupted)
    code, out, err = run("check", "in", "-o", "html=r.html", "--evidence", "ev")
    assert code == 130 and out == ""
    assert "interrupted" in err and "已中断" in err
    assert not Path("r.html").exists() and not Path("ev").exists()


def test_an_interrupt_while_writing_leaves_the_old_output(
        inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import esgcheck.outputs

    Path("r.html").write_text("old", encoding="utf-8")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(esgcheck.outputs.os, "fsync", interrupted)
    code, _, _ = run("check", "in", "-o", "html=r.html", "--evidence", "ev")
    assert code == 130
    assert Path("r.html").read_text(encoding="utf-8") == "old" and not Path("ev").exists()
    _no_leftovers(Path.cwd())


def test_sigint_ends_a_real_run_with_130(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(3000):
        (folder / f"{n:04}.json").write_bytes(LATE.read_bytes())
    journal = tmp_path / "run.journal"
    proc = _esgcheck("check", str(folder), "--jobs", "1", "-o", f"html={tmp_path / 'r.html'}",
                     "--journal", str(journal), cwd=ROOT)
    # interrupted once checking has begun (its first filing journalled), however
    # long a loaded machine takes to start it
    deadline = time.monotonic() + 120
    while not (journal.exists() and journal.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert b"interrupted" in err and b"Traceback" not in err
    assert not (tmp_path / "r.html").exists()
    _no_leftovers(tmp_path)


def test_an_interrupt_while_starting_is_130_and_one_line() -> None:
    """Ctrl-C while the command line is still being imported: the same exit
    code, no traceback. The interrupt is raised by the import of the rule
    engine, where a slow start spends its time."""
    code = """
        import builtins, sys
        real = builtins.__import__
        def slow(name, *args, **kw):
            if name.startswith("esgcheck.engine"):
                raise KeyboardInterrupt
            return real(name, *args, **kw)
        builtins.__import__ = slow
        sys.argv = ["esgcheck", "check", "x.json"]
        from esgcheck.__main__ import run
        run()
    """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert b"interrupted" in proc.stderr and b"Traceback" not in proc.stderr
