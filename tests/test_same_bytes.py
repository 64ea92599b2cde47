"""The same input gives the same bytes in every full-report format, whether
checked in one process, with workers, resumed from a journal, or read back
from a results store (first run and a run that finds every filing stored)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from esgcheck.cli import main

from .conftest import FIXTURES

FORMATS = ("sarif", "junit", "markdown", "html")


def run(tmp: Path, *args: str) -> dict[str, bytes]:
    out = tmp / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    targets = [a for fmt in FORMATS for a in ("-o", f"{fmt}={out / fmt}")]
    result = CliRunner().invoke(main, ["check", "--lang", "en", "--today", "2026-12-01",
                                       "--quiet", *targets, *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    return {fmt: (out / fmt).read_bytes() for fmt in FORMATS}


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    for n, source in enumerate(sorted((FIXTURES / "cn-eidm-annual").glob("*.json"))[:6]
                               + sorted((FIXTURES / "green-finance").glob("*.xml"))[:2]):
        shutil.copy(source, folder / f"{n:02d}-{source.name}")
    return folder


def test_a_store_gives_the_bytes_of_a_plain_run(inbox: Path, tmp_path: Path) -> None:
    plain = run(tmp_path, "-j", "1", str(inbox))
    assert run(tmp_path, "-j", "2", str(inbox)) == plain
    store = f"{tmp_path / 'results.db'}"
    assert run(tmp_path, "--store", store, str(inbox)) == plain
    assert run(tmp_path, "--store", store, str(inbox)) == plain  # every filing stored


def test_a_journal_resumed_with_waivers_gives_the_same_bytes(inbox: Path, tmp_path: Path
                                                            ) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: CN-EIDM-ANN-002\n    filings_glob: 'inbox/*'\n"
                       "    justification: Late filing accepted in writing.\n"
                       "    approver: Li Wei\n    expires: 2027-01-31\n", encoding="utf-8")
    plain = run(tmp_path, "--waivers", str(waivers), str(inbox))
    journal = tmp_path / "run.journal"
    assert run(tmp_path, "-j", "2", "--journal", str(journal), "--waivers", str(waivers),
               str(inbox)) == plain
    lines = journal.read_bytes().split(b"\n")
    journal.write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][:50])  # killed mid-line
    assert run(tmp_path, "-j", "2", "--journal", str(journal), "--waivers", str(waivers),
               str(inbox)) == plain
