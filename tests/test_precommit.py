"""The pre-commit hook repository (.pre-commit-hooks.yaml), run by pre-commit itself.

``pre-commit try-repo`` clones this repository at its HEAD (``--ref``: without
it, try-repo adds the uncommitted changes to tracked files but not new files,
a mixture that may not even import; so commit before running this), installs
esgcheck into a fresh virtual environment (about a minute, from the package
index) and runs the hook on a temporary git
repository holding bundled samples. The rule-base hook takes its rule base
from ``args:``, which try-repo cannot give, so it runs from a configuration
that copies the manifest's hook as a ``repo: local`` hook on the esgcheck
installed here (``language: system``): pre-commit's own runner, the
manifest's entry, ``files`` and ``pass_filenames``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
ANNUAL = ROOT / "fixtures" / "cn-eidm-annual"
PASSING = ANNUAL / "01-compliant-key-discharger.json"  # grade A
FAILING = ANNUAL / "07-concentration-over-limit.json"  # critical breach, grade D
DEMO = ROOT / "tests" / "rulebases" / "demo"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")


def _env(home: Path) -> dict[str, str]:
    """This interpreter's scripts first on PATH, pre-commit's store in tmp, no colour."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PRE_COMMIT_HOME"] = str(home)
    env["PRE_COMMIT_COLOR"] = "never"
    env["NO_COLOR"] = "1"
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    return env


def _git_repo(path: Path, env: dict[str, str]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    for args in (["init", "-q"], ["config", "user.email", "t@example.org"],
                 ["config", "user.name", "t"], ["config", "commit.gpgsign", "false"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True)


def _stage(path: Path, env: dict[str, str]) -> None:
    subprocess.run(["git", "add", "-A"], cwd=path, env=env, check=True)


def _pre_commit(args: list[str], cwd: Path, env: dict[str, str],
                timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _head() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()


def _manifest() -> dict[str, dict[str, Any]]:
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in hooks}


def test_the_manifest_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest  # pre-commit's own schema

    hooks = {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}
    assert set(hooks) == {"esgcheck", "esgcheck-rules"}
    filings = hooks["esgcheck"]
    assert filings["entry"] == "esgcheck check"
    assert filings["pass_filenames"] is True
    assert set(filings["types_or"]) == {"json", "xml"}
    assert hooks["esgcheck-rules"]["pass_filenames"] is False


def test_try_repo_fails_a_failing_filing_and_passes_a_passing_one(tmp_path: Path) -> None:
    env = _env(tmp_path / "pre-commit-home")
    work = tmp_path / "filings"
    _git_repo(work, env)
    shutil.copy(PASSING, work / "passing.json")
    shutil.copy(FAILING, work / "failing.json")
    (work / "failing.xml").write_bytes(FAILING.with_suffix(".xml").read_bytes())
    _stage(work, env)

    head = _head()
    failed = _pre_commit(["try-repo", str(ROOT), "esgcheck", "--ref", head,
                          "--files", "failing.json", "failing.xml", "--verbose"], work, env)
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1, out
    assert "esgcheck (filings)" in out and "Failed" in out, out
    assert "CN-EIDM-PMT-003" in out, out  # esgcheck's own report reaches the user
    assert "failing.xml" in out and "failing.json" in out, out

    passed = _pre_commit(["try-repo", str(ROOT), "esgcheck", "--ref", head,
                          "--files", "passing.json"],
                         work, env)
    out = passed.stdout + passed.stderr
    assert passed.returncode == 0, out
    assert "esgcheck (filings)" in out and "Passed" in out, out


def _local_config(work: Path, hook_id: str, args: list[str]) -> None:
    """The manifest's hook as a local hook on this installation's esgcheck."""
    hook = dict(_manifest()[hook_id])
    hook.pop("minimum_pre_commit_version", None)
    hook["language"] = "system"
    hook["args"] = args
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def test_the_filings_hook_takes_only_json_and_xml_and_the_options_in_args(
        tmp_path: Path) -> None:
    env = _env(tmp_path / "pre-commit-home")
    work = tmp_path / "repo"
    _git_repo(work, env)
    (work / "filings").mkdir()
    shutil.copy(PASSING, work / "filings" / "a.json")
    shutil.copy(FAILING, work / "filings" / "d.json")
    (work / "notes.txt").write_text("not a filing\n", encoding="utf-8")
    _local_config(work, "esgcheck", ["--lang", "en"])
    _stage(work, env)

    run = _pre_commit(["run", "--files", "filings/a.json", "notes.txt", "--verbose"], work, env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "notes.txt" not in run.stdout  # not a JSON or XML file: not given to esgcheck
    assert "filings/a.json" in run.stdout
    run = _pre_commit(["run", "--all-files", "--verbose"], work, env)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Concentration within its limit" in run.stdout  # --lang en from args
    _local_config(work, "esgcheck", ["--fail-on", "never"])
    _stage(work, env)
    run = _pre_commit(["run", "--all-files"], work, env)
    assert run.returncode == 0, run.stdout + run.stderr  # args reach esgcheck check


def test_the_rules_hook_lints_and_tests_the_rule_base_named_in_args(tmp_path: Path) -> None:
    env = _env(tmp_path / "pre-commit-home")
    work = tmp_path / "repo"
    _git_repo(work, env)
    shutil.copytree(DEMO, work / "rules" / "demo")
    _local_config(work, "esgcheck-rules", ["--rules", "rules/demo"])
    _stage(work, env)

    run = _pre_commit(["run", "--all-files", "--verbose"], work, env)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "9 rules" in out and "9 of 9 rules pass their cases" in out, out

    rule_file = work / "rules" / "demo" / "rules" / "battery.yaml"
    good = rule_file.read_text(encoding="utf-8")
    # A condition turned round: the rule base still loads, its test cases fail.
    rule_file.write_text(good.replace("assert: footprint <=", "assert: footprint >", 1),
                         encoding="utf-8")
    _stage(work, env)
    run = _pre_commit(["run", "--files", "rules/demo/rules/battery.yaml", "--verbose"],
                      work, env)
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    assert "DEMO-BAT-001" in out, out

    # A field that does not exist: lint fails, and the tests are not run.
    rule_file.write_text(good.replace("assert: footprint <=", "assert: footprints <=", 1),
                         encoding="utf-8")
    _stage(work, env)
    run = _pre_commit(["run", "--all-files", "--verbose"], work, env)
    out = run.stdout + run.stderr
    assert run.returncode == 1 and "exit code: 2" in out, out  # esgcheck's 2: does not load
    assert "footprints" in out and "battery.yaml" in out, out
    assert "pass their cases" not in out, out

    # A change elsewhere (a README) does not run the hook.
    rule_file.write_text(good, encoding="utf-8")
    (work / "README.md").write_text("notes\n", encoding="utf-8")
    _stage(work, env)
    run = _pre_commit(["run", "--files", "README.md"], work, env)
    assert run.returncode == 0 and "no files to check" in run.stdout.lower(), run.stdout
