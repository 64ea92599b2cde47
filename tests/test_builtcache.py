"""Built rule bases through the cache on disk (esgcheck.engine.builtcache): a
rule base built once is read back without type-checking or compiling its
rules, and checks filings to the same bytes; a changed rule file misses; a
damaged entry or a folder that cannot be written costs only the building; a
rule base with an error still says it, with file and line, however it was
cached before."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from esgcheck import diskcache
from esgcheck.checker import PACKAGE_RULES, Checker
from esgcheck.checkerparts import make_report
from esgcheck.engine import builtcache, rbcompile
from esgcheck.engine.rulebase import RuleBaseError
from esgcheck.report import RenderOptions, renderer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "fixtures" / "cn-eidm-annual").glob("*.json"))[:4]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(diskcache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The rule bases built from their files (type-checked and compiled) from now on."""
    seen: list[str] = []
    original = rbcompile.compile_rules

    def counting(loader: Any, meta: Any, *args: Any) -> Any:
        seen.append(meta.id)
        return original(loader, meta, *args)

    monkeypatch.setattr(rbcompile, "compile_rules", counting)
    return seen


def cn_eidm(tmp_path: Path) -> Path:
    """A copy of the cn-eidm rule base, to change."""
    folder = tmp_path / "rules" / "cn-eidm"
    shutil.copytree(PACKAGE_RULES / "cn-eidm", folder)
    return folder


def report_bytes(checker: Checker, fmt: str = "json") -> str:
    filings = [checker.check_contained(p, p.name) for p in SAMPLES]
    report = make_report(filings, "major", checker.configuration(),
                         checker.rule_catalogue(["cn-eidm-annual"]))
    return renderer(fmt)(report, RenderOptions())


def entries(cache_dir: Path, kind: str = builtcache.KIND) -> list[Path]:
    return sorted((cache_dir / kind).glob("*.bin"))


def test_a_rule_base_built_once_is_read_back_and_checks_the_same(
        cache_dir: Path, builds: list[str], tmp_path: Path) -> None:
    folder = cn_eidm(tmp_path)
    cold = report_bytes(Checker([folder]))
    assert builds == ["cn-eidm"] and len(entries(cache_dir)) == 1
    warm_checker = Checker([folder])
    warm = report_bytes(warm_checker)
    assert builds == ["cn-eidm"]  # read back, not built again
    assert warm == cold
    assert report_bytes(warm_checker, "sarif") == report_bytes(Checker([folder]), "sarif")


def test_traced_functions_are_kept_for_the_next_run(cache_dir: Path, tmp_path: Path) -> None:
    folder = cn_eidm(tmp_path)
    cold = report_bytes(Checker([folder]))
    builtcache._write_pending()  # as when the process ends
    # one entry per rule traced (those that fired, and the derive rules their
    # proofs go down to), read only when that rule is traced again
    assert len(entries(cache_dir, builtcache.TRACED)) >= 1
    checker = Checker([folder])
    assert report_bytes(checker) == cold
    # the traced functions of the rules that fired came from the cache: none typed
    assert all(r.typed_now is None for r in checker.rulebases[0].rules)


def test_a_rule_read_back_is_type_checked_when_asked(cache_dir: Path, tmp_path: Path) -> None:
    folder = cn_eidm(tmp_path)
    built = Checker([folder]).rulebases[0]
    again = Checker([folder]).rulebases[0]
    assert all(r.typed_now is None for r in again.rules)
    for rule in built.rules:
        other = again.rule(rule.id)
        assert other is not None
        assert other.body.type == rule.body.type, rule.id  # typed on demand, the same
        assert set(other.params) == set(rule.params)
    assert again.by_type["cn-eidm-annual"].facts.keys() == built.by_type[
        "cn-eidm-annual"].facts.keys()
    assert any(isinstance(t.typing, object) for t in again.by_type.values())


def test_a_changed_rule_file_misses(cache_dir: Path, builds: list[str], tmp_path: Path) -> None:
    folder = cn_eidm(tmp_path)
    Checker([folder])
    path = next((folder / "rules").glob("*.yaml"))
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n# changed\n", encoding="utf-8")
    Checker([folder])
    assert builds == ["cn-eidm", "cn-eidm"]
    assert len(entries(cache_dir)) == 2
    Checker([folder])
    assert builds == ["cn-eidm", "cn-eidm"]


def test_a_changed_test_case_does_not_miss(cache_dir: Path, builds: list[str],
                                           tmp_path: Path) -> None:
    folder = cn_eidm(tmp_path)
    Checker([folder])
    path = next((folder / "tests").glob("*.yaml"))
    path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    Checker([folder])
    assert builds == ["cn-eidm"]


@pytest.mark.parametrize("damage", [b"", b"esgcheck-cache 1\n", b"\x00" * 64, None])
def test_a_damaged_entry_is_built_again(cache_dir: Path, builds: list[str], tmp_path: Path,
                                        damage: bytes | None) -> None:
    folder = cn_eidm(tmp_path)
    cold = report_bytes(Checker([folder]))
    (entry,) = entries(cache_dir)
    data = entry.read_bytes()
    if damage is None:  # the right header, then a description cut short
        head = data.index(b"\n", len(b"esgcheck-cache 1\n")) + 1
        damage = data[:head] + data[head:head + len(data) // 3]
    entry.write_bytes(damage)
    assert report_bytes(Checker([folder])) == cold
    assert builds == ["cn-eidm", "cn-eidm"]


def test_a_foreign_description_is_refused(cache_dir: Path, builds: list[str],
                                          tmp_path: Path) -> None:
    folder = cn_eidm(tmp_path)
    cold = report_bytes(Checker([folder]))
    (entry,) = entries(cache_dir)
    key = entry.stem
    # a well-formed entry that would call something outside esgcheck
    diskcache.store(builtcache.KIND, key, ("=", 0, "g", "os", ("a", "system")))
    assert report_bytes(Checker([folder])) == cold
    assert builds == ["cn-eidm", "cn-eidm"]


def test_an_unwritable_cache_folder_costs_only_the_building(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: list[str]) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv(diskcache.CACHE_ENV, str(blocker / "cache"))
    folder = cn_eidm(tmp_path)
    first = report_bytes(Checker([folder]))
    builtcache._write_pending()
    assert report_bytes(Checker([folder])) == first
    assert builds == ["cn-eidm", "cn-eidm"]


def test_errors_of_a_changed_rule_base_are_still_reported(cache_dir: Path,
                                                          tmp_path: Path) -> None:
    folder = cn_eidm(tmp_path)
    Checker([folder])
    path = sorted((folder / "rules").glob("*.yaml"))[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("assert:"))
    indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
    lines[at] = f"{indent}assert: no_such_field > 1"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for _ in range(2):  # the same whether the broken rule base was seen before or not
        with pytest.raises(RuleBaseError) as caught:
            Checker([folder])
        (problem,) = [p for p in caught.value.problems if "no_such_field" in p.message]
        assert problem.file.endswith(path.name) and problem.line == at + 1
