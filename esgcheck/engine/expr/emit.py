"""How each kind of expression node writes itself into generated code.

An emitter is ``emit(em) -> name``: it adds statements to ``em`` and returns
the name (or a simple expression) holding the node's value. One emitter serves
both forms of the code (see ``codegen``): where ``em.traced`` is set it records
what it reads in ``ctx.trace`` through the helpers of ``runtime``, and it does
not take the shortcuts of the fast form (members read once for all rules,
quantities compared by their numbers as written). Whatever the form, a value
that cannot be worked out (out of range, undecidable) is MISSING, with a note
in the trace saying why. Asked for the plain form (``em.plain``, see
``Emitter.plain_form``), an emitter returns one expression that is never
MISSING under the tests it adds with ``em.assume``, or raises NotPlain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from esgcheck.engine.expr.codegen import INLINE, Emit, Emitter, NotPlain
from esgcheck.engine.expr.runtime import (
    NONE_GIVES_MISSING,
    NUMBERS,
    QuantityReader,
    conv_boolean,
    conv_number,
    conv_string,
    trace_fact,
    trace_read,
    trace_unit,
    trace_value,
)
from esgcheck.engine.expr.types import Type
from esgcheck.engine.expr.values import (
    MISSING,
)

Parts = Callable[[Emitter], tuple[str, str]]


@dataclass(frozen=True)
class Chain:
    """A chain of field reads (``a.b.c``): where it starts (a bound slot, or
    another node), its keys, how its last value converts."""

    start: Emit | None  # None: at ``slot``
    slot: int | None
    keys: tuple[str, ...]
    conv: Callable[[Any], Any]
    memo: bool  # quantities: converted once per object and evaluation
    reader: QuantityReader | None  # a quantity's reader


def expr(code: str) -> Emit:
    """A node whose value is one expression of the generated code's own names."""

    def emit(em: Emitter) -> str:  # no plain form: em.line raises NotPlain
        out = em.tmp()
        em.line(f"{out} = {code}")
        return out

    return emit


def const(value: Any) -> Emit:
    def emit(em: Emitter) -> str:
        if em.plain and value is MISSING:
            raise NotPlain
        return em.ref(value)

    return emit


def slot(n: int) -> Emit:
    def emit(em: Emitter) -> str:
        if em.plain:
            raise NotPlain  # an entity or an item: an object, not a plain value
        return em.slot_value(n)

    return emit


# Conversions that keep a raw value of one class as it is (and make anything
# else MISSING): where the raw value is of that class, it is the value.
_KEPT_CLASS: dict[Callable[[Any], Any], str] = {conv_string: "str", conv_boolean: "bool"}


def plain_member(em: Emitter, chain: Chain) -> str:
    """The raw value a chain leads to, read once per instance (plain form):
    NotPlain when the chain does not start at a bound entity."""
    if chain.slot is None or chain.reader is not None or em.member(
            chain.slot, chain.keys[0]) is None:
        raise NotPlain
    return raw_object(em, chain)


def plain_value(em: Emitter, chain: Chain) -> str:
    """A text or true/false field in the plain form: the raw value itself,
    assumed to be of its class."""
    kept = _KEPT_CLASS.get(chain.conv)
    if kept is None:
        raise NotPlain  # a number becomes an exact decimal; a date is parsed
    raw = plain_member(em, chain)
    em.assume(f"{raw}.__class__ is {kept}")
    return raw


def _convert(em: Emitter, out: str, raw: str, conv: Callable[[Any], Any], memo: bool) -> None:
    """``out = conv(raw)`` for a raw value that is not None."""
    if memo:
        em.line(f"{out} = ctx.converted.get(id({raw}))")
        with em.block(f"if {out} is None:"):
            em.line(f"{out} = ctx.converted[id({raw})] = {em.ref(conv)}({raw})")
    else:
        em.line(f"{out} = {em.call(conv, raw)}")


def raw_object(em: Emitter, chain: Chain, keys: tuple[str, ...] | None = None) -> str:
    """A name for the raw value a chain of keys leads to, None when it is absent
    or a step on the way is not an object: read once for all rules when the
    chain starts at a bound entity (see Emitter.member)."""
    keys = chain.keys if keys is None else keys
    obj = em.member(chain.slot, keys[0]) if keys else None
    if obj is not None:
        for key in keys[1:]:
            part = em.part(obj, key)
            assert part is not None  # a part of a hoisted value is hoisted too
            obj = part
        return obj
    obj = em.tmp()
    start = em.slot_value(chain.slot) if chain.slot is not None else chain.start(em)  # type: ignore[misc]
    if not keys or not start.isidentifier():
        em.line(f"{obj} = {start}")
        start = obj
    for key in keys:
        em.line(f"{obj} = {start}.get({em.ref(key)}) if {start}.__class__ is dict else None")
        start = obj
    return obj


def field(base: Emit, key: str, ftype: Type, chain: Chain) -> tuple[Emit, Parts]:
    """A field read: its value, and (raw value or None, value) for the presence
    tests and ``??``. Fast: the whole chain from its start, shared between rules.
    Traced: step by step, each step recorded."""

    def parts(em: Emitter) -> tuple[str, str]:
        raw, out = em.tmp(), em.tmp()
        if not em.traced:
            raw = raw_object(em, chain)
            if em.share and not chain.memo and chain.conv in INLINE:  # a cheap test of its type:
                shared = em.derived(raw, ("value", chain.conv), lambda: (  # once for all rules
                    em.call(chain.conv, raw) if chain.conv in NONE_GIVES_MISSING
                    else f"MISSING if {raw} is None else {em.call(chain.conv, raw)}"))
                if shared is not None:
                    return raw, shared
            em.line(f"{out} = MISSING")
            with em.block(f"if {raw} is not None:"):
                _convert(em, out, raw, chain.conv, chain.memo)
            return raw, out
        obj = base(em)
        em.line(f"{raw} = None")
        em.line(f"{out} = MISSING")
        with em.block(f"if {obj}.__class__ is dict:"):
            em.line(f"{raw} = {obj}.get({em.ref(key)})")
            with em.block(f"if {raw} is not None:"):
                _convert(em, out, raw, chain.conv, chain.memo)
            em.line(f"{em.ref(trace_read)}(ctx, {obj}, {em.ref(key)}, {raw}, {out}, "
                    f"{em.ref(ftype)})")
        return raw, out

    def value(em: Emitter) -> str:
        return plain_value(em, chain) if em.plain else parts(em)[1]

    return value, parts


def quantity_parts(em: Emitter, chain: Chain) -> tuple[str, str, str]:
    """Names for a quantity object read from the filing (None when it is not
    there), its ``value`` and its ``unit`` (fast form)."""
    obj = raw_object(em, chain)
    value, unit = em.part(obj, "value"), em.part(obj, "unit")
    if value is None or unit is None:
        value, unit = em.tmp(), em.tmp()
        em.line(f"{value} = {obj}.get('value') if {obj}.__class__ is dict else None")
        em.line(f"{unit} = {obj}.get('unit') if {obj}.__class__ is dict else None")
    return obj, value, unit


def known_unit(em: Emitter, reader: QuantityReader, text: str) -> str:
    """Code that is true when ``text`` (a name) is a unit of the reader's
    dimensions: a dictionary lookup once the text has been seen; worked out
    once per instance when the text is a member's unit read once for all rules."""
    test = (f"({text}.__class__ is str and ({em.ref(reader.units)}.get({text})"
            f" or {em.ref(reader.unit)}({text})) is not None)")
    return em.derived(text, ("unit of", reader.dims), lambda: test) or test


Outcome = tuple[Any, Any, Any]  # readable, absent, there but unreadable


def _outcome_code(outcome: Outcome) -> tuple[str, str, str]:
    readable, absent, unreadable = (repr(v) if v is not MISSING else "MISSING"
                                    for v in outcome)
    return readable, absent, unreadable


def presence(parts: Parts, chain: Chain | None, outcome: Outcome) -> Emit:
    """exists(), missing(), readable() or present() of a field of the filing; a
    quantity in the fast form is judged without being converted."""
    readable, absent, unreadable = _outcome_code(outcome)

    def emit(em: Emitter) -> str:
        if em.plain:  # readable, under a test that it is
            if chain is None or readable == "MISSING":
                raise NotPlain
            if chain.conv is conv_number:
                raw = plain_member(em, chain)
                em.assume(f"{raw}.__class__ in {em.ref(NUMBERS)}")
            else:
                plain_value(em, chain)
            return readable
        out = em.tmp()
        if chain is not None and chain.reader is not None and not em.traced:
            obj, value, unit = quantity_parts(em, chain)
            test = (f"{value}.__class__ in {em.ref(NUMBERS)} and "
                    f"{known_unit(em, chain.reader, unit)}")
            em.line(f"{out} = {readable} if ({test}) else "
                    f"({absent} if {obj} is None else {unreadable})")
            return out
        if chain is not None and chain.conv is conv_number and not em.traced:
            # a number is readable when it is one: no need to make a decimal of it
            raw = raw_object(em, chain)
            em.line(f"{out} = {readable} if {raw}.__class__ in {em.ref(NUMBERS)} else "
                    f"({absent} if {raw} is None else {unreadable})")
            return out
        raw, value = parts(em)
        em.line(f"{out} = {readable} if {value} is not MISSING else "
                f"({absent} if {raw} is None else {unreadable})")
        return out

    return emit


def unit_of(chain: Chain) -> Emit:
    """The unit text of a quantity field, read before conversion."""

    def emit(em: Emitter) -> str:
        out = em.tmp()
        if not em.traced:
            _, _, unit = quantity_parts(em, chain)
            em.line(f"{out} = {unit} if {unit}.__class__ is str else MISSING")
            return out
        parent, obj = raw_object(em, chain, chain.keys[:-1]), em.tmp()
        em.line(f"{obj} = {parent}.get({em.ref(chain.keys[-1])}) "
                f"if {parent}.__class__ is dict else None")
        em.line(f"{out} = {obj}.get('unit') if {obj}.__class__ is dict else None")
        em.line(f"{out} = {out} if {out}.__class__ is str else MISSING")
        em.line(f"{em.ref(trace_unit)}(ctx, {parent}, {em.ref(chain.keys[-1])}, {out})")
        return out

    return emit


def coalesce(left: Emit, parts: Parts | None, right: Emit, chain: Chain | None = None
             ) -> Emit:
    """``a ?? b``: b when a is absent; a field that is there but unreadable is
    unknown, not absent. The result is a name of its own: the name ``a`` gives
    may be a value read once and shared by every rule of the instance (a
    member, a fact) or a bound slot, which ``b`` must not overwrite. Plain (a
    text or true/false field): the value, or ``b`` when it is absent, under a
    test that it is one or the other."""

    def emit(em: Emitter) -> str:
        if em.plain:
            kept = _KEPT_CLASS.get(chain.conv) if chain is not None else None
            if chain is None or kept is None:
                raise NotPlain
            raw = plain_member(em, chain)
            em.assume(f"({raw} is None or {raw}.__class__ is {kept})")
            return f"({raw} if {raw} is not None else {right(em)})"
        out = em.tmp()
        if parts is None:
            em.line(f"{out} = {left(em)}")
            with em.block(f"if {out} is MISSING:"):
                em.line(f"{out} = {right(em)}")
            return out
        raw, value = parts(em)
        em.line(f"{out} = {value}")
        with em.block(f"if {out} is MISSING and {raw} is None:"):
            em.line(f"{out} = {right(em)}")
        return out

    return emit


def column(base: Emit, key: str, label: str) -> Emit:
    """A column of a table's row (reference data)."""

    def emit(em: Emitter) -> str:
        row, out = base(em), em.tmp()
        em.line(f"{out} = MISSING if {row} is MISSING else {row}.get({em.ref(key)})")
        em.line(f"{out} = MISSING if {out} is None else {out}")
        if em.traced:
            with em.block(f"if {row} is not MISSING:"):
                em.line(f"{em.ref(trace_value)}(ctx, {out}, {em.ref(label)})")
        return out

    return emit


def fact(path: Emit, name: str, default: Any, slot: int | None = None) -> Emit:
    """A derived fact of the instance at ``path``; ``slot``: the bound entity
    whose fact it is (0: the filing), when it is one (read once per instance in
    the fast form, see Emitter.fact)."""

    def emit(em: Emitter) -> str:
        if slot is not None and not em.traced:
            shared = em.fact(slot, name, default)
            if shared is not None:
                if em.plain:
                    em.assume(f"{shared} is not MISSING")
                return shared
        at, out = path(em), em.tmp()
        store = "facts" if em.runner and not em.traced else "ctx.facts.values"  # a local there
        em.line(f"{out} = MISSING if {at} is None else "
                f"{store}.get(({at}, {em.ref(name)}), {em.ref(default)})")
        if em.traced:
            with em.block(f"if {at} is not None:"):
                em.line(f"{em.ref(trace_fact)}(ctx, {em.ref(name)}, {at}, {out})")
        return out

    return emit
