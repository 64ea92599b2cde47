from __future__ import annotations

from pathlib import Path

import pytest

from esgcheck.checker import Checker

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="session")
def checker() -> Checker:
    """The shipped rule bases, loaded once."""
    return Checker()
