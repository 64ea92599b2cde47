"""Parsed expressions through the cache on disk (esgcheck.engine.exprcache): a
tree read back is the tree the parser builds, a text that does not parse is
never kept, and an entry that is not this parser's is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from esgcheck import diskcache
from esgcheck.checker import Checker
from esgcheck.engine import exprcache
from esgcheck.engine.expr import parser as ast

TEXTS = [
    "all(o in outlets: o.code matches '^D[AW]\\\\d{3}$')",
    "if a.x >= 0.5[kgCO2e/kWh] then 1.50 else -2e3",
    "report.date >= 2022-02-08 and not (b in [1, 2, 'x']) ?? true",
    "count(p in permits) + sum(o in outlets: o.flow) / 3",
]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(diskcache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def parsed_through_cache(texts: list[str], name: str = "rb") -> list[ast.Node]:
    with exprcache.kept(name):
        return [exprcache.parse(t) for t in texts]


def test_trees_come_back_as_parsed(cache_dir: Path) -> None:
    expected = [ast.parse(t) for t in TEXTS]
    cold = parsed_through_cache(TEXTS)
    assert len(list((cache_dir / exprcache.KIND).glob("*.bin"))) == 1
    warm = parsed_through_cache(TEXTS)
    for trees in (cold, warm):
        assert trees == expected
        assert repr(trees) == repr(expected)  # Decimal('1.50') stays 1.50, ints stay ints
    again = parsed_through_cache(TEXTS)
    assert all(a is not b for a, b in zip(warm, again, strict=True))  # new nodes each time


def test_every_bundled_expression_comes_back_as_parsed(cache_dir: Path) -> None:
    texts = sorted({t for rb in Checker().rulebases for r in rb.rules
                    for t in (r.spec.when, r.spec.assert_, r.spec.value, *r.spec.params.values())
                    if t})
    assert len(texts) > 500
    parsed_through_cache(texts)
    for text, tree in zip(texts, parsed_through_cache(texts), strict=True):
        assert repr(tree) == repr(ast.parse(text)), text


def test_a_text_that_does_not_parse_is_never_kept(cache_dir: Path) -> None:
    for _ in range(2):
        with pytest.raises(ast.ExprSyntaxError), exprcache.kept("rb"):
            exprcache.parse("a and (b or")
    with exprcache.kept("rb"):
        exprcache.parse("a")
    [entry] = (cache_dir / exprcache.KIND).glob("*.bin")
    stored = diskcache.load(exprcache.KIND, entry.stem)
    assert isinstance(stored, tuple) and set(stored[3]) == {"a"}


def test_an_entry_of_another_parser_is_ignored(cache_dir: Path) -> None:
    entry = diskcache.key(exprcache.KIND, "rb")
    diskcache.store(exprcache.KIND, entry, ("exprcache 1", ("a", "b"), frozenset(), {
        "a": ("N", "Name", 0, ("S", 0), "a field this parser's Name does not have"),
        "b": ("N", "NoSuchNode", 0),
        "c": ("X", 1),
        "d": "not a tree",
        "e": ("N", "Name", 0, ("S", 7)),  # no such string
    }))
    assert parsed_through_cache(list("abcde")) == [ast.parse(t) for t in "abcde"]
    stored = diskcache.load(exprcache.KIND, entry)
    assert isinstance(stored, tuple) and set(stored[3]) == set("abcde")
    diskcache.store(exprcache.KIND, entry, "not an entry")
    assert parsed_through_cache(["a"]) == [ast.parse("a")]


def test_strings_are_shared_as_the_parser_shares_them(cache_dir: Path) -> None:
    """The code generator names constants by object: a tree read back holds
    one object where the parsed one did, and new ones where it had new ones."""
    texts = ["a not in ['x_y', 'x_y']", "b not in ['x_y']"]
    parsed_through_cache(texts)
    for trees in ([ast.parse(t) for t in texts], parsed_through_cache(texts),
                  parsed_through_cache(texts)):
        first, second = trees
        assert isinstance(first, ast.Binary) and isinstance(second, ast.Binary)
        assert first.op is second.op  # the parser's own name of the operator
        assert isinstance(first.right, ast.ListLit) and isinstance(second.right, ast.ListLit)
        one, two = (item.value for item in first.right.items)  # type: ignore[attr-defined]
        assert one == two and one is not two
        assert one is not second.right.items[0].value  # type: ignore[attr-defined]
