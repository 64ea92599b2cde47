"""Forward chaining over one filing.

Derive rules run first, in the order the loader fixed: topologically by the
facts they read (cycles are refused at load time), ties broken by their order
in the rule files. One pass in that order reaches the fixpoint, because no
derive rule can read a fact that a later one produces. Check rules then read
the filing and the derived facts and report.

A rule is evaluated once per instance of its entity. Evaluation is cheap and
records nothing; only when a check reports something is it evaluated again
with a trace, to collect the values it read. A derived fact keeps the rules
that produced it; its own proof is traced only when a finding needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from esgcheck.engine.expr.compiler import Context, FactRead, FactStore, TraceEntry
from esgcheck.engine.expr.types import BOOLEAN
from esgcheck.engine.expr.values import MISSING, display
from esgcheck.engine.filing_types import Entity
from esgcheck.engine.rulebase import CompiledRule, TypeRules

JsonPath = tuple[str | int, ...]
Instance = tuple[JsonPath, Any, tuple[tuple[Any, JsonPath], ...]]  # path, object, enclosing


class EvaluationLimitError(Exception):
    """More rule evaluations than the configured bound: the filing is not assessed."""


@dataclass
class Hit:
    """A check rule that reported something on one entity instance."""

    rule: CompiledRule
    outcome: Literal["breach", "not_assessable"]
    path: JsonPath
    trace: list[TraceEntry]
    params: dict[str, str]


@dataclass
class Proof:
    """Why a derived fact holds: the rules that produced it and what they read."""

    name: str
    path: JsonPath
    value: Any
    rules: list[str]
    trace: list[TraceEntry]
    because: list[Proof] = field(default_factory=list)


def resolve(doc: Any, path: JsonPath) -> Any:
    node = doc
    for key in path:
        node = node[key]
    return node


def instances(doc: Any, pattern: tuple[str, ...]) -> list[tuple[JsonPath, Any]]:
    """Every object of the filing that matches an entity pattern, in document
    order: one level of the pattern at a time, without recursion."""
    level: list[tuple[JsonPath, Any]] = [((), doc)]
    for key in pattern:
        nxt: list[tuple[JsonPath, Any]] = []
        if key == "*":
            for path, node in level:
                if node.__class__ is list:
                    nxt.extend(((*path, n), item) for n, item in enumerate(node))
        else:
            for path, node in level:
                if node.__class__ is dict and key in node:
                    nxt.append(((*path, key), node[key]))
        level = nxt
    return [(path, node) for path, node in level if node.__class__ is dict]


class Evaluation:
    """One filing under one rule base's rules for its type."""

    def __init__(self, doc: Any, rules: TypeRules, entities: dict[str, Entity],
                 as_of: date | None, max_steps: int = 1_000_000) -> None:
        self.doc = doc
        self.rules = rules
        self.entities = entities
        self.as_of = as_of
        self.max_steps = max_steps
        self.steps = 0
        self.store = FactStore()
        self.sources: dict[tuple[JsonPath, str], list[CompiledRule]] = {}
        self.ctx = Context(doc, self.store, as_of, rules.slots)
        self._instances: dict[str, list[Instance]] = {}
        self._proofs: dict[tuple[JsonPath, str], Proof] = {}
        self._resolved: dict[JsonPath, Any] = {}

    # -- instances
    def instances_of(self, entity: Entity) -> list[Instance]:
        """The entity's instances in document order, each with its enclosing
        entities' objects and paths, found once per filing."""
        found = self._instances.get(entity.name)
        if found is None:
            found = [(path, obj, self.ancestors(entity, path))
                     for pattern in entity.patterns for path, obj in instances(self.doc, pattern)]
            self._instances[entity.name] = found
        return found

    def ancestors(self, entity: Entity, path: JsonPath) -> tuple[tuple[Any, JsonPath], ...]:
        bound: list[tuple[Any, JsonPath]] = []
        for name in entity.ancestors:
            cut = self.entities[name].prefix_of(path)
            found = self._resolved.get(cut)
            if found is None:
                found = self._resolved[cut] = resolve(self.doc, cut)
            bound.append((found, cut))
        return tuple(bound)

    def bind(self, rule: CompiledRule, instance: Instance) -> None:
        path, obj, ancestors = instance
        ctx = self.ctx
        ctx.env[1] = obj
        ctx.paths[1] = path
        ctx.bound = 2 + len(ancestors)
        for i, (found, cut) in enumerate(ancestors):
            ctx.env[2 + i] = found
            ctx.paths[2 + i] = cut

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise EvaluationLimitError(
                f"more than {self.max_steps} rule evaluations; the filing is too large "
                "for the configured limit")

    # -- the run
    def run(self, active: set[str] | None = None) -> list[Hit]:
        for rule in self.rules.derive:
            if active is None or rule.id in active:
                self.derive(rule)
        hits: list[Hit] = []
        for rule in self.rules.check:
            if active is None or rule.id in active:
                hits.extend(self.check(rule))
        return hits

    def evaluate(self, rule: CompiledRule) -> Any:
        """None when the guard is false (the rule does not apply), else the body's
        value in Kleene logic: MISSING when the guard cannot be decided."""
        ctx = self.ctx
        if ctx.trace is None:
            return rule.run(ctx)
        if rule.guard is not None:
            g = rule.guard(ctx)
            if g is False:
                return None
            if g is MISSING:
                return MISSING
        return rule.body(ctx)

    def derive(self, rule: CompiledRule) -> None:
        name = rule.spec.derive
        assert name is not None
        boolean = self.rules.facts[name].type is BOOLEAN
        values = self.store.values
        for instance in self.instances_of(rule.entity):
            self.step()
            self.bind(rule, instance)
            path = instance[0]
            value = rule.run(self.ctx)
            if value is None:  # the guard is false
                if not boolean:
                    continue
                value = False
            key = (path, name)
            if boolean:
                old = values.get(key, False)
                if old is True or value is True:
                    values[key] = True
                elif old is MISSING or value is MISSING:
                    values[key] = MISSING
                else:
                    values[key] = False
                if value is not False:
                    self.sources.setdefault(key, []).append(rule)
            else:
                values[key] = value
                self.sources.setdefault(key, []).append(rule)

    def check(self, rule: CompiledRule) -> Iterator[Hit]:
        ctx = self.ctx
        for instance in self.instances_of(rule.entity):
            self.step()
            self.bind(rule, instance)
            path = instance[0]
            result = self.evaluate(rule)
            if result is True or result is None:
                continue
            trace: list[TraceEntry] = []
            ctx.trace = trace
            self.evaluate(rule)
            ctx.trace = []
            params = {name: display(fn(ctx)) for name, fn in rule.params.items()}
            ctx.trace = None
            yield Hit(rule, "breach" if result is False else "not_assessable", path, trace,
                      params)

    # -- proofs
    def proof(self, read: FactRead) -> Proof:
        key = (read.path, read.name)
        known = self._proofs.get(key)
        if known is not None:
            return known
        value = self.store.values.get(key, read.value)
        proof = Proof(read.name, read.path, value, [], [])
        self._proofs[key] = proof
        for rule in self.sources.get(key, []):
            self.step()
            self.bind(rule, (read.path, resolve(self.doc, read.path),
                             self.ancestors(rule.entity, read.path)))
            saved, self.ctx.trace = self.ctx.trace, []
            self.evaluate(rule)
            trace, self.ctx.trace = self.ctx.trace, saved
            proof.rules.append(rule.id)
            proof.trace.extend(trace)
            for entry in trace:
                if isinstance(entry, FactRead):
                    proof.because.append(self.proof(entry))
        return proof
