"""The loops over an entity's instances that the rules of a filing type run in
(untraced, see codegen): one per entity for its check rules, one per derive
rule. Each binds an instance once for all the code it runs on it."""

from __future__ import annotations

from esgcheck.engine.expr.codegen import (
    Emit,
    Emitter,
    RuleEmit,
    RuleModule,
    emit_rule,
)


def add_entity_runner(module: RuleModule, rules: list[RuleEmit], ancestors: int) -> int:
    """A function ``run(ctx, instances, on, hits)`` that evaluates several check
    rules of one entity on each of its instances in a single loop, untraced.

    ``instances`` are (path, object, ancestors) triples; ``on[i]`` says whether
    rule ``i`` is in force; for every rule in force that does not hold (False
    or MISSING) ``(i, instance number, value)`` is appended to ``hits``.
    Binding the instance once for all its rules, and running them without a
    call each, is what makes the per-instance rules over hundreds of
    measurements cheap. The loop runs every rule without asking whether each
    is on; when some rule is off (by date, or not selected) it hands the run
    to a second function of the module, whose loop asks ``on[i]``."""
    em = Emitter(module)
    _loop(em, rules, ancestors, ask=True)
    asking = module.add(em, "ctx, instances, on, hits", loop=True)
    em = Emitter(module)
    with em.block("if False in on:"):
        em.line(f"return f{asking}(ctx, instances, on, hits)")
    _loop(em, rules, ancestors, ask=False)
    return module.add(em, "ctx, instances, on, hits", loop=True)


def _loop(em: Emitter, rules: list[RuleEmit], ancestors: int, ask: bool) -> None:
    """The loop over the instances; ``ask``: each rule runs only when ``on`` says so."""
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
                if ask:
                    with em.block(f"if on[{i}]:"):
                        _check(em, i, guard, body)
                else:
                    _check(em, i, guard, body)
        _unbind_if_unused(em, bound)


def _check(em: Emitter, i: int, guard: Emit | None, body: Emit) -> None:
    """Statements appending rule ``i``'s hit on instance ``n`` to ``hits``: what
    emit_rule leaves, without naming it (None: the guard is false, no hit).
    Where the rule has a plain form (see Emitter.plain_form), it runs when its
    tests pass: the members it reads are there and of their types, so nothing
    is MISSING and the verdict is two-valued; the three-valued code runs
    otherwise."""
    plain = em.plain_form([body] if guard is None else [guard, body])
    if plain is None:
        _kleene(em, i, guard, body)
        return
    (*holds, value), tests = plain
    fails = " and ".join([*holds, f"not {value}"])
    if not tests:
        with em.block(f"if {fails}:"):
            em.line(f"hits.append(({i}, n, False))")
        return
    with em.block(f"if {' and '.join(tests)}:"), em.block(f"if {fails}:"):
        em.line(f"hits.append(({i}, n, False))")
    with em.block("else:"):  # rarely taken: its values are not worked out for every instance
        em.share = False
        try:
            _kleene(em, i, guard, body)
        finally:
            em.share = True


def _kleene(em: Emitter, i: int, guard: Emit | None, body: Emit) -> None:
    """The three-valued statements of ``_check``."""

    def hit(value: str) -> None:
        value = value if value.isidentifier() else f"({value})"
        with em.block(f"if {value} is not True and {value} is not None:"):
            em.line(f"hits.append(({i}, n, {value}))")

    if guard is None:
        hit(body(em))
        return
    g = guard(em)
    g = g if g.isidentifier() else f"({g})"
    with em.block(f"if {g} is MISSING:"):
        em.line(f"hits.append(({i}, n, MISSING))")
    with em.block(f"elif {g} is not False:"):
        hit(body(em))


def _bind(em: Emitter, ancestors: int) -> tuple[int, int]:
    """Statements binding the instance and its enclosing entities to their
    slots; where they begin and end."""
    at = len(em.lines)
    em.line("env[1] = obj")
    em.line("paths[1] = path")
    for i in range(ancestors):
        em.line(f"env[{2 + i}], paths[{2 + i}] = anc[{i}]")
    return at, len(em.lines)


def _unbind_if_unused(em: Emitter, bound: tuple[int, int]) -> None:
    """Leaves out the binding statements (lines ``bound``) when the code after
    them reads neither the slots nor hands the context on: the instance is then
    read only through its local names. (A hit is evaluated again with its
    instance bound, see chain.Evaluation.hit; the hoisted reads are placed after
    the binding, so the lines stay where they were.)"""
    em.unbind_if_unused(*bound)


def add_derive_runner(module: RuleModule, guard: Emit | None, body: Emit, ancestors: int,
                      boolean: bool) -> int:
    """A function ``run(ctx, instances, key_name, values)`` that evaluates one
    derive rule on every instance of its entity in a single loop, untraced, and
    stores what it derives as ``chain.Evaluation.derive`` says: a value (when
    the guard holds) for ``(path, key_name)`` in ``values``; for a true/false
    fact, the Kleene ``or`` of what the fact's rules gave (a false guard gives
    false). Which rules gave a fact its value is found again only for a proof
    (chain.Evaluation.sources)."""
    em = Emitter(module)
    em.line("env = ctx.env")
    em.line("paths = ctx.paths")
    em.line("facts = ctx.facts.values")
    em.runner = True
    em.line(f"ctx.bound = {2 + ancestors}")
    with em.block("for path, obj, anc in instances:"):
        bound = _bind(em, ancestors)
        with em.hoisting(range(1, 2 + ancestors), {1: "obj"}):
            if guard is None:  # the body's value, named as it is
                out = body(em)
                out = out if out.isidentifier() else f"({out})"
            else:
                out = em.tmp()
                emit_rule(em, guard, body, out)
            if boolean:
                with em.block(f"if {out} is True:"):
                    em.line("values[(path, key_name)] = True")
                with em.block("else:"):  # False, None (the guard is false) or MISSING
                    em.line("key = (path, key_name)")
                    em.line("old = values.get(key, False)")
                    with em.block("if old is not True:"):
                        em.line(f"values[key] = MISSING if {out} is MISSING or old is MISSING "
                                "else False")
            else:
                with em.block(f"if {out} is not None:"):
                    em.line(f"values[(path, key_name)] = {out}")
        _unbind_if_unused(em, bound)
    return module.add(em, "ctx, instances, key_name, values", loop=True)
