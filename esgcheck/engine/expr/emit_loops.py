"""Emitters of the quantifiers and aggregates: ``all``, ``any``, ``none``,
``count``, ``sum``, ``min``, ``max`` over a list, each item bound to the
quantifier's slot in turn. See ``emit`` for what an emitter is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from esgcheck.engine.expr.codegen import Emit, Emitter
from esgcheck.engine.expr.runtime import conv_object, fold, identity, remember_items


def each(em: Emitter, coll: Emit, conv: Callable[[Any], Any], slot_n: int, body: Emit,
         unknown: str, decided: Callable[[str], None], after: Callable[[], None],
         where: Emit | None = None) -> None:
    """A quantifier's loop, when the list it ranges over is not MISSING: each item
    is converted to the item type and bound to the quantifier's slot, and the
    body evaluated; an undecided body sets ``unknown``, and ``decided`` adds
    what a decided one does (an ``elif`` on the body's name). ``after`` follows
    the loop, at its depth. ``where``, code for the list's path, gives the fast
    form each item's path in a local (facts of the items are read by their
    path: see Emitter.item_path)."""
    values, item = coll(em), em.tmp()
    items = em.tmp()
    em.line(f"{items} = {values}")
    converts = conv is not identity and conv is not conv_object
    with em.block(f"if {items} is not MISSING:"):
        if em.traced and not converts:
            em.line(f"{em.ref(remember_items)}(ctx, {items})")
        em.line(f"{unknown} = False")
        at = None
        if where is not None and not em.traced and not converts:
            at = em.tmp()
            em.line(f"{at} = {where(em)}")
        n, path = em.tmp(), em.tmp()
        with em.block(f"for {item} in {items}:" if at is None
                      else f"for {n}, {item} in enumerate({items}):"):
            if at is not None:  # the item's path, for the facts of the item it reads
                em.line(f"{path} = (*{at}, {n})")
                em.item_paths[slot_n] = path
            if converts:
                em.line(f"{item} = MISSING if {item} is None else {em.call(conv, item)}")
            try:
                t = _bound_body(em, slot_n, item, body)
            finally:
                em.item_paths.pop(slot_n, None)
            with em.block(f"if {t} is MISSING:"):
                em.line(f"{unknown} = True")
            decided(t)
        after()


def _bound_body(em: Emitter, slot_n: int, item: str, body: Emit) -> str:
    """The body of a quantifier's loop with ``item`` bound to its slot. The fast
    form reads the item from its local name, and leaves out binding the slot
    when nothing in the body reads the slots or hands the context on."""
    at = len(em.lines)
    em.line(f"env[{slot_n}] = {item}")
    if em.traced:
        return body(em)
    saved = em.locals.get(slot_n)
    em.locals[slot_n] = item
    try:
        out = body(em)
    finally:
        if saved is None:
            del em.locals[slot_n]
        else:
            em.locals[slot_n] = saved
    em.unbind_if_unused(at, at + 1)
    return out


def quantifier(kind: str, coll: Emit, conv: Callable[[Any], Any], slot_n: int,
               body: Emit, where: Emit | None = None) -> Emit:
    """all, any or none: Kleene logic over the items."""
    want = kind == "all"  # all: look for a False; any/none: look for a True
    early = (not want) if kind != "none" else False
    final = want if kind != "none" else True

    def emit(em: Emitter) -> str:
        out, unknown = em.tmp(), em.tmp()

        def decided(t: str) -> None:
            with em.block(f"elif {t} is not {want}:"):
                em.line(f"{out} = {early}")
                em.line("break")

        def after() -> None:
            with em.block("else:"):  # the loop ran to its end
                em.line(f"{out} = MISSING if {unknown} else {final}")

        em.line(f"{out} = MISSING")
        each(em, coll, conv, slot_n, body, unknown, decided, after, where)
        return out

    return emit


def count(coll: Emit, conv: Callable[[Any], Any], slot_n: int, body: Emit | None,
          where: Emit | None = None) -> Emit:
    def emit(em: Emitter) -> str:
        out, n, unknown = em.tmp(), em.tmp(), em.tmp()
        if body is None:
            values = coll(em)
            em.line(f"{out} = MISSING if {values} is MISSING else len({values})")
            return out

        def decided(t: str) -> None:
            with em.block(f"elif {t}:"):
                em.line(f"{n} += 1")

        def after() -> None:
            em.line(f"{out} = MISSING if {unknown} else {n}")

        em.line(f"{out} = MISSING")
        em.line(f"{n} = 0")
        each(em, coll, conv, slot_n, body, unknown, decided, after, where)
        return out

    return emit


def aggregate(kind: str, coll: Emit, conv: Callable[[Any], Any], slot_n: int,
              body: Emit | None, zero: Any) -> Emit:
    """sum, min or max: MISSING as soon as one value is."""

    def emit(em: Emitter) -> str:
        out, picked, item, items = em.tmp(), em.tmp(), em.tmp(), em.tmp()
        converts = conv is not identity and conv is not conv_object
        em.line(f"{out} = MISSING")
        em.line(f"{items} = {coll(em)}")
        with em.block(f"if {items} is not MISSING:"):
            if em.traced and not converts:
                em.line(f"{em.ref(remember_items)}(ctx, {items})")
            em.line(f"{picked} = []")
            with em.block(f"for {item} in {items}:"):
                if converts:
                    em.line(f"{item} = MISSING if {item} is None else {em.call(conv, item)}")
                v = _bound_body(em, slot_n, item, body) if body is not None else item
                with em.block(f"if {v} is MISSING:"):
                    em.line("break")
                em.line(f"{picked}.append({v})")
            with em.block("else:"):
                em.line(f"{out} = {em.ref(fold)}(ctx, {em.ref(kind)}, {picked}, "
                        f"{em.ref(zero)})")
        return out

    return emit
