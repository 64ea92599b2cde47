"""Emitters of the operators: comparisons, strict calls (built-ins, arithmetic,
membership, ``matches``), negation, Kleene ``and``/``or``, lists, text
concatenation and ``if``. See ``emit`` for what an emitter is, and for its
plain form."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from esgcheck.engine.expr.codegen import INLINE, Emit, Emitter, NotPlain
from esgcheck.engine.expr.emit import (
    Chain,
    known_unit,
    plain_member,
    quantity_parts,
    raw_object,
)
from esgcheck.engine.expr.runtime import NUMBERS
from esgcheck.engine.expr.values import (
    OUT_OF_RANGE,
    Undecidable,
    compare_directly,
    compare_key,
    out_of_range,
)


def compare(op: str, left: Emit, right: Emit, quantities: bool, plain: bool,
            simple: bool = False) -> Emit:
    """A comparison: base units for quantities (the numbers as read when the
    units are the same and the numbers compare as written: compare_directly),
    directly for scalars of
    one kind, by compare_key for anything else. ``simple``: texts or true/false
    values, which compare without fail (the plain form)."""

    def emit(em: Emitter) -> str:
        if em.plain:
            if not simple:
                raise NotPlain
            return f"{left(em)} {op} {right(em)}"
        a, b = left(em), right(em)
        out = em.tmp()
        if quantities:
            test = (f"({a}.value {op} {b}.value) if {a}.unit is {b}.unit and "
                    f"{em.ref(compare_directly)}({a}.value, {b}.value) "
                    f"else ({a}.base {op} {b}.base)")
        elif plain:
            test = f"{a} {op} {b}"
        else:
            key = em.ref(compare_key)
            test = f"{key}({a}) {op} {key}({b})"
        with em.block(f"if {em.unknown([a, b])}:"):
            em.line(f"{out} = MISSING")
        with em.block("else:"):
            with em.block("try:"):
                em.line(f"{out} = {test}")
            if not plain:  # values that do not compare
                with em.block("except TypeError:"):
                    em.line(f"{out} = MISSING")
            with em.block(f"except {em.ref(OUT_OF_RANGE)} as exc:"):
                em.line(f"{out} = MISSING")
                em.line(f"ctx.note({em.ref(out_of_range)}({em.ref(op)}, ({a}, {b}), exc))")
        return out

    return emit


def raw_compare(op: str, left: Chain, right: Chain, general: Emit) -> Emit:
    """Two quantities read straight from the filing in the same unit, whose
    numbers compare as written (values.compare_directly), compare by their
    numbers, exactly, without making Quantity objects (fast form); anything
    else, and the traced form, take the general path."""

    def emit(em: Emitter) -> str:
        if em.traced or em.plain:
            return general(em)  # plain: quantities have none (NotPlain)
        assert left.reader is not None and right.reader is not None
        _, va, ua = quantity_parts(em, left)
        _, vb, ub = quantity_parts(em, right)
        out, nums = em.tmp(), em.ref(NUMBERS)
        ka, kb = known_unit(em, left.reader, ua), known_unit(em, right.reader, ua)
        # numbers that compare as written (see compare_directly; of one class, the
        # usual case, is tested here first)
        same = (f"{ua} == {ub} and {va}.__class__ in {nums} and {vb}.__class__ in {nums} "
                f"and ({va}.__class__ is {vb}.__class__ or "
                f"{em.ref(compare_directly)}({va}, {vb})) and {ka}"
                + ("" if kb == ka else f" and {kb}"))  # one test when the same
        with em.block(f"if {same}:"):
            with em.block("try:"):
                em.line(f"{out} = {va} {op} {vb}")
            with em.block(f"except {em.ref(OUT_OF_RANGE)}:"):
                em.line(f"{out} = MISSING")
        with em.block("else:"):
            em.line(f"{out} = {general(em)}")
        return out

    return emit


UNSET = object()  # a value of the generated code not worked out yet

Note = Callable[[Emitter, list[str]], str]  # code for a note's text, from the argument names


def strict(fn: Callable[..., Any], args: list[Emit], undecided: Note | None = None,
           out_of_range_of: str | None = None, guarded: bool = True,
           code: Note | None = None, share: bool = False, plain: bool = False) -> Emit:
    """``fn(*args)``, MISSING when an argument is. ``guarded``: an Undecidable
    from ``fn`` (noted as ``undecided`` words it; the exception is ``exc``) or a
    value out of range (noted with ``out_of_range_of`` as the operation) gives
    MISSING. ``code``, when given, writes the call itself: an expression that
    means exactly what ``fn`` does. ``share``: worked out once per instance in
    the fast form, like a call without ``code``, when its argument is a member
    read once for all rules. ``plain``: ``code`` neither fails nor gives
    MISSING when no argument is MISSING, and is the plain form."""

    def emit(em: Emitter) -> str:
        if em.plain:
            if not plain or code is None:
                raise NotPlain
            return f"({code(em, [a(em) for a in args])})"
        names = [a(em) for a in args]
        shared = None
        varying = [n for n in names if not em.present(n)]
        if guarded and (code is None or share) and not em.traced and len(varying) == 1 and (
                fn not in INLINE):  # a function of a member read once for all rules
            # (and of constants) is worked out once too, when first needed
            shared = em.derived(varying[0], ("call", fn, *names), lambda: em.ref(UNSET))
        if shared is not None:
            with em.block(f"if {shared} is {em.ref(UNSET)}:"):
                with em.block(f"if {varying[0]} is MISSING:"):
                    em.line(f"{shared} = MISSING")
                with em.block("else:"):
                    with em.block("try:"):
                        em.line(f"{shared} = "
                                + (code(em, names) if code is not None else em.call(fn, *names)))
                    with em.block(f"except {em.ref((Undecidable, *OUT_OF_RANGE))}:"):
                        em.line(f"{shared} = MISSING")  # the fast form notes nothing
            return shared
        out = em.tmp()
        missing = em.unknown(names)
        call = code(em, names) if code is not None else em.call(fn, *names)
        with em.block(f"if {missing}:"):
            em.line(f"{out} = MISSING")
        with em.block("else:"):
            if not guarded:
                em.line(f"{out} = {call}")
                return out
            with em.block("try:"):
                em.line(f"{out} = {call}")
            with em.block(f"except {em.ref(Undecidable)} as exc:"):
                em.line(f"{out} = MISSING")
                if undecided is not None:
                    em.line(f"ctx.note({undecided(em, names)})")
            with em.block(f"except {em.ref(OUT_OF_RANGE)} as exc:"):
                em.line(f"{out} = MISSING")
                what = em.ref(out_of_range_of or getattr(fn, "__name__", "?"))
                em.line(f"ctx.note({em.ref(out_of_range)}({what}, ({', '.join(names)},), exc))")
        return out

    return emit


def reason(prefix: str = "") -> Note:
    """The note of an Undecidable: its reason, after ``prefix: `` if given."""
    if not prefix:
        return lambda em, names: "exc.reason"
    return lambda em, names: f"{em.ref(prefix + ': ')} + exc.reason"


def total(fn: Callable[..., Any], args: list[Emit]) -> Emit:
    """``fn(*args)`` for a built-in that takes MISSING itself (exists, missing)."""

    def emit(em: Emitter) -> str:
        names = [a(em) for a in args]
        if em.plain:  # no argument is MISSING there
            if fn not in INLINE:
                raise NotPlain
            return em.call(fn, *names)
        out = em.tmp()
        em.line(f"{out} = {em.call(fn, *names)}")
        return out

    return emit


def negate(operand: Emit) -> Emit:
    def emit(em: Emitter) -> str:
        v, out = operand(em), em.tmp()
        with em.block(f"if {v} is MISSING:"):
            em.line(f"{out} = MISSING")
        with em.block("else:"):
            with em.block("try:"):
                em.line(f"{out} = -{v}")
            with em.block(f"except {em.ref(OUT_OF_RANGE)} as exc:"):
                # -1e9999999 rounds past the exponent limit
                em.line(f"{out} = MISSING")
                em.line(f"ctx.note({em.ref(out_of_range)}('-', ({v},), exc))")
        return out

    return emit


def logic(op: str, left: Emit, right: Emit) -> Emit:
    """Kleene and/or with short-circuit."""
    stop = "False" if op == "and" else "True"
    other = "True" if op == "and" else "False"

    def emit(em: Emitter) -> str:
        if em.plain:
            return f"({left(em)} {op} {right(em)})"
        out = em.tmp()
        a = left(em)
        with em.block(f"if {a} is {stop}:"):
            em.line(f"{out} = {stop}")
        with em.block("else:"):
            b = right(em)
            kleene = (f"{stop} if {b} is {stop} else "
                      f"(MISSING if {a} is MISSING or {b} is MISSING else {other})")
            if op == "and":  # both true, the usual case of a rule that holds, first
                kleene = f"True if {b} is True and {a} is True else ({kleene})"
            em.line(f"{out} = {kleene}")
        return out

    return emit


def listing(items: list[Emit]) -> Emit:
    def emit(em: Emitter) -> str:
        names = [i(em) for i in items]
        out = em.tmp()
        em.line(f"{out} = [{', '.join(names)}]")
        return out

    return emit


def concatenation(left: Emit, right: Emit) -> Emit:
    def emit(em: Emitter) -> str:
        a, b = left(em), right(em)
        out = em.tmp()
        em.line(f'{out} = MISSING if {a} is MISSING or {b} is MISSING else f"{{{a}}}{{{b}}}"')
        return out

    return emit


def condition(test: Emit, then: Emit, other: Emit) -> Emit:
    def emit(em: Emitter) -> str:
        if em.plain:
            return f"({then(em)} if {test(em)} else {other(em)})"
        out = em.tmp()
        t = test(em)
        with em.block(f"if {t} is MISSING:"):
            em.line(f"{out} = MISSING")
        with em.block(f"elif {t}:"):
            em.line(f"{out} = {then(em)}")
        with em.block("else:"):
            em.line(f"{out} = {other(em)}")
        return out

    return emit


def _float_of(value: Any) -> float | None:
    """The float that compares with a JSON float exactly as ``value`` compares
    with the decimal the float is written as: one whose shortest form is the
    value itself. None when there is none (more digits than a float carries)."""
    if value.__class__ is bool or value.__class__ not in (int, Decimal):
        return None
    try:
        f = float(value)
    except (OverflowError, ValueError):
        return None
    return f if Decimal(repr(f)) == value else None


def number_compare(op: str, left: Chain | None, lconst: Any, right: Chain | None,
                   rconst: Any, general: Emit) -> Emit:
    """A number of the filing compared with a constant or with another number of
    the filing, in the fast form, without making exact decimals of them: a JSON
    float is the decimal it is written as, and that decimal compares with a
    constant exactly as the float compares with the constant's float (rounding
    to the nearest float keeps the order, and the float's shortest form reads
    back as it); two floats, or two integers, compare directly. Anything else,
    and the traced form, take the general path."""
    fl, fr = _float_of(lconst), _float_of(rconst)

    def plain(em: Emitter) -> str:
        """Two numbers of one class compare directly; a number with a constant,
        as in the branches below: a float with the constant's float (an integer
        when the constant has no float)."""
        a = plain_member(em, left) if left is not None else None
        b = plain_member(em, right) if right is not None else None
        if a is not None and b is not None:
            em.assume(f"{a}.__class__ is {b}.__class__ and {a}.__class__ in "
                      f"{em.ref((float, int))}")
            return f"{a} {op} {b}"
        num, const, f = (a, rconst, fr) if a is not None else (b, lconst, fl)
        assert num is not None

        def side(c: Any) -> str:
            return f"{num} {op} {em.ref(c)}" if a is not None else f"{em.ref(c)} {op} {num}"

        if f is None:
            em.assume(f"{num}.__class__ is int")
            return side(const)
        em.assume(f"{num}.__class__ is float")  # an integer takes the three-valued code
        return side(f)

    def emit(em: Emitter) -> str:
        if em.plain:
            return plain(em)
        if em.traced:
            return general(em)
        a = raw_object(em, left) if left is not None else None
        b = raw_object(em, right) if right is not None else None
        out = em.tmp()
        if a is not None and b is not None:
            branches = [(f"{a}.__class__ is {b}.__class__ and {a}.__class__ in "
                         f"{em.ref((float, int))}", f"{a} {op} {b}")]
        elif a is not None:
            branches = [(f"{a}.__class__ is int", f"{a} {op} {em.ref(rconst)}")]
            if fr is not None:
                branches.insert(0, (f"{a}.__class__ is float", f"{a} {op} {em.ref(fr)}"))
        else:
            assert b is not None
            branches = [(f"{b}.__class__ is int", f"{em.ref(lconst)} {op} {b}")]
            if fl is not None:
                branches.insert(0, (f"{b}.__class__ is float", f"{em.ref(fl)} {op} {b}"))
        for n, (test, code) in enumerate(branches):
            with em.block(f"{'if' if n == 0 else 'elif'} {test}:"):
                em.line(f"{out} = {code}")
        with em.block("else:"):
            em.line(f"{out} = {general(em)}")
        return out

    return emit
