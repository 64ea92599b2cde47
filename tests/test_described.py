"""Values described as plain data and restored (esgcheck.engine.described):
a module's global comes back as that very object, and the index of where the
globals live, read once per process, never names a global that has since been
rebound."""

from __future__ import annotations

from decimal import Decimal

import pytest

from esgcheck.engine import described
from esgcheck.engine.expr import values
from esgcheck.engine.expr.values import MISSING


def test_a_global_comes_back_as_itself() -> None:
    tree = described.describe({"m": MISSING, "n": [Decimal("1.5"), (1, "a")]})
    back = described.restore(tree)
    assert back["m"] is MISSING
    assert back["n"] == [Decimal("1.5"), (1, "a")]


def test_a_rebound_global_is_not_named_by_its_old_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """An object described as a module's global, then that global rebound: the
    object is written by what it is, not by the place now holding another."""
    held = values.Undecidable("kept")  # an instance of esgcheck: described by class and state
    monkeypatch.setattr(values, "HELD_FOR_TEST", held, raising=False)
    described._index_of.cache_clear()
    assert described.describe(held)[0] == "="  # named by its place
    monkeypatch.setattr(values, "HELD_FOR_TEST", values.Undecidable("other"))
    tree = described.describe(held)  # the index is the one read before
    assert tree[0] != "="
    back = described.restore(tree)
    assert back is not held and back is not values.HELD_FOR_TEST  # type: ignore[attr-defined]
    assert str(back) == "kept"


def test_a_place_that_no_longer_exists_is_not_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function held in a module's dictionary, indexed, then removed from it:
    describing it is refused as a value that cannot be written (the caller then
    keeps nothing), not failed on the place that is gone."""

    def held() -> None:
        """A function that is no module's global."""

    table = {"item": held}
    monkeypatch.setattr(values, "TABLE_FOR_TEST", table, raising=False)
    described._index_of.cache_clear()
    assert described.describe(held)[0] == "="  # named by its place in the table
    del table["item"]
    with pytest.raises(described.NotDescribable):
        described.describe(held)
