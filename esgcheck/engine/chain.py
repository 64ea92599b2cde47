"""Forward chaining over one filing.

Derive rules run first, in the order the loader fixed: topologically by the
facts they read (cycles are refused at load time), ties broken by their order
in the rule files. One pass in that order reaches the fixpoint, because no
derive rule can read a fact that a later one produces. Check rules then read
the filing and the derived facts and report.

A rule is evaluated once per instance of its entity. Evaluation is cheap and
records nothing; only when a check reports something is it evaluated again
with a trace, to collect the values it read. A derived fact keeps the rules
that produced it, found again (traced) only when a finding needs its proof.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from esgcheck.engine.expr.runtime import Context, FactRead, FactStore, TraceEntry
from esgcheck.engine.expr.values import MISSING, display
from esgcheck.engine.filing_types import Entity
from esgcheck.engine.rulebase import CompiledRule, TypeRules

JsonPath = tuple[str | int, ...]
Instance = tuple[JsonPath, Any, tuple[tuple[Any, JsonPath], ...]]  # path, object, enclosing
Source = tuple[CompiledRule, Any, list[TraceEntry]]  # a rule of a fact, what it gave, its trace


class Stage:
    """Which stage of checking one filing this process is at, so that a fault
    can be reported with the stage it happened in: the checker moves it on as
    the work goes (reading, limits, validation, as-of date, findings, grades),
    and an evaluation sets ``derive`` and ``check`` (see checkerparts.STAGES)."""

    __slots__ = ("name",)

    def __init__(self) -> None:
        self.name = "read"


STAGE = Stage()


class EvaluationLimitError(Exception):
    """More rule evaluations, or more time, than the configured bound: the filing
    is not assessed."""

    def __init__(self, limit: str, value: object) -> None:
        super().__init__(f"{limit} limit {value} exceeded")
        self.limit = limit
        self.value = value


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


def instances(doc: Any, pattern: tuple[str, ...], marks: frozenset[int] = frozenset()
              ) -> list[tuple[JsonPath, Any, tuple[tuple[Any, JsonPath], ...]]]:
    """Every object of the filing that matches an entity pattern, in document
    order: one level of the pattern at a time, without recursion. Each comes with
    the objects it passed through at the depths in ``marks`` (its enclosing
    entities), nearest first."""
    Level = list[tuple[JsonPath, Any, tuple[tuple[Any, JsonPath], ...]]]
    level: Level = [((), doc, ())]
    last = len(pattern)
    for depth, key in enumerate(pattern, 1):
        # one comprehension a level: its items, those kept (only objects at the
        # last level), and the enclosing entity noted where ``marks`` says
        nxt: Level
        mark, want = depth in marks, dict if depth == last else None
        if key == "*":
            if mark:
                nxt = [(at, item, ((item, at), *chain)) for path, node, chain in level
                       if node.__class__ is list for n, item in enumerate(node)
                       if want is None or item.__class__ is want for at in [(*path, n)]]
            else:
                nxt = [((*path, n), item, chain) for path, node, chain in level
                       if node.__class__ is list for n, item in enumerate(node)
                       if want is None or item.__class__ is want]
        else:
            nxt = [((*path, key), node[key], chain) for path, node, chain in level
                   if node.__class__ is dict and key in node
                   and (want is None or node[key].__class__ is want)]
            if mark:
                nxt = [(path, node, ((node, path), *chain)) for path, node, chain in nxt]
        level = nxt
    return level if last else [entry for entry in level if entry[1].__class__ is dict]


class Evaluation:
    """One filing under one rule base's rules for its type."""

    def __init__(self, doc: Any, rules: TypeRules, entities: dict[str, Entity],
                 as_of: date | None, max_steps: int = 1_000_000,
                 max_seconds: float | None = None) -> None:
        self.doc = doc
        self.rules = rules
        self.entities = entities
        self.as_of = as_of
        self.max_steps = max_steps
        self.steps = 0
        self.max_seconds = max_seconds
        self.deadline = None if max_seconds is None else time.monotonic() + max_seconds
        self.store = FactStore()
        self.active: set[str] | None = None  # the rules run (None: all), see run
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
            if len(entity.patterns) == 1:
                found = instances(self.doc, entity.patterns[0], entity.marks[0])
            else:
                found = [instance for pattern, marks in zip(entity.patterns, entity.marks,
                                                            strict=True)
                         for instance in instances(self.doc, pattern, marks)]
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

    def step(self, count: int = 1) -> None:
        """Count rule evaluations against the bound."""
        self.steps += count
        if self.steps > self.max_steps:
            raise EvaluationLimitError("steps", self.max_steps)

    def in_time(self) -> None:
        """Checked between rules: the evaluation of one filing is bounded in time."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise EvaluationLimitError("seconds", self.max_seconds)

    # -- the run
    def run(self, active: set[str] | None = None) -> list[Hit]:
        self.active = active
        STAGE.name = "derive"
        for rule in self.rules.derive:
            if active is None or rule.id in active:
                self.in_time()
                self.derive(rule)
        found: list[tuple[int, int, CompiledRule, Instance, Any]] = []
        STAGE.name = "check"
        for group in self.rules.check_groups:
            on = [active is None or rule.id in active for rule in group.rules]
            if not any(on):
                continue
            insts = self.instances_of(group.entity)
            self.step(len(insts) * sum(on))
            self.in_time()
            raw: list[tuple[int, int, Any]] = []
            group.run(self.ctx, insts, on, raw)
            for i, n, result in raw:
                rule = group.rules[i]
                found.append((rule.order, n, rule, insts[n], result))
        found.sort(key=lambda f: (f[0], f[1]))
        self.in_time()
        return [self.hit(rule, instance, result) for _, _, rule, instance, result in found]

    def hit(self, rule: CompiledRule, instance: Instance, result: Any) -> Hit:
        """A check rule that did not hold on an instance, evaluated again with a
        trace to collect the values it read and its message parameters."""
        ctx = self.ctx
        self.bind(rule, instance)
        trace: list[TraceEntry] = []
        ctx.trace = trace
        self.evaluate(rule)
        ctx.trace = []
        params = {name: display(param.fn(ctx)) for name, param in rule.params.items()}
        ctx.trace = None
        return Hit(rule, "breach" if result is False else "not_assessable", instance[0], trace,
                   params)

    def evaluate(self, rule: CompiledRule) -> Any:
        """None when the guard is false (the rule does not apply), else the body's
        value in Kleene logic: MISSING when the guard cannot be decided."""
        ctx = self.ctx
        if ctx.trace is None:
            return rule.run(ctx)
        if rule.guard is not None:
            g = rule.guard.fn(ctx)
            if g is False:
                return None
            if g is MISSING:
                return MISSING
        return rule.body.fn(ctx)

    def derive(self, rule: CompiledRule) -> None:
        """The rule on every instance of its entity, what it derives stored (see
        runners.add_derive_runner for how)."""
        name = rule.spec.derive
        assert name is not None and rule.derive_all is not None
        insts = self.instances_of(rule.entity)
        self.step(len(insts))
        rule.derive_all(self.ctx, insts, name, self.store.values)

    # -- proofs
    def sources(self, key: tuple[JsonPath, str]) -> list[Source]:
        """The rules a derived fact's proof names, each with what it gave and its
        trace: those that gave it its value (for a true/false fact, those that
        did not give false); for a fact that is false, when none did, those
        that tried it and found it false (why an enterprise is not obliged,
        say). The derive loops keep only the values; the rules of the fact
        that ran on its instance are evaluated again here, traced, in the
        order they ran (a derive rule reads only facts derived before it, all
        there by now, so each gives what it gave then)."""
        if key not in self.store.values:
            return []  # no rule derived it
        path, name = key
        gave: list[Source] = []
        tried: list[Source] = []
        instance: Instance | None = None
        for rule in self.rules.derive:
            if rule.spec.derive != name or not (self.active is None or rule.id in self.active):
                continue
            if instance is None:
                instance = (path, resolve(self.doc, path), self.ancestors(rule.entity, path))
            self.bind(rule, instance)
            saved, self.ctx.trace = self.ctx.trace, []
            result = self.evaluate(rule)
            trace, self.ctx.trace = self.ctx.trace, saved
            # a guard that is false gives None; only a true/false fact is ever
            # False, and only a false fact's proof names those that tried
            if result is None or result is False:
                tried.append((rule, result, trace))
            else:
                gave.append((rule, result, trace))
        value = self.store.values[key]
        return gave or (tried if value is False else [])

    def proof(self, read: FactRead) -> Proof:
        key = (read.path, read.name)
        known = self._proofs.get(key)
        if known is not None:
            return known
        value = self.store.values.get(key, read.value)
        proof = Proof(read.name, read.path, value, [], [])
        self._proofs[key] = proof
        for rule, _, trace in self.sources(key):
            self.step()
            proof.rules.append(rule.id)
            proof.trace.extend(trace)
            for entry in trace:
                if isinstance(entry, FactRead):
                    proof.because.append(self.proof(entry))
        return proof
