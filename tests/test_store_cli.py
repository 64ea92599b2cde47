"""`esgcheck check --store` and `esgcheck results`, as a certification body uses
them: runs into SQLite and PostgreSQL, a client killed at random moments and
run again, the questions asked afterwards, and the faults that stop a run
before it starts."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from esgcheck.cli import main
from esgcheck.filings.paths import display_name
from esgcheck.store import open_store
from esgcheck.store.schema import findings, reports, run_filings

from .conftest import FIXTURES, ROOT
from .pg import new_postgres_db, postgres  # noqa: F401  # fixtures used by name

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # the benchmark's filing generator

ESGCHECK = str(Path(sys.executable).parent / "esgcheck")


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inbox")
    for n, data in enumerate(generate(60, seed=11)):
        (folder / f"filing-{n:04d}.json").write_bytes(data)
    return folder


def stored(url: str, run: int | None = None) -> list[tuple[str, str | None, tuple[str, ...]]]:
    """A run's filings as (file, grade, sorted fingerprints of its findings)."""
    store = open_store(url)
    try:
        run_id = store.run_id(run)
        return [(f.file, f.grade, tuple(sorted(x.fingerprint for x in f.findings)))
                for _, f in store.iter_filings(run_id)]
    finally:
        store.engine.dispose()


def test_a_run_into_the_store_and_the_questions_asked_of_it(tmp_path: Path) -> None:
    db = str(tmp_path / "results.db")
    annual = str(FIXTURES / "cn-eidm-annual")
    code, out, _ = cli("check", "--store", db, "--label", "Q4", "--quiet", annual)
    assert code == 1 and "rules failed most" in out and "Q4" in out
    code, out, _ = cli("check", "--store", db, "--quiet", "--format", "json", annual)
    second = json.loads(out)
    assert second["run"]["id"] == 2 and second["files"] == second["checked"]
    assert set(second["counts"]) >= {"critical", "major", "minor", "info", "not_assessable"}
    code, out, _ = cli("results", "summary", "--store", db, "--format", "json")
    assert code == 0 and json.loads(out)["grades"] == second["grades"]
    code, out, _ = cli("results", "failed", "--store", db, "--rule", "cn-eidm-pmt-003")
    assert "07-concentration-over-limit.json" in out
    name = display_name(FIXTURES / "cn-eidm-annual" / "07-concentration-over-limit.json",
                        Path.cwd())  # as the run reported it
    code, out, _ = cli("results", "show", name, "--store", db, "--format", "sarif")
    sarif = json.loads(out)
    assert sarif["runs"][0]["results"] and code == 0
    code, out, _ = cli("results", "diff", "--store", db, "--from", "1", "--to", "2",
                       "--format", "json")
    diff = json.loads(out)
    assert diff["new"] == [] and diff["fixed"] == [] and diff["unchanged"]
    code, out, _ = cli("results", "export", "--store", db)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["rule_id"] for r in rows} >= {"CN-EIDM-PMT-003"}
    parquet = tmp_path / "findings.parquet"
    assert cli("results", "export", "--store", db, "--format", "parquet", "-o",
               str(parquet))[0] == 0
    import pyarrow.parquet as pq

    assert pq.read_table(parquet).num_rows == len(rows)
    code, _, err = cli("results", "show", "no/such.json", "--store", db)
    assert code == 2 and "no filing" in err


def test_the_same_run_on_postgresql(new_postgres_db: Callable[[], str],  # noqa: F811
                                    tmp_path: Path) -> None:
    url = new_postgres_db()
    folder = str(FIXTURES / "cn-eidm-temporary")
    assert cli("check", "--store", url, "--quiet", folder)[0] == 1
    db = str(tmp_path / "results.db")
    assert cli("check", "--store", db, "--quiet", folder)[0] == 1
    assert stored(url) == stored(db)


@pytest.fixture(scope="module")
def clean(inbox: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The inbox checked into a store by a run nobody stopped."""
    db = str(tmp_path_factory.mktemp("clean") / "clean.db")
    assert cli("check", "--store", db, "--quiet", "--jobs", "1", str(inbox))[0] in (0, 1)
    return db


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_client_killed_at_any_moment_loses_nothing_it_stored(
        seed: int, inbox: Path, clean: str, tmp_path: Path) -> None:
    db = str(tmp_path / "results.db")
    rng = random.Random(seed)
    for _ in range(2):
        proc = subprocess.Popen([ESGCHECK, "check", "--store", db, "--quiet", "--jobs", "1",
                                 str(inbox)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run([ESGCHECK, "check", "--store", db, "--quiet", "--jobs", "1",
                           str(inbox)], capture_output=True)
    assert done.returncode in (0, 1), done.stderr
    assert stored(db) == stored(clean)
    store = open_store(db)
    with store.engine.connect() as c:  # every report once, every finding once
        assert c.execute(select(func.count()).select_from(reports)).scalar() == 60
        per_report = c.execute(select(findings.c.report_id, findings.c.ordinal,
                                      func.count()).group_by(findings.c.report_id,
                                                             findings.c.ordinal)
                               .having(func.count() > 1)).all()
        assert per_report == []
        latest = store.run_id()
        assert c.execute(select(func.count()).select_from(run_filings).where(
            run_filings.c.run_id == latest)).scalar() == 60


def test_sigterm_keeps_what_was_stored_and_marks_the_run(inbox: Path, clean: str,
                                                         tmp_path: Path) -> None:
    """SIGTERM (docker stop, systemd, a batch scheduler) is an interrupt: the
    run ends with 143, keeps what it stored, is marked interrupted, and the
    same command then completes it as a clean run would have."""
    db = tmp_path / "results.db"
    proc = subprocess.Popen([ESGCHECK, "check", "--store", str(db), "--quiet", "--jobs", "1",
                             str(inbox)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _stored_count(db):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert [r.status for r in open_store(str(db)).runs()] == ["interrupted"]
    done = subprocess.run([ESGCHECK, "check", "--store", str(db), "--quiet", "--jobs", "1",
                           str(inbox)], capture_output=True)
    assert done.returncode in (0, 1), done.stderr
    assert stored(str(db)) == stored(clean)


def _stored_count(db: Path) -> int:
    """Reports in a store being written, 0 while it has no tables yet."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as c:
            return int(c.execute("SELECT count(*) FROM reports").fetchone()[0])
    except sqlite3.Error:
        return 0


def _file_size_limit(limit: int) -> Callable[[], None]:
    """A child process whose files cannot grow past ``limit`` bytes, as on a
    full disk: a write past it fails with EFBIG instead of killing it."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_stops_the_run_and_keeps_what_was_stored(inbox: Path, clean: str,
                                                            tmp_path: Path) -> None:
    """The disk fills during a run: exit 2 with a message saying what to do,
    the store still opens with every earlier run as it was, and once there is
    room the same command completes the run."""
    db = tmp_path / "results.db"
    first = sorted(inbox.iterdir())[:5]
    small = tmp_path / "small"
    small.mkdir()
    for path in first:
        (small / path.name).write_bytes(path.read_bytes())
    assert cli("check", "--store", str(db), "--quiet", "--jobs", "1", str(small))[0] in (0, 1)
    before = stored(str(db))
    room = db.stat().st_size + 48 * 1024
    full = subprocess.run([ESGCHECK, "check", "--store", str(db), "--quiet", "--jobs", "1",
                           str(inbox)], capture_output=True, text=True,
                          preexec_fn=_file_size_limit(room))
    assert full.returncode == 2, full.stderr
    assert "disk is full or the store cannot be written" in full.stderr
    assert "磁盘已满" in full.stderr and "Traceback" not in full.stderr
    check = subprocess.run([sys.executable, "-c", "import sqlite3, sys; print(sqlite3.connect("
                            "sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
                            str(db)], capture_output=True, text=True)
    assert check.stdout.strip() == "ok", check
    assert stored(str(db), 1) == before
    done = subprocess.run([ESGCHECK, "check", "--store", str(db), "--quiet", "--jobs", "1",
                           str(inbox)], capture_output=True)
    assert done.returncode in (0, 1), done.stderr
    assert stored(str(db)) == stored(clean)


def test_two_runs_into_one_store_at_once_both_complete(inbox: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "results.db")
    runs = [subprocess.Popen([ESGCHECK, "check", "--store", db, "--quiet", "--jobs", "1",
                              str(inbox)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(2)]
    for proc in runs:
        assert proc.wait() in (0, 1), proc.stderr.read() if proc.stderr else ""
    store = open_store(db)
    assert [r.status for r in store.runs()] == ["complete", "complete"]
    assert stored(db, 1) == stored(db, 2)


def test_a_store_that_cannot_be_used_stops_the_run_before_anything_is_checked(
        tmp_path: Path) -> None:
    annual = str(FIXTURES / "cn-eidm-annual")
    code, out, err = cli("check", "--store", "postgresql://nobody@127.0.0.1:1/x", annual)
    assert code == 2 and "cannot open store" in err and out == ""
    code, _, err = cli("check", "--store", str(tmp_path / "no" / "dir.db"), annual)
    assert code == 2 and "does not exist" in err
    db = str(tmp_path / "results.db")
    open_store(db)
    with open_store(db).engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = 'zzzz'"))
    code, _, err = cli("check", "--store", db, annual)
    assert code == 2 and "newer esgcheck" in err


def test_a_cluster_that_does_not_answer_stops_the_run(tmp_path: Path) -> None:
    code, _, err = cli("check", "--cluster", "tcp://127.0.0.1:1", "--store",
                       str(tmp_path / "r.db"), str(FIXTURES / "cn-eidm-annual"))
    assert code == 2 and "does not answer" in err


def test_a_local_cluster_gives_the_same_store_as_worker_processes(
        inbox: Path, clean: str, tmp_path: Path) -> None:
    b = str(tmp_path / "b.db")
    code, _, err = cli("check", "--store", b, "--quiet", "--cluster", "local:2", str(inbox))
    assert code in (0, 1), err
    assert stored(clean) == stored(b)


def test_progress_goes_to_stderr_and_leaves_the_report_alone(tmp_path: Path) -> None:
    folder = str(FIXTURES / "cn-eidm-temporary")
    quiet = subprocess.run([ESGCHECK, "check", "--store", str(tmp_path / "a.db"), "--quiet",
                            "--format", "json", folder], capture_output=True, env={
                                **os.environ, "COLUMNS": "100"})
    loud = subprocess.run([ESGCHECK, "check", "--store", str(tmp_path / "b.db"),
                           "--format", "json", folder], capture_output=True)
    assert quiet.stderr == b"" and b"files" in loud.stderr
    strip = {"run", }
    assert ({k: v for k, v in json.loads(quiet.stdout).items() if k not in strip}
            == {k: v for k, v in json.loads(loud.stdout).items() if k not in strip})
