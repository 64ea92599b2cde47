"""Straight-line Python for the hot path of rule evaluation.

The closures of ``compiler`` are the reference semantics and the only ones that
record evidence. For the first, untraced evaluation of a rule on an instance,
the compiler can also describe each node as a few statements; this module
assembles them into one Python function per rule, compiled once with the
rule base. That removes a closure call per node, which is most of the cost when
a rule runs on every one of 160 pollutant measurements.

Members of the bound entities (``concentration``, ``outlet.code``) are read once
per instance at the top of the function and shared by every rule that reads
them, instead of once per mention; each read is a pure dictionary lookup.

Nothing from a rule file is pasted into the generated text: names, keys and
constants live in the function's namespace and are referred to by generated
identifiers, so the source is made only of this module's templates.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from esgcheck.engine.expr.values import MISSING

Emit = Callable[["Emitter"], str]

# Small functions the generated code spells out instead of calling, each with
# an expression template over its arguments' names (which are plain names, so
# using one twice evaluates nothing twice). Filled in by the modules that define
# the functions; every entry must mean exactly what the function does.
INLINE: dict[Callable[..., Any], str] = {}


class Emitter:
    """Collects statements and the namespace they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1
        self.ns: dict[str, Any] = {"MISSING": MISSING}
        self._n = 0
        # values read once, at ``_hoist_at`` (see hoisting): what each is -> its name
        self._names: dict[Hashable, str] | None = None
        self._hoisted_names: set[str] = set()
        self._hoisted: list[str] = []  # their assignments
        self._slots: range = range(0)
        self._objects: dict[int, str] = {}  # slots bound to a name known to hold an object
        self._hoist_at = (0, 0)

    def tmp(self) -> str:
        self._n += 1
        return f"t{self._n}"

    def ref(self, value: Any) -> str:
        """A name for ``value`` in the generated function's namespace."""
        self._n += 1
        name = f"k{self._n}"
        self.ns[name] = value
        return name

    def call(self, fn: Callable[..., Any], *args: str) -> str:
        """An expression calling ``fn``: its inline form when it has one."""
        template = INLINE.get(fn)
        if template is not None:
            return "(" + template.format(*args) + ")"
        return f"{self.ref(fn)}({', '.join(args)})"

    def member(self, slot: int | None, key: str) -> str | None:
        """A name holding ``env[slot].get(key)`` (None when ``env[slot]`` is not
        an object), read once where hoisting began; None when the slot is not
        one that stays bound for the whole of the generated code."""
        if self._names is None or slot is None or slot not in self._slots:
            return None
        obj = self._objects.get(slot)
        return self._hoist((slot, key), lambda: (
            f"{obj}.get({self.ref(key)})" if obj is not None
            else f"env[{slot}].get({self.ref(key)}) if env[{slot}].__class__ is dict else None"))

    def part(self, member: str, key: str) -> str | None:
        """A name holding ``member.get(key)`` (None when the member is not an
        object), read once with the member itself; None when ``member`` is not a
        name hoisted here."""
        return self.derived(member, ("get", key), lambda: (
            f"{member}.get({self.ref(key)}) if {member}.__class__ is dict else None"))

    def derived(self, member: str, key: Hashable, code: Callable[[], str]) -> str | None:
        """A name holding ``code()``, an expression of ``member`` alone, worked
        out once where hoisting began; ``key`` says what the expression is. None
        when ``member`` is not a name hoisted here."""
        if self._names is None or member not in self._hoisted_names:
            return None
        return self._hoist((member, key), code)

    def _hoist(self, key: Hashable, code: Callable[[], str]) -> str:
        assert self._names is not None
        name = self._names.get(key)
        if name is None:
            self._n += 1
            name = self._names[key] = f"m{self._n}"
            self._hoisted_names.add(name)
            self._hoisted.append(f"{name} = {code()}")
        return name

    @contextmanager
    def hoisting(self, slots: range, objects: dict[int, str] | None = None) -> Iterator[None]:
        """Within the block, reads of the members of ``slots`` (the entity and its
        enclosing entities, bound before this point and not rebound until the
        block ends) are collected and placed here, ahead of the block's code.
        ``objects`` names slots whose object is already in a local and is known
        to be a dictionary."""
        self._names, self._slots, self._objects = {}, slots, objects or {}
        self._hoist_at = (len(self.lines), self.depth)
        try:
            yield
        finally:
            at, depth = self._hoist_at
            self.lines[at:at] = ["    " * depth + text for text in self._hoisted]
            self._names, self._slots, self._objects = None, range(0), {}
            self._hoisted, self._hoisted_names = [], set()

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1


def closure_call(fn: Callable[[Any], Any]) -> Emit:
    """The fallback: call the node's closure."""

    def emit(em: Emitter) -> str:
        out = em.tmp()
        em.line(f"{out} = {em.ref(fn)}(ctx)")
        return out

    return emit


def emit_rule(em: Emitter, guard: Emit | None, body: Emit, out: str) -> None:
    """Statements that leave in ``out`` what ``run`` below returns: None when the
    guard is false, MISSING when it cannot be decided, else the body's value."""
    if guard is None:
        em.line(f"{out} = {body(em)}")
        return
    g = guard(em)
    with em.block(f"if {g} is False:"):
        em.line(f"{out} = None")
    with em.block(f"elif {g} is MISSING:"):
        em.line(f"{out} = MISSING")
    with em.block("else:"):
        em.line(f"{out} = {body(em)}")


def _define(em: Emitter, header: str, label: str) -> Callable[..., Any]:
    source = header + "\n" + "\n".join(em.lines) + "\n"
    code = compile(source, label, "exec")
    namespace = dict(em.ns)
    exec(code, namespace)  # the source is built only from this module's templates
    fn: Callable[..., Any] = namespace["run"]
    return fn


def build_rule(name: str, guard: Emit | None, body: Emit, ancestors: int = 0
               ) -> Callable[[Any], Any]:
    """One function ``run(ctx)``: None when the guard is false, else the body's
    value in three-valued logic (MISSING when the guard cannot be decided)."""
    em = Emitter()
    em.line("env = ctx.env")
    with em.hoisting(range(1, 2 + ancestors)):
        emit_rule(em, guard, body, "result")
    em.line("return result")
    return _define(em, "def run(ctx):", f"<rule {name}>")


RuleEmit = tuple[Emit | None, Emit]


def build_entity_runner(entity: str, rules: list[RuleEmit], ancestors: int
                        ) -> Callable[[Any, Any, Any, Any], None]:
    """One function ``run(ctx, instances, on, hits)`` that evaluates several check
    rules of one entity on each of its instances in a single loop, untraced.

    ``instances`` are (path, object, ancestors) triples; ``on[i]`` says whether
    rule ``i`` is in force; for every rule that does not hold (False or MISSING)
    ``(i, instance number, value)`` is appended to ``hits``. Binding the instance
    once for all its rules, and running them without a call each, is what makes
    the per-instance rules over hundreds of measurements cheap."""
    em = Emitter()
    em.line("env = ctx.env")
    em.line("paths = ctx.paths")
    em.line(f"ctx.bound = {2 + ancestors}")
    with em.block("for n, (path, obj, anc) in enumerate(instances):"):
        em.line("env[1] = obj")
        em.line("paths[1] = path")
        for i in range(ancestors):
            em.line(f"env[{2 + i}], paths[{2 + i}] = anc[{i}]")
        # an instance is always an object (see chain.instances)
        with em.hoisting(range(1, 2 + ancestors), {1: "obj"}):
            for i, (guard, body) in enumerate(rules):
                with em.block(f"if on[{i}]:"):
                    out = em.tmp()
                    emit_rule(em, guard, body, out)
                    with em.block(f"if {out} is not True and {out} is not None:"):
                        em.line(f"hits.append(({i}, n, {out}))")
    return _define(em, "def run(ctx, instances, on, hits):", f"<entity {entity}>")
