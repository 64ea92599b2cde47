"""The cache of compiled rule code (esgcheck.engine.expr.codecache.cached_compile):
a rule base's generated source is compiled once and read back on later runs,
and a cache that cannot be used costs only the compilation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from esgcheck.engine.expr.codecache import CACHE_ENV, cached_compile, code_cache

from .conftest import FIXTURES, ROOT

SOURCE = "def f0(x):\n    return x + 1\n"


def run(code: object) -> object:
    ns: dict[str, object] = {}
    exec(code, ns)  # type: ignore[arg-type]  # the test's own source
    return ns["f0"](41)  # type: ignore[operator]


def test_compiled_code_is_kept_and_read_back(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert code_cache() == tmp_path
    first = cached_compile(SOURCE, "<rules test>")
    entries = list(tmp_path.iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".bin"
    again = cached_compile(SOURCE, "<rules test>")
    assert again == first and run(again) == 42
    cached_compile(SOURCE.replace("1", "2"), "<rules test>")  # another source, another entry
    assert len(list(tmp_path.iterdir())) == 2


def test_a_damaged_entry_is_compiled_again(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    cached_compile(SOURCE, "<rules test>")
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(b"\xe3not marshal")
    assert run(cached_compile(SOURCE, "<rules test>")) == 42
    assert entry.read_bytes() != b"\xe3not marshal"  # written whole again


def test_a_cache_that_cannot_be_written_costs_nothing(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv(CACHE_ENV, str(blocked / "code"))
    assert run(cached_compile(SOURCE, "<rules test>")) == 42
    monkeypatch.setenv(CACHE_ENV, "off")
    assert code_cache() is None
    assert run(cached_compile(SOURCE, "<rules test>")) == 42


def test_a_check_with_a_warm_cache_gives_the_same_report(tmp_path: Path) -> None:
    """The same report from a run that compiles the rule bases and from one that
    reads them from the cache, and from one with the cache off."""
    sample = FIXTURES / "cn-eidm-annual" / "07-concentration-over-limit.json"
    out, entries = [], []
    for cache in (str(tmp_path), str(tmp_path), "off"):
        result = subprocess.run([sys.executable, "-m", "esgcheck", "check", "--format", "json",
                                 str(sample.relative_to(ROOT))], cwd=ROOT, capture_output=True,
                                env={**os.environ, CACHE_ENV: cache}, check=False)
        assert result.returncode == 1, result.stderr
        out.append(result.stdout)
        entries.append(sorted(tmp_path.glob("*.bin")))
    assert out[0] == out[1] == out[2]
    # the three rule bases' four filing types, and the traced code of the findings:
    # written by the first run, read by the second
    assert len(entries[0]) > 4 and entries[0] == entries[1] == entries[2]
