"""Straight-line Python for the hot path of rule evaluation.

The closures of ``compiler`` are the reference semantics and the only ones that
record evidence. For the first, untraced evaluation of a rule on an instance,
the compiler can also describe each node as a few statements; this module
assembles them into one Python function per rule, compiled once with the
rule base. That removes a closure call per node, which is most of the cost when
a rule runs on every one of 160 pollutant measurements.

Nothing from a rule file is pasted into the generated text: names, keys and
constants live in the function's namespace and are referred to by generated
identifiers, so the source is made only of this module's templates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from esgcheck.engine.expr.values import MISSING

Emit = Callable[["Emitter"], str]


class Emitter:
    """Collects statements and the namespace they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1
        self.ns: dict[str, Any] = {"MISSING": MISSING}
        self._n = 0

    def tmp(self) -> str:
        self._n += 1
        return f"t{self._n}"

    def ref(self, value: Any) -> str:
        """A name for ``value`` in the generated function's namespace."""
        self._n += 1
        name = f"k{self._n}"
        self.ns[name] = value
        return name

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


def build_rule(name: str, guard: Emit | None, body: Emit) -> Callable[[Any], Any]:
    """One function ``run(ctx)``: None when the guard is false, else the body's
    value in three-valued logic (MISSING when the guard cannot be decided)."""
    em = Emitter()
    em.line("env = ctx.env")
    if guard is not None:
        g = guard(em)
        em.line(f"if {g} is False: return None")
        em.line(f"if {g} is MISSING: return MISSING")
    result = body(em)
    em.line(f"return {result}")
    source = "def run(ctx):\n" + "\n".join(em.lines) + "\n"
    code = compile(source, f"<rule {name}>", "exec")
    namespace = dict(em.ns)
    exec(code, namespace)  # the source is built only from this module's templates
    run: Callable[[Any], Any] = namespace["run"]
    return run
