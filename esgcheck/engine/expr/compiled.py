"""What the type checker makes of an expression, and what it sees while it
checks one: ``Compiled`` (a node's type and its emitter), ``Environment`` (the
names a rule's expressions can use), the type error with its offset, and the
small constructors the compiler's mixins share (``compiler``, ``operators``,
``calls``). Kept apart from the compiler so that those mixins import it
without importing the compiler that combines them."""

from __future__ import annotations

import re._parser as sre_parse  # type: ignore[import-not-found]  # no stubs; see bounded_width
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from esgcheck.engine.expr import emit as E
from esgcheck.engine.expr.builtins import BUILTINS, Builtin
from esgcheck.engine.expr.codegen import Emit, build_traced
from esgcheck.engine.expr.runtime import Context
from esgcheck.engine.expr.types import ObjectT, SchemaTypes, Type
from esgcheck.engine.expr.types import TypedValue as TypedValue  # its users import it here
from esgcheck.engine.expr.values import MISSING
from esgcheck.engine.refdata import Calendar, Table


class ExprTypeError(ValueError):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(frozen=True)
class FactSig:
    """A derived fact as the type checker sees it."""

    name: str
    entity: str
    type: Type


@dataclass
class Environment:
    """What names an expression of one rule can see."""

    schema: SchemaTypes
    entity: ObjectT
    ancestors: Mapping[str, tuple[int, ObjectT]] = field(default_factory=dict)
    facts: Mapping[str, FactSig] = field(default_factory=dict)
    tables: Mapping[str, Table] = field(default_factory=dict)
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    builtins: Mapping[str, Builtin] = field(default_factory=lambda: BUILTINS)
    # filled while compiling
    facts_used: set[str] = field(default_factory=set)
    functions_used: set[str] = field(default_factory=set)
    reads_as_of: bool = False
    slots: int = 0
    fact_owners: set[int] = field(default_factory=set)  # quantifier slots whose facts are read

    def __post_init__(self) -> None:
        self.slots = 2 + len(self.ancestors)


@dataclass(frozen=True)
class Compiled:
    type: Type
    emit: Emit  # writes the node into generated code (see emit)
    const: Any = MISSING  # the value when the expression is a constant
    slot: int | None = None  # the value is ctx.env[slot] (a bound entity or variable)
    # a chain of field reads (a.b.c): where it starts, its keys, how it converts;
    # and code naming both the raw value at its end (None when absent) and the
    # value, for exists() and '??', which tell an unreadable value from an absent one
    chain: E.Chain | None = None
    parts: E.Parts | None = None

    def emitter(self) -> Emit:
        return self.emit

    @property
    def is_const(self) -> bool:
        return self.const is not MISSING

    @cached_property
    def fn(self) -> Callable[[Context], Any]:
        """The traced function of the expression (compiled when first asked for):
        its value, recording what it read while ``ctx.trace`` is a list."""
        return build_traced("expression", self.emit)


def const(t: Type, value: Any) -> Compiled:
    return Compiled(t, E.const(value), value)


def bound(t: Type, slot: int) -> Compiled:
    return Compiled(t, E.slot(slot), slot=slot)


def bounded_width(pattern: str) -> bool:
    """Whether every match of the pattern is at most a fixed number of characters
    long (no unbounded repeat). Such a pattern cannot backtrack catastrophically
    on its input: each start position costs at most a fixed amount, set by the
    pattern alone, so a search is linear in the text and runs without the
    timeout, whose clock costs several times a short search. A pattern the
    standard library cannot parse (syntax only ``regex`` knows) is not judged
    bounded and keeps the timeout."""
    try:
        high = sre_parse.parse(pattern).getwidth()[1]
    except Exception:  # any failure to parse only means: keep the timeout
        return False
    return bool(high < sre_parse.MAXREPEAT)
