"""The Dockerfile: read always; built and run where a container runtime answers.

The build needs a Docker daemon (``docker info`` succeeds) and the package
index; where there is none, the build test is skipped with what ``docker
info`` said.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
FIXTURES = ROOT / "fixtures"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_the_image_is_slim_runs_as_a_user_and_starts_esgcheck() -> None:
    steps = _instructions()
    base = [args for word, args in steps if word == "FROM"]
    assert len(base) == 1 and re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", base[0]), base
    users = [(i, args) for i, (word, args) in enumerate(steps) if word == "USER"]
    assert users and users[-1][1] not in ("root", "0"), users
    entry = [i for i, (word, args) in enumerate(steps)
             if word == "ENTRYPOINT" and args == '["esgcheck"]']
    assert entry and users[-1][0] < entry[-1]  # the entry point runs as that user
    # Only the package's own files are copied in; the rule bases come with it.
    copied = " ".join(args for word, args in steps if word in ("COPY", "ADD"))
    assert "esgcheck" in copied and "fixtures" not in copied
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "tests", "fixtures"} <= set(ignored)


def test_the_package_data_holds_every_rule_base() -> None:
    """The image installs the package only: every rule-base file must be package data."""
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["esgcheck"]
    assert "rules/**/*" in patterns and "schemas/*.json" in patterns


def _daemon() -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker client on PATH")
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        said = (info.stderr.strip() or info.stdout.strip()).splitlines()
        pytest.skip("no usable container runtime: docker info: "
                    + (said[-1] if said else f"exit {info.returncode}"))


def test_the_image_builds_and_checks_a_folder(tmp_path: Path) -> None:
    _daemon()
    tag = f"esgcheck-test:{uuid.uuid4().hex[:12]}"
    build = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True,
                           text=True, timeout=1800)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    try:
        filings = tmp_path / "filings"
        filings.mkdir()
        tmp_path.chmod(0o755)
        filings.chmod(0o755)
        for name in ("01-compliant-key-discharger.json", "07-concentration-over-limit.json"):
            target = filings / name
            shutil.copy(FIXTURES / "cn-eidm-annual" / name, target)
            target.chmod(0o644)

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(["docker", "run", "--rm", "-v", f"{tmp_path}:/work", tag,
                                   *args], capture_output=True, text=True, timeout=600)

        # The README's line: a folder, exit 1 for the breach in one of its filings.
        folder = run("check", "--lang", "en", "/work/filings")
        assert folder.returncode == 1, folder.stdout + folder.stderr
        assert "CN-EIDM-PMT-003" in folder.stdout
        assert "2 files: 2 checked" in folder.stdout
        one = run("check", "/work/filings/01-compliant-key-discharger.json")
        assert one.returncode == 0, one.stdout + one.stderr
        listed = run("rules", "list")
        assert listed.returncode == 0
        for rule in ("CN-EIDM-PMT-003", "BATT-CF-014", "GC-EU-045"):
            assert rule in listed.stdout
        whoami = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"],
                                capture_output=True, text=True, timeout=120)
        assert whoami.returncode == 0 and whoami.stdout.strip() != "0"
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=300)
