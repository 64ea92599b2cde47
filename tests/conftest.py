from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from esgcheck.checker import Checker

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="session")
def checker() -> Checker:
    """The shipped rule bases, loaded once."""
    return Checker()


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
