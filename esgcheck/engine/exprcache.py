"""Parsed rule expressions through the cache on disk (esgcheck.diskcache).

After the YAML, parsing the expressions is the largest part of building a rule
base. A syntax tree depends only on the expression's text and the parser
(whose source is part of every key, see ``diskcache.key``), so while a rule
base is built (``kept``) each text's tree is looked up in one entry of that
rule base's trees, and the entry is written again when the build parsed a text
it did not hold or left one unused (so it holds only what the rule base has).
A text that does not parse is never kept: it is parsed, and refused, each time.

A tree is kept as nested tuples marshal can hold: ``("N", class name, field
values...)`` for a node, ``("S", number)`` for a string of the entry's table,
``("T", items...)`` for a tuple, ``("D", text)`` for a Decimal, ``("d", ISO
text)`` for a date; anything else of another kind is not kept. Reading builds
new nodes each time (never one node shared by two parses), and a tree that
does not describe nodes of this parser is parsed instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from typing import Any

from esgcheck import diskcache
from esgcheck.engine.expr import parser as ast

KIND = "exprs"


@dataclasses.dataclass
class _Session:
    trees: dict[str, Any]  # text -> tree as stored
    strings: tuple[str, ...]  # the strings the stored trees name by number
    shared: frozenset[int]  # those that trees of several texts hold
    copies: dict[int, str] = dataclasses.field(default_factory=dict)  # number -> string
    nodes: dict[str, ast.Node] = dataclasses.field(default_factory=dict)  # what was used
    parsed: int = 0  # texts parsed anew


_SESSION: ContextVar[_Session | None] = ContextVar("exprcache", default=None)
_FORMAT = "exprcache 1"


class _NotKept(Exception):
    """A tree, or an entry, this cache does not hold."""


@contextmanager
def kept(name: str) -> Iterator[None]:
    """Parse through the entry ``name`` (a rule base's folder) while in this block."""
    entry = diskcache.key(KIND, name)
    stored = diskcache.load(KIND, entry)
    if (isinstance(stored, tuple) and len(stored) == 4 and stored[0] == _FORMAT
            and isinstance(stored[1], tuple) and isinstance(stored[2], frozenset)
            and isinstance(stored[3], dict)):
        session = _Session(stored[3], stored[1], stored[2])
    else:
        session = _Session({}, (), frozenset())
    token = _SESSION.set(session)
    try:
        yield
    finally:
        _SESSION.reset(token)
    # (with no cache folder the entry is not even made: making it is a tenth
    # of a cold run's building)
    if diskcache.folder() is not None and (
            session.parsed or set(session.nodes) != set(session.trees)):
        with suppress(_NotKept):
            diskcache.store(KIND, entry, _entry(session.nodes))


def parse(text: str) -> ast.Node:
    """``parser.parse(text)``, through the current entry when there is one."""
    session = _SESSION.get()
    if session is None:
        return ast.parse(text)
    kept_tree = session.trees.get(text)
    if kept_tree is not None:
        try:
            node = _node(kept_tree, session, {})
        except (_NotKept, TypeError, ValueError, ArithmeticError, IndexError):
            pass
        else:
            if isinstance(node, ast.Node):
                session.nodes[text] = node
                return node
    node = ast.parse(text)  # ExprSyntaxError: never kept
    session.parsed += 1
    session.nodes[text] = node
    return node


def _entry(nodes: dict[str, ast.Node]
           ) -> tuple[str, tuple[str, ...], frozenset[int], dict[str, Any]]:
    """The trees of ``nodes`` as stored. A string is stored once and named by
    its number wherever the trees hold that very object: the trees read back
    share strings as the parsed ones did (the parser's names of operators are
    one object, each literal's text another), since the code generator names
    its constants by object (codegen.RuleModule.ref) and would otherwise write
    other, if equivalent, code. A string the trees of several texts hold (an
    operator's name) is one object for all the trees read back; one that a
    single text's tree holds is a new object each time that text is read, as
    each parse of it makes one."""
    numbers: dict[int, int] = {}
    strings: list[str] = []
    trees: dict[str, Any] = {}
    holders: dict[int, int] = {}  # string number -> how many texts' trees hold it
    for text, node in nodes.items():
        trees[text] = _plain(node, numbers, strings)
        for n in set(_numbers(trees[text])):
            holders[n] = holders.get(n, 0) + 1
    shared = frozenset(n for n, count in holders.items() if count > 1)
    return _FORMAT, tuple(strings), shared, trees


def _numbers(tree: Any) -> Iterator[int]:
    """The string numbers a stored tree holds."""
    if isinstance(tree, tuple):
        if tree[0] == "S":
            yield tree[1]
        elif tree[0] in ("N", "T"):
            for v in tree[1:]:
                yield from _numbers(v)


def _plain(value: Any, numbers: dict[int, int], strings: list[str]) -> Any:
    if isinstance(value, ast.Node):
        return ("N", type(value).__name__,
                *(_plain(getattr(value, f.name), numbers, strings)
                  for f in dataclasses.fields(value)))
    if isinstance(value, str):
        n = numbers.get(id(value))
        if n is None:  # (the nodes, and so their strings, live on while this runs)
            n = numbers[id(value)] = len(strings)
            strings.append(value)
        return ("S", n)
    if isinstance(value, tuple):
        return ("T", *(_plain(v, numbers, strings) for v in value))
    if isinstance(value, Decimal):
        return ("D", str(value))
    if isinstance(value, date):
        if type(value) is not date:  # a date and time: no literal makes one
            raise _NotKept
        return ("d", value.isoformat())
    if value is None or isinstance(value, int):  # bool is an int
        return value
    raise _NotKept


def _node(value: Any, session: _Session, own: dict[int, str]) -> Any:
    """A stored tree read back; ``own`` holds the strings of this reading."""
    if not isinstance(value, tuple):
        if value is None or isinstance(value, int):
            return value
        raise _NotKept
    tag = value[0]
    if tag == "N":
        cls = getattr(ast, value[1], None)
        if not (isinstance(cls, type) and issubclass(cls, ast.Node)
                and len(dataclasses.fields(cls)) == len(value) - 2):
            raise _NotKept
        return cls(*(_node(v, session, own) for v in value[2:]))
    if tag == "S":
        n = value[1]
        copies = session.copies if n in session.shared else own
        found = copies.get(n)
        if found is None:
            text = session.strings[n]
            if not isinstance(text, str):
                raise _NotKept
            # a new object (marshal gives one object for equal strings it
            # interned, where the parser made several)
            found = copies[n] = text[:1] + text[1:] if len(text) > 1 else text
        return found
    if tag == "T":
        return tuple(_node(v, session, own) for v in value[1:])
    if tag == "D":
        return Decimal(value[1])
    if tag == "d":
        return date.fromisoformat(value[1])
    raise _NotKept
