"""Parsed YAML through the cache on disk (esgcheck.engine.yamlcache): what comes
back is what parsing builds, a changed file misses, a damaged entry is
ignored, and reports are the same with the cache, without it and cold."""

from __future__ import annotations

import marshal
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from esgcheck import diskcache
from esgcheck.checker import PACKAGE_RULES, Checker
from esgcheck.engine import yamlcache, yamlio

ROOT = Path(__file__).resolve().parent.parent
ANNUAL = ROOT / "fixtures" / "cn-eidm-annual" / "01-compliant-key-discharger.json"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(diskcache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def entries(cache_dir: Path) -> set[str]:
    folder = cache_dir / yamlcache.KIND
    return {p.name for p in folder.glob("*.bin")} if folder.is_dir() else set()


def same(a: yamlio.Located, b: yamlio.Located) -> None:
    assert a.data == b.data
    assert repr(a.data) == repr(b.data)  # the same kinds too (a date is not a datetime)
    assert (a.lines, a.styles, a.file, a.source) == (b.lines, b.styles, b.file, b.source)


def test_every_bundled_yaml_file_comes_back_as_parsed(cache_dir: Path) -> None:
    paths = sorted(PACKAGE_RULES.rglob("*.yaml"))
    assert len(paths) > 50
    for path in paths:
        parsed = yamlio.load(path, path.name)
        same(yamlcache.load(path, path.name), parsed)  # cold: parsed and stored
        same(yamlcache.load(path, path.name), parsed)  # warm: read from the cache
    assert len(entries(cache_dir)) == len({p.read_bytes() for p in paths})


DATED = """\
valid_from: 2024-01-01
at: 2024-05-06 07:08:09+08:00
base: &base {since: 2020-02-29, n: 1, x: 1.5, ok: true, none: null}
rows: [*base, *base, {since: 2021-03-01}]
top: [2022-12-31]
"""


def test_dates_come_back_in_place_and_aliases_shared(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "dated.yaml"
    path.write_text(DATED, encoding="utf-8")
    parsed = yamlio.load(path)
    yamlcache.load(path)
    assert entries(cache_dir)
    found = yamlcache.load(path)
    same(found, parsed)
    assert found.data["valid_from"] == date(2024, 1, 1)
    assert found.data["at"] == datetime(2024, 5, 6, 7, 8, 9,
                                        tzinfo=timezone(timedelta(hours=8)))
    assert found.data["rows"][0]["since"] == date(2020, 2, 29)
    assert found.data["rows"][0] is found.data["rows"][1] is found.data["base"]
    assert found.data["top"] == [date(2022, 12, 31)]


def test_a_document_marshal_cannot_hold_is_parsed_every_time(cache_dir: Path,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("2024-01-01: a date as a key\n", encoding="utf-8")
    assert yamlcache.load(path).data == {date(2024, 1, 1): "a date as a key"}
    assert not entries(cache_dir)


def test_a_changed_file_misses(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules: [{id: A}]\n", encoding="utf-8")
    assert yamlcache.load(path).data == {"rules": [{"id": "A"}]}
    path.write_text("rules: [{id: B}]\n", encoding="utf-8")
    assert yamlcache.load(path).data == {"rules": [{"id": "B"}]}
    assert len(entries(cache_dir)) == 2


@pytest.mark.parametrize("damage", [b"", b"garbage", None])
def test_a_damaged_entry_is_ignored(cache_dir: Path, tmp_path: Path,
                                    damage: bytes | None) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules: [{id: A, since: 2024-01-01}]\n", encoding="utf-8")
    parsed = yamlio.load(path)
    yamlcache.load(path)
    [entry] = (cache_dir / yamlcache.KIND).glob("*.bin")
    data = entry.read_bytes()
    # cut short, replaced, or a well-formed entry of the wrong shape under the right header
    entry.write_bytes(damage if damage is not None
                      else data[:data.index(b"\n", len(b"esgcheck-cache 1\n")) + 1]
                      + marshal.dumps(("x", (("rules", 0), "date", "no"), {}, {})))
    same(yamlcache.load(path), parsed)


def test_a_file_that_does_not_parse_is_never_kept(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("rules: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(yamlio.YamlError):
            yamlcache.load(path)
    assert not entries(cache_dir)


def test_reports_are_the_same_without_the_cache_cold_and_warm(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reports = []
    for setting in ("off", str(tmp_path / "cache"), str(tmp_path / "cache")):
        monkeypatch.setenv(diskcache.CACHE_ENV, setting)
        reports.append(Checker().check_paths([ANNUAL]).model_dump_json())
    assert entries(tmp_path / "cache")
    assert reports[0] == reports[1] == reports[2]
