"""Generated Python for rule evaluation: the one back end of the expression
language.

Every node of a type-checked expression describes itself as a few statements
(``emit``); this module collects them into functions. The same walk writes two
forms of each expression:

* the fast form (``traced`` false), used for every rule on every instance:
  members of the bound entities (``concentration``, ``outlet.code``) are read
  once per instance at the top of the function and shared by every rule that
  reads them, quantities in the same unit compare by their numbers, and nothing
  is recorded;
* the traced form, used again only where a check reported something (and for
  the proofs of the facts it read, and for why-not): every field and fact read
  is recorded as evidence, step by step, in ``ctx.trace``.

Within the fast form, a check rule of a loop over instances also gets a plain
form where its emitters can write one (``Emitter.plain``): one two-valued
Python expression, true or false, valid under tests of the members it reads
(each of the expected type: a text, a true/false, a number of one class). The
loop takes it when the tests pass and the three-valued code otherwise, so the
verdict is the same either way (see runners).

The fast functions of a rule base's filing type are written into one module
and compiled once (``RuleModule``); a traced function is compiled the first
time it is needed.

Nothing from a rule file is pasted into the generated text: names, keys and
constants live in the functions' namespace and are referred to by generated
identifiers, so the source is made only of the emitters' templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from esgcheck.engine.expr.codecache import cached_compile
from esgcheck.engine.expr.values import MISSING

Emit = Callable[["Emitter"], str]

# code that reads the bound slots, or hands the context to a helper that may
READS_SLOTS = re.compile(r"\benv\b|\bpaths\b|ctx\.(?!note\(|converted\b|facts\b)|\bctx\b(?!\.)")

_NAMES = re.compile(r"\b(?:k\d+|MISSING)\b")  # the namespace's values, as code names them

# Small functions the generated code spells out instead of calling, each with
# an expression template over its arguments' names (which are plain names, so
# using one twice evaluates nothing twice). Filled in by the modules that define
# the functions; every entry must mean exactly what the function does.
INLINE: dict[Callable[..., Any], str] = {}


# Whether loops write the plain form of a rule where it has one (see
# Emitter.plain_form); tests switch it off to compare the verdicts without it.
PLAIN_FORM = True


class NotPlain(Exception):
    """Raised by an emitter asked for its plain form when it has none (see
    Emitter.plain_form)."""


class RuleModule:
    """The namespace and source of functions compiled together."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.ns: dict[str, Any] = {"MISSING": MISSING}
        self.refs: dict[int, str] = {}  # id of a value -> its name (values are kept in ns)
        self.sources: list[str] = []
        self.names: list[str] = []
        self._n = 0

    def ref(self, value: Any) -> str:
        """A name for ``value`` in the namespace, one per value."""
        name = self.refs.get(id(value))
        if name is None:
            self._n += 1
            name = self.refs[id(value)] = f"k{self._n}"
            self.ns[name] = value
        return name

    def add(self, em: Emitter, params: str, loop: bool = False) -> int:
        """Adds the emitter's statements as a function; its number. In a ``loop``
        (a function that runs its code on many instances in one call), the
        values of the namespace it reads (``MISSING``, the ``k`` names) are
        copied into locals of the same names first, from ``globals()``: the
        loop then reads them faster than globals. (Not as parameters' defaults:
        a function is kept in the cache of built rule bases as its code and
        namespace alone.)"""
        n = len(self.names)
        name = f"f{n}"
        self.names.append(name)
        body = "\n".join(em.lines)
        if loop:
            used = sorted(set(_NAMES.findall(body)), key=lambda k: (len(k), k))
            if used:
                body = ("    g_ = globals()\n    " + ", ".join(used) + " = "
                        + ", ".join(f"g_[{k!r}]" for k in used) + ("," if len(used) == 1 else "")
                        + "\n" + body)
        self.sources.append(f"def {name}({params}):\n{body}\n")
        return n

    def compile(self) -> list[Callable[..., Any]]:
        """The functions, in the order they were added, compiled in one go: the
        code object comes from the cache when this very source was compiled
        before (see code_cache)."""
        code = cached_compile("\n".join(self.sources), f"<rules {self.label}>")
        exec(code, self.ns)  # the source is built only from the emitters' templates
        return [self.ns[name] for name in self.names]


class Emitter:
    """Collects the statements of one function."""

    def __init__(self, module: RuleModule, traced: bool = False) -> None:
        self.module = module
        self.traced = traced
        self.lines: list[str] = []
        self.depth = 1
        self._n = 0
        # values read once, at ``_hoist_at`` (see hoisting): what each is -> its name
        self._names: dict[Hashable, str] | None = None
        self._hoisted_names: set[str] = set()
        self._hoisted: list[str] = []  # their assignments
        self._slots: range = range(0)
        self._objects: dict[int, str] = {}  # slots bound to a name known to hold an object
        self._hoist_at = (0, 0)
        # a loop over instances (see runners.add_entity_runner): ``path``, ``paths`` and
        # ``facts`` (the fact store's values) are locals
        self.runner = False
        # slots whose value the fast form holds in a local (a quantifier's item)
        self.locals: dict[int, str] = {}
        # quantifier slots whose item's path the fast form holds in a local
        self.item_paths: dict[int, str] = {}
        # the plain form (see plain_form): emitters return one expression, never
        # MISSING, under the tests in ``assumed``; one that cannot raises NotPlain
        self.plain = False
        self.assumed: list[str] = []
        # whether a member's value (its conversion, a class test) is worked out
        # once for all rules (see emit.field): not in the three-valued code a
        # plain form falls back to, where the test is repeated instead
        self.share = True

    def slot_value(self, n: int) -> str:
        """Code for the value bound to slot ``n``: in the fast form, the local
        that holds it where there is one (a quantifier's item; in a loop over
        instances, the instance and its enclosing entities)."""
        if not self.traced:
            name = self.locals.get(n)
            if name is not None:
                return name
            if self.runner and self._names is not None and n in self._slots:
                return "obj" if n == 1 else self.enclosing(n, 0) or f"env[{n}]"
        return f"env[{n}]"

    def item_path(self, n: int) -> str | None:
        """Code for the path of the item bound to quantifier slot ``n``, where
        the fast form knows it without asking the context (see emit_loops.each)."""
        return None if self.traced else self.item_paths.get(n)

    def slot_path(self, n: int) -> str:
        """Code for the path of the entity bound to slot ``n`` (see slot_value)."""
        if not self.traced and self.runner and self._names is not None and n in self._slots:
            return "path" if n == 1 else self.enclosing(n, 1) or f"ctx.paths[{n}]"
        return f"ctx.paths[{n}]"

    def unbind_if_unused(self, at: int, end: int) -> None:
        """Leaves out the binding statements (lines ``at`` to ``end``) when the
        code after them reads neither the slots nor hands the context on: the
        values are then read only through local names (fast form)."""
        if not any(READS_SLOTS.search(line) for line in self.lines[end:]):
            del self.lines[at:end]

    def tmp(self) -> str:
        self._n += 1
        return f"t{self._n}"

    def ref(self, value: Any) -> str:
        """A name for ``value`` in the generated function's namespace."""
        return self.module.ref(value)

    def present(self, name: str) -> bool:
        """Whether ``name`` is a constant of the namespace that is not MISSING:
        a test of it for MISSING can be left out."""
        value = self.module.ns.get(name, MISSING) if name.startswith("k") else MISSING
        return value is not MISSING

    def unknown(self, names: list[str]) -> str:
        """Code that is true when one of ``names`` is MISSING ("False" when
        none can be)."""
        return " or ".join(f"{n} is MISSING" for n in names if not self.present(n)) or "False"

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
        if obj is not None:
            return self._hoist((slot, key), lambda: f"{obj}.get({self.ref(key)})")
        at = self.enclosing(slot, 0) or f"env[{slot}]"
        return self._hoist((slot, key), lambda: (
            f"{at}.get({self.ref(key)}) if {at}.__class__ is dict else None"))

    def enclosing(self, slot: int, part: int) -> str | None:
        """In a loop over instances, a name holding the object (``part`` 0) or the
        path (1) of the enclosing entity at ``slot``, taken from the instance's
        ``anc`` once where hoisting began (so that the slots need not be bound);
        None elsewhere."""
        if not self.runner or slot < 2:
            return None
        return self._hoist(("enclosing", slot, part), lambda: f"anc[{slot - 2}][{part}]")

    def fact(self, slot: int, name: str, default: Any) -> str | None:
        """A name holding the fact ``name`` of the entity bound to ``slot`` (0: the
        filing), read once where hoisting began; None when the slot is not one
        that stays bound for the whole of the generated code. (A derive rule
        reads only facts that rules before it derived: none changes while it
        runs, and none while the check rules run.)"""
        if self._names is None or (slot != 0 and slot not in self._slots):
            return None
        if slot == 0:
            at = self.ref(((), name))
        elif self.runner:  # the instance's path and the facts are locals there
            at = f"({'path' if slot == 1 else self.enclosing(slot, 1)}, {self.ref(name)})"
        else:
            at = f"(ctx.paths[{slot}], {self.ref(name)})"
        store = "facts" if self.runner else "ctx.facts.values"
        return self._hoist(("fact", slot, name), lambda: (
            f"{store}.get({at}, {self.ref(default)})"))

    def part(self, member: str, key: str) -> str | None:
        """A name holding ``member.get(key)`` (None when the member is not an
        object), read once with the member itself; None when ``member`` is not a
        name hoisted here."""
        if self._names is None or member not in self._hoisted_names:
            return None
        return self._hoist((member, ("get", key)), lambda: (
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
        to be a dictionary. Traced code reads where the expression reads."""
        if self.traced:
            yield
            return
        self._names, self._slots, self._objects = {}, slots, objects or {}
        self._hoist_at = (len(self.lines), self.depth)
        try:
            yield
        finally:
            at, depth = self._hoist_at
            self.lines[at:at] = ["    " * depth + text for text in self._hoisted]
            self._names, self._slots, self._objects = None, range(0), {}
            self._hoisted, self._hoisted_names = [], set()

    def assume(self, test: str) -> None:
        """In the plain form: the expression being written holds only where
        ``test`` (code over names read once per instance) is true."""
        if test not in self.assumed:
            self.assumed.append(test)

    def plain_form(self, emits: list[Emit]) -> tuple[list[str], list[str]] | None:
        """The plain form of ``emits`` (a rule's guard and body): their
        expressions and the tests under which they hold, or None when an
        emitter has none. Nothing is written but reads placed where hoisting
        began (an emitter writing a statement raises NotPlain, see line); an
        attempt that fails leaves no trace."""
        if self.traced or self._names is None or not PLAIN_FORM:
            return None
        saved = (dict(self._names), set(self._hoisted_names), len(self._hoisted))
        self.plain, self.assumed = True, []
        try:
            return [emit(self) for emit in emits], list(self.assumed)
        except NotPlain:
            self._names, self._hoisted_names = saved[0], saved[1]
            del self._hoisted[saved[2]:]
            return None
        finally:
            self.plain, self.assumed = False, []

    def line(self, text: str) -> None:
        if self.plain:
            raise NotPlain  # an emitter that needs statements has no plain form
        self.lines.append("    " * self.depth + text)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1


def emit_rule(em: Emitter, guard: Emit | None, body: Emit, out: str) -> None:
    """Statements that leave in ``out`` what a rule gives: None when the guard is
    false, MISSING when it cannot be decided, else the body's value."""
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


RuleEmit = tuple[Emit | None, Emit]


def add_rule(module: RuleModule, guard: Emit | None, body: Emit, ancestors: int = 0) -> int:
    """A function ``run(ctx)`` of the rule, untraced: None when the guard is
    false, else the body's value in three-valued logic (MISSING when the guard
    cannot be decided)."""
    em = Emitter(module)
    em.line("env = ctx.env")
    with em.hoisting(range(1, 2 + ancestors)):
        emit_rule(em, guard, body, "result")
    em.line("return result")
    return module.add(em, "ctx")


def build_rule(name: str, guard: Emit | None, body: Emit, ancestors: int = 0
               ) -> Callable[[Any], Any]:
    """One rule's untraced function on its own (see add_rule)."""
    module = RuleModule(name)
    add_rule(module, guard, body, ancestors)
    return module.compile()[0]


def build_traced(name: str, body: Emit) -> Callable[[Any], Any]:
    """One expression's traced function ``run(ctx)``: its value, with what it
    read recorded in ``ctx.trace`` when that is a list (nothing when it is None)."""
    module = RuleModule(name)
    em = Emitter(module, traced=True)
    em.line("env = ctx.env")
    em.line(f"return {body(em)}")
    module.add(em, "ctx")
    return module.compile()[0]
