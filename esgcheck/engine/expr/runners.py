"""The loops over an entity's instances that the rules of a filing type run in
(untraced, see codegen): one per entity for its check rules, one per derive
rule. Each binds an instance once for all the code it runs on it."""

from __future__ import annotations

import re

from esgcheck.engine.expr.codegen import Emit, Emitter, RuleEmit, RuleModule, emit_rule


def add_entity_runner(module: RuleModule, rules: list[RuleEmit], ancestors: int) -> int:
    """A function ``run(ctx, instances, on, hits)`` that evaluates several check
    rules of one entity on each of its instances in a single loop, untraced.

    ``instances`` are (path, object, ancestors) triples; ``on[i]`` says whether
    rule ``i`` is in force; for every rule that does not hold (False or MISSING)
    ``(i, instance number, value)`` is appended to ``hits``. Binding the instance
    once for all its rules, and running them without a call each, is what makes
    the per-instance rules over hundreds of measurements cheap."""
    em = Emitter(module)
    em.line("env = ctx.env")
    em.line("paths = ctx.paths")
    em.line("facts = ctx.facts.values")
    em.runner = True
    em.line(f"ctx.bound = {2 + ancestors}")
    with em.block("for n, (path, obj, anc) in enumerate(instances):"):
        bound = _bind(em, ancestors)
        # an instance is always an object (see chain.instances)
        with em.hoisting(range(1, 2 + ancestors), {1: "obj"}):
            for i, (guard, body) in enumerate(rules):
                with em.block(f"if on[{i}]:"):
                    out = em.tmp()
                    emit_rule(em, guard, body, out)
                    with em.block(f"if {out} is not True and {out} is not None:"):
                        em.line(f"hits.append(({i}, n, {out}))")
        _unbind_if_unused(em, bound)
    return module.add(em, "ctx, instances, on, hits")


def _bind(em: Emitter, ancestors: int) -> tuple[int, int]:
    """Statements binding the instance and its enclosing entities to their
    slots; where they begin and end."""
    at = len(em.lines)
    em.line("env[1] = obj")
    em.line("paths[1] = path")
    for i in range(ancestors):
        em.line(f"env[{2 + i}], paths[{2 + i}] = anc[{i}]")
    return at, len(em.lines)


# code that reads the bound slots, or hands the context to a helper that may
_READS_SLOTS = re.compile(r"\benv\b|\bpaths\b|ctx\.(?!note\(|converted\b|facts\b)|\bctx\b(?!\.)")


def _unbind_if_unused(em: Emitter, bound: tuple[int, int]) -> None:
    """Leaves out the binding statements (lines ``bound``) when the code after
    them reads neither the slots nor hands the context on: the instance is then
    read only through its local names. (A hit is evaluated again with its
    instance bound, see chain.Evaluation.hit; the hoisted reads are placed after
    the binding, so the lines stay where they were.)"""
    at, end = bound
    if not any(_READS_SLOTS.search(line) for line in em.lines[end:]):
        del em.lines[at:end]


def add_derive_runner(module: RuleModule, guard: Emit | None, body: Emit, ancestors: int,
                      boolean: bool) -> int:
    """A function ``run(ctx, instances, key_name, values, sources, tried, rule)``
    that evaluates one derive rule on every instance of its entity in a single
    loop, untraced, and stores what it derives as ``chain.Evaluation.derive``
    says: a value (when the guard holds) for ``(path, key_name)`` in ``values``
    with ``rule`` among its ``sources``; for a true/false fact, the Kleene
    ``or`` of what the fact's rules gave, ``rule`` among its sources unless it
    gave false, else among those that ``tried``."""
    em = Emitter(module)
    em.line("env = ctx.env")
    em.line("paths = ctx.paths")
    em.line("facts = ctx.facts.values")
    em.runner = True
    em.line(f"ctx.bound = {2 + ancestors}")
    with em.block("for path, obj, anc in instances:"):
        bound = _bind(em, ancestors)
        with em.hoisting(range(1, 2 + ancestors), {1: "obj"}):
            out = em.tmp()
            emit_rule(em, guard, body, out)
            if boolean:
                with em.block(f"if {out} is None:"):  # the guard is false
                    em.line(f"{out} = False")
            else:
                with em.block(f"if {out} is None:"):
                    em.line("continue")
            em.line("key = (path, key_name)")
            if boolean:
                em.line("old = values.get(key, False)")
                with em.block(f"if old is True or {out} is True:"):
                    em.line("values[key] = True")
                with em.block(f"elif old is MISSING or {out} is MISSING:"):
                    em.line("values[key] = MISSING")
                with em.block("else:"):
                    em.line("values[key] = False")
                em.line(f"(sources if {out} is not False else tried)"
                        ".setdefault(key, []).append(rule)")
            else:
                em.line(f"values[key] = {out}")
                em.line("sources.setdefault(key, []).append(rule)")
        _unbind_if_unused(em, bound)
    return module.add(em, "ctx, instances, key_name, values, sources, tried, rule")
