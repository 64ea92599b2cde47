from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esgcheck.checker import Checker
from esgcheck.engine.findings import Report
from esgcheck.report import sarif

from .sarif_schema import validating

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def every_sarif_is_validated() -> Iterator[None]:
    """Every SARIF log rendered in the tests is checked against the SARIF 2.1.0
    schema (tests/sarif_schema.py): no test can write one that is not."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sarif, "render", validating(sarif.render))
        yield


@pytest.fixture(scope="session")
def checker() -> Checker:
    """The shipped rule bases, loaded once."""
    return Checker()


@pytest.fixture
def one_checker(monkeypatch: pytest.MonkeyPatch, checker: Checker) -> None:
    """The command line's runs in this process share the session's loaded rule
    bases (loading them is most of a run's time), each through a copy of its
    own, since a run's rule selection is set on the checker; runs with their
    own rule bases or configuration load those."""
    import copy

    import esgcheck.commands.common

    def make(rules: object = None, user_config: object = None) -> Checker:
        if rules is None and user_config is None:
            return copy.copy(checker)
        return Checker(rules, user_config=user_config)  # type: ignore[arg-type]

    monkeypatch.setattr(esgcheck.commands.common, "new_checker", make)


@pytest.fixture(scope="session")
def annual_samples(checker: Checker) -> Report:
    """The report on every cn-eidm-annual sample, checked once for the session
    (renderer tests share it; they copy before they change it)."""
    return checker.check_paths([FIXTURES / "cn-eidm-annual"])


def all_paths(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """The path of every value in a JSON document, the document's own first."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += all_paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += all_paths(value, (*path, i))
    return out
