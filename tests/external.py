"""Schemas the tests need from outside the repository, fetched once and checked.

The JUnit schema is the Jenkins xunit plugin's ``junit-10.xsd`` (MIT licence),
as shipped in pytest's source distribution. It is not copied into the
repository: the first test that needs it downloads that distribution with pip,
takes the one file out, checks its SHA-256 and keeps it under
``.cache/external/``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "external"

PYTEST_SDIST = "pytest==8.3.4"
JUNIT_MEMBER = "pytest-8.3.4/testing/example_scripts/junit-10.xsd"
JUNIT_SHA256 = "a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6"


class ExternalError(RuntimeError):
    """An external file could not be fetched, or is not the one recorded."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download_sdist(requirement: str, folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               requirement, "-d", str(folder)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExternalError(f"could not run {' '.join(command)}: {exc}") from exc
    archives = sorted(folder.glob("*.tar.gz"))
    if done.returncode != 0 or not archives:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise ExternalError(f"{' '.join(command)} failed (exit {done.returncode}); "
                            f"the JUnit schema comes from that download:\n{tail}")
    return archives[0]


def _member(archive: Path, name: str) -> bytes:
    try:
        with tarfile.open(archive) as tar:
            handle = tar.extractfile(name)
            if handle is None:
                raise ExternalError(f"{name} in {archive.name} is not a file")
            return handle.read()
    except (KeyError, tarfile.TarError) as exc:
        raise ExternalError(f"cannot take {name} out of {archive.name}: {exc}") from exc


def junit_xsd() -> Path:
    """The path of ``junit-10.xsd``, fetched and checked on first use."""
    target = CACHE / "junit-10.xsd"
    if target.is_file() and _sha256(target.read_bytes()) == JUNIT_SHA256:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        data = _member(_download_sdist(PYTEST_SDIST, Path(tmp)), JUNIT_MEMBER)
    digest = _sha256(data)
    if digest != JUNIT_SHA256:
        raise ExternalError(f"{JUNIT_MEMBER} has SHA-256 {digest}, expected {JUNIT_SHA256}")
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(target)
    return target
