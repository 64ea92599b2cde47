"""The bundled samples give their expected grades and findings, in JSON and XML
alike, and are what fixtures/build.py writes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from esgcheck.checker import Checker
from esgcheck.engine.userconfig import load_user_config

from .conftest import FIXTURES

CASES = [
    (folder, name, expected)
    for folder in sorted(p for p in FIXTURES.iterdir() if (p / "expected.yaml").is_file())
    for name, expected in yaml.safe_load((folder / "expected.yaml").read_text("utf-8")).items()
]
FORMS = [(folder, name, expected, suffix) for folder, name, expected in CASES
         for suffix in (f".{form}" for form in expected.get("forms", ["json", "xml"]))]


def findings(checker: Checker, path: Path) -> tuple[str | None, Counter[tuple[str, str, str]]]:
    report = checker.check_file(path, path.name)
    assert report.status == "checked", report.error
    return report.grade, Counter(
        (f.rule_id, f.outcome, f.location.pointer) for f in report.findings)


_CONFIGURED: dict[Path, Checker] = {}


def checker_for(default: Checker, folder: Path, expected: dict) -> Checker:  # type: ignore[type-arg]
    """The shipped checker, or one with the sample's rules configuration."""
    config = expected.get("rules_config")
    if config is None:
        return default
    path = folder / config
    if path not in _CONFIGURED:
        _CONFIGURED[path] = Checker(user_config=load_user_config(path, config))
    return _CONFIGURED[path]


@pytest.mark.parametrize("folder, name, expected, suffix", FORMS,
                         ids=[f"{c[0].name}/{c[1]}{c[3]}" for c in FORMS])
def test_sample_gives_its_expected_findings(checker: Checker, folder: Path, name: str,
                                            expected: dict, suffix: str) -> None:  # type: ignore[type-arg]
    grade, got = findings(checker_for(checker, folder, expected), folder / f"{name}{suffix}")
    want = Counter((f["rule"], f["outcome"], f["at"]) for f in expected["findings"])
    assert grade == expected["grade"]
    assert got == want


def test_there_are_enough_samples() -> None:
    assert len([c for c in CASES if c[0].name == "cn-eidm-annual"]) >= 12
    assert len([c for c in CASES if c[0].name == "eu-battery-cf"]) >= 10
    assert len([c for c in CASES if c[0].name == "green-finance"]) >= 10
    assert len([c for c in CASES if c[0].name == "cn-solid-waste-ledger"]) >= 10
    assert len([c for c in CASES if c[0].name == "cn-listed-sustainability-report"]) >= 10
    assert len([c for c in CASES if c[0].name == "cn-fi-environmental-disclosure"]) >= 10
    assert {c[2]["grade"] for c in CASES} >= {"A", "B", "C", "D", "N"}


def test_committed_samples_are_what_the_builder_writes() -> None:
    from fixtures.build import all_files  # the builder lives beside the samples

    for path, data in all_files().items():
        assert path.read_bytes() == data, f"{path.name} is stale: run python fixtures/build.py"
