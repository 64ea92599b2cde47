"""The cache on disk (esgcheck.diskcache): a changed input misses, a damaged
entry is ignored, a folder that cannot be written costs nothing but the
building, and a value comes back as it was stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from esgcheck import diskcache

RULES = Path(__file__).resolve().parent.parent / "esgcheck" / "rules" / "cn-eidm"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(diskcache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_value_comes_back_as_stored(cache_dir: Path) -> None:
    code = compile("x = 1 + 2\n", "<rules test>", "exec")
    value = {"code": code, "names": ("k1", "k2"), "lines": [1, 2, None], "n": 2.5}
    entry = diskcache.key("test", "a")
    assert diskcache.load("rulebases", entry) is None  # nothing stored yet
    assert diskcache.store("rulebases", entry, value)
    assert diskcache.load("rulebases", entry) == value
    assert (cache_dir / "rulebases" / f"{entry}.bin").is_file()


def test_a_changed_rule_file_misses(cache_dir: Path, tmp_path: Path) -> None:
    rules = shutil.copytree(RULES, tmp_path / "cn-eidm")
    before = diskcache.key(diskcache.tree_digest(rules) or "")
    diskcache.store("rulebases", before, "built from the first rules")
    rule_file = next(iter(sorted((rules / "rules").glob("*.yaml"))))
    rule_file.write_bytes(rule_file.read_bytes() + b"\n# one comment more\n")
    after = diskcache.key(diskcache.tree_digest(rules) or "")
    assert after != before
    assert diskcache.load("rulebases", after) is None
    # a file added, or renamed, changes the digest too
    digest = diskcache.tree_digest(rules)
    (rules / "rules" / "extra.txt").write_text("x", encoding="utf-8")
    assert diskcache.tree_digest(rules) != digest
    digest = diskcache.tree_digest(rules)
    (rules / "rules" / "extra.txt").rename(rules / "rules" / "other.txt")
    assert diskcache.tree_digest(rules) != digest


def test_the_key_holds_the_version_and_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = diskcache.key("same")
    monkeypatch.setattr(diskcache, "__version__", "0.0.0-other")
    assert diskcache.key("same") != entry
    monkeypatch.undo()
    monkeypatch.setattr(diskcache, "code_digest", lambda: "other source")
    assert diskcache.key("same") != entry


@pytest.mark.parametrize("damage", [
    b"", b"garbage", b"esgcheck-cache 1\n", b"esgcheck-cache 1\nOTHERKEY\n\x00\x01",
])
def test_a_damaged_entry_is_ignored(cache_dir: Path, damage: bytes) -> None:
    entry = diskcache.key("damaged")
    assert diskcache.store("rulebases", entry, {"value": 1})
    path = cache_dir / "rulebases" / f"{entry}.bin"
    path.write_bytes(damage)
    assert diskcache.load("rulebases", entry) is None


def test_a_truncated_entry_is_ignored(cache_dir: Path) -> None:
    entry = diskcache.key("truncated")
    assert diskcache.store("rulebases", entry, {"value": list(range(1000))})
    path = cache_dir / "rulebases" / f"{entry}.bin"
    path.write_bytes(path.read_bytes()[:-10])
    assert diskcache.load("rulebases", entry) is None


def test_a_folder_that_cannot_be_written_costs_only_the_building(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(diskcache.CACHE_ENV, str(blocker / "cache"))
    entry = diskcache.key("unwritable")
    assert diskcache.store("rulebases", entry, {"value": 1}) is False
    assert diskcache.load("rulebases", entry) is None
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_off_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(diskcache.CACHE_ENV, "off")
    assert diskcache.folder() is None
    assert diskcache.store("rulebases", diskcache.key("off"), 1) is False
    assert diskcache.load("rulebases", diskcache.key("off")) is None


def test_a_value_marshal_cannot_hold_is_not_stored(cache_dir: Path) -> None:
    entry = diskcache.key("object")
    assert diskcache.store("rulebases", entry, object()) is False
    assert not (cache_dir / "rulebases").exists() or not any((cache_dir / "rulebases").iterdir())



def test_the_division_table_is_read_once_and_kept(cache_dir: Path) -> None:
    """GB/T 2260's table (python-stdnum's) is read into a set once and kept:
    the kept set is the table's, and a damaged entry is read from the table
    again, never trusted."""
    from esgcheck.engine.expr import builtins

    builtins._divisions.cache_clear()
    read = builtins._read_divisions()
    assert "110101" in read and "999999" not in read  # Beijing, Dongcheng
    assert builtins._divisions() == read
    [kept] = (cache_dir / "gb2260").iterdir()
    builtins._divisions.cache_clear()
    assert builtins._divisions() == read  # read back from the cache
    kept.write_bytes(kept.read_bytes()[:-40])
    builtins._divisions.cache_clear()
    assert builtins._divisions() == read
    builtins._divisions.cache_clear()
