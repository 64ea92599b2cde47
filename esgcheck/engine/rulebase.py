"""A loaded rule base: its metadata, its reference data and its compiled rules.

A rule base is a folder::

    rulebase.yaml        metadata: instruments, versions, filing types, grading, config
    rules/*.yaml         rule files, each for one filing type
    data/*.yaml          reference data (tables, calendars), each with its source
    schemas/*.json       filing types the rule base brings (optional)
    tests/*.yaml         test cases, one file per rule (see engine.testing)

Whatever is wrong with it is found at load time and reported with the file,
the line and the rule id (Problem, RuleBaseError, below).

The stages live apart: reading the files (engine.rbload), type-checking and
compiling the rules (engine.rbcompile), the cache of built rule bases
(engine.builtcache) and type-checking a rule read back from it on demand
(engine.rbtyping). This module holds what they make, and imports none of the
expression compiler: a rule base read back from the cache runs without it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from esgcheck.engine.filing_types import Entity, Registry
from esgcheck.engine.model import Citation, Instrument, Rule, RuleBaseMeta, Version
from esgcheck.engine.refdata import Calendar, Table
from esgcheck.engine.userconfig import Overrides

if TYPE_CHECKING:  # the expression compiler is imported only where rules are type-checked
    from esgcheck.engine.expr.codegen import RuleEmit
    from esgcheck.engine.expr.compiler import Compiled, Environment, FactSig

META_FILE = "rulebase.yaml"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    rule: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{where}:{rule} {self.message}"


class RuleBaseError(Exception):
    """A rule base that cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Typed:
    """A rule's expressions, type-checked: what they are and how they write
    themselves into generated code."""

    guard: Compiled | None
    body: Compiled
    params: dict[str, Compiled]
    env: Environment  # what its expressions see (for why-not)

    @property
    def emits(self) -> RuleEmit:
        return (self.guard.emit if self.guard else None, self.body.emit)


class Source(Protocol):
    """What building a rule base and keeping it in the cache read of the loader
    (``rbload.Loader``): its folder, the registry of filing types, the user's
    configuration of it, the name a file is shown by, and where a problem is
    said."""

    folder: Path
    registry: Registry
    overrides: Overrides | None

    def name(self, path: Path) -> str: ...

    def problem(self, file: str, line: int | None, rule: str | None, message: str) -> None: ...


class Traced(Protocol):
    """Where a rule base keeps the traced functions of its rules' expressions
    (engine.builtcache.TracedStore)."""

    def get(self, rule: str, key: str) -> Callable[[Any], Any] | None: ...

    def add(self, rule: str, key: str, fn: Callable[[Any], Any]) -> None: ...


class Expr:
    """One expression of a rule (its guard, body or a parameter) as evaluation
    uses it: ``fn``, its traced function, from the rule base's store of them
    when it holds it, else compiled from the type-checked expression (and
    kept there); any other attribute is the type-checked expression's."""

    __slots__ = ("_fn", "key", "rule")

    def __init__(self, rule: CompiledRule, key: str) -> None:
        self.rule = rule
        self.key = key
        self._fn: Callable[[Any], Any] | None = None

    @property
    def compiled(self) -> Compiled:
        typed = self.rule.typed
        if self.key == "when":
            assert typed.guard is not None
            return typed.guard
        if self.key == "body":
            return typed.body
        return typed.params[self.key.removeprefix("param:")]

    @property
    def fn(self) -> Callable[[Any], Any]:
        fn = self._fn
        if fn is None:
            store = self.rule.traced
            fn = store.get(self.rule.id, self.key) if store is not None else None
            if fn is None:
                fn = self.compiled.fn
                if store is not None:
                    store.add(self.rule.id, self.key, fn)
            self._fn = fn
        return fn

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled, name)


@dataclass(eq=False)
class CompiledRule:
    spec: Rule
    rulebase_id: str
    file: str
    line: int | None
    filing_type: str
    section: str | None
    entity: Entity
    slots: int
    at: tuple[str, ...] | None
    facts_read: frozenset[str]
    functions: frozenset[str]
    reads_as_of: bool  # any of its expressions reads the as-of date
    order: int
    # its expressions type-checked: given when it is built from its file, else
    # worked out by ``typing`` on first use (a rule base read back from the cache)
    typed_now: Typed | None = None
    typing: Callable[[CompiledRule], Typed] | None = None
    traced: Traced | None = None  # where its traced functions are kept
    # a derive rule on all its entity's instances in one generated loop (see
    # runners.add_derive_runner); set when its filing type's code is compiled
    derive_all: Callable[..., None] | None = None

    @property
    def typed(self) -> Typed:
        if self.typed_now is None:
            assert self.typing is not None
            self.typed_now = self.typing(self)
        return self.typed_now

    @cached_property
    def guard(self) -> Expr | None:
        """The guard (``when``), evaluated traced through ``.fn`` (evidence, proofs)."""
        return Expr(self, "when") if self.spec.when is not None else None

    @cached_property
    def body(self) -> Expr:
        return Expr(self, "body")

    @cached_property
    def params(self) -> dict[str, Expr]:
        return {name: Expr(self, f"param:{name}") for name in self.spec.params}

    @property
    def env(self) -> Environment:
        return self.typed.env

    @property
    def emits(self) -> RuleEmit:
        """How guard and body write themselves into generated code."""
        return self.typed.emits

    @cached_property
    def run(self) -> Callable[[Any], Any]:
        """Guard and body as one generated function (untraced). A derive rule's is
        compiled with the other rules of its filing type (rbcompile's
        _TypeCompiler.generate); a check rule runs in its entity's function, so
        its own is compiled only if it is ever asked for."""
        from esgcheck.engine.expr.codegen import build_rule

        return build_rule(self.id, *self.emits, len(self.entity.ancestors))

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def is_derive(self) -> bool:
        return self.spec.kind == "derive"

    def applies_on(self, day: date | None) -> bool:
        s = self.spec
        if day is None:
            return True
        return (s.effective_from is None or s.effective_from <= day) and (
            s.effective_to is None or day <= s.effective_to)


@dataclass(frozen=True)
class CheckGroup:
    entity: Entity
    rules: list[CompiledRule]
    run: Callable[[Any, Any, Any, Any], None]  # see runners.add_entity_runner


@dataclass
class TypeRules:
    """The compiled rules of one rule base for one filing type, in evaluation order."""

    derive: list[CompiledRule] = field(default_factory=list)  # topologically ordered
    check: list[CompiledRule] = field(default_factory=list)
    # the derived facts as the type checker sees them: given when built, else
    # worked out by ``typing`` on first use
    facts_now: dict[str, FactSig] | None = None
    typing: Callable[[], dict[str, FactSig]] | None = None

    @property
    def facts(self) -> dict[str, FactSig]:
        if self.facts_now is None:
            self.facts_now = self.typing() if self.typing is not None else {}
        return self.facts_now

    @cached_property
    def slots(self) -> int:
        return max((r.slots for r in (*self.derive, *self.check)), default=2)

    # the check rules by entity, in order of first appearance, each group with one
    # generated function that runs all of them on every instance
    check_groups: list[CheckGroup] = field(default_factory=list)

    def active_on(self, day: date | None) -> set[str] | None:
        """Ids of the rules in force on ``day``; None when every rule is."""
        if not self.dated:
            return None
        return {r.id for r in (*self.derive, *self.check) if r.applies_on(day)}

    @cached_property
    def data_checks(self) -> set[str]:
        """Ids of the rules that run when the as-of date is before the rule
        base's first version: the check rules marked ``data_check``, and the
        derive rules whose facts they read, directly or through other facts."""
        wanted = {f for r in self.check if r.spec.data_check for f in r.facts_read}
        ids = {r.id for r in self.check if r.spec.data_check}
        for rule in reversed(self.derive):  # consumers before producers
            if rule.spec.derive in wanted:
                ids.add(rule.id)
                wanted |= rule.facts_read
        return ids

    @cached_property
    def dated(self) -> bool:
        """Whether any rule has its own effective window."""
        return any(r.spec.effective_from is not None or r.spec.effective_to is not None
                   for r in (*self.derive, *self.check))


@dataclass(frozen=True)
class Built:
    """What loading a rule base builds beyond its metadata and configuration:
    its reference data and its compiled rules."""

    rules: list[CompiledRule]
    by_type: dict[str, TypeRules]
    tables: dict[str, Table]
    calendars: dict[str, Calendar]


_BUILDING = threading.RLock()  # one rule base built at a time, once (the service's threads)


class RuleBase:
    """A loaded rule base. Its metadata and configuration are read when it is
    loaded; its reference data and rules are read and compiled then too, or,
    when loaded with ``lazy``, the first time anything asks for them (a run
    that checks no filing of its types never builds them)."""

    def __init__(self, meta: RuleBaseMeta, folder: Path, config: dict[str, Any],
                 overrides: Overrides | None = None, *, built: Built | None = None,
                 build: Callable[[], Built] | None = None) -> None:
        assert built is not None or build is not None
        self.meta = meta
        self.folder = folder
        self.config = config
        self.overrides = overrides  # what a user's configuration changed
        self._built = built
        self._build = build

    @property
    def built(self) -> Built:
        """The rules and reference data, built now if they were not yet (a
        RuleBaseError when they cannot be)."""
        if self._built is None:
            with _BUILDING:
                if self._built is None:
                    assert self._build is not None
                    self._built = self._build()
                    self._build = None
                    if gc.get_freeze_count():
                        # the process froze what it had loaded, to keep it out of
                        # the collector's full passes (commands.common._load): what
                        # is built later is frozen the same way
                        gc.freeze()
        return self._built

    @property
    def is_built(self) -> bool:
        return self._built is not None

    @property
    def rules(self) -> list[CompiledRule]:
        return self.built.rules

    @property
    def by_type(self) -> dict[str, TypeRules]:
        return self.built.by_type

    @property
    def tables(self) -> dict[str, Table]:
        return self.built.tables

    @property
    def calendars(self) -> dict[str, Calendar]:
        return self.built.calendars

    @property
    def id(self) -> str:
        return self.meta.id

    def rule(self, rule_id: str) -> CompiledRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def instrument(self, instrument_id: str) -> Instrument | None:
        return next((i for i in self.meta.instruments if i.id == instrument_id), None)

    @cached_property
    def versions(self) -> list[Version]:
        return sorted(self.meta.versions, key=lambda v: v.effective_from)

    def version_for(self, day: date | None) -> Version | None:
        """The version in force on ``day``; the latest one when the day is unknown."""
        versions = self.versions
        if day is None:
            return versions[-1]
        for version in reversed(versions):
            if version.effective_from <= day and (
                    version.effective_to is None or day <= version.effective_to):
                return version
        return None

    def citation_text(self, citation: Citation, lang: str) -> str:
        instrument = self.instrument(citation.instrument)
        name = instrument.title.get(lang) if instrument else citation.instrument
        if lang == "zh":
            parts = [f"《{name}》"]
            if citation.article:
                parts.append(f"第{citation.article}条")
            if citation.paragraph:
                parts.append(f"第{citation.paragraph}款")
            if citation.item:
                parts.append(f"第（{citation.item}）项")
            if citation.section:
                parts.append(citation.section)
            return "".join(parts)
        return ", ".join([name, *citation.short().split(", ")[1:]])


def discover(folders: Iterable[Path]) -> list[Path]:
    """Rule-base folders: each given folder, or each of its sub-folders with metadata."""
    found: list[Path] = []
    for folder in folders:
        if (folder / META_FILE).is_file():
            found.append(folder)
        elif folder.is_dir():
            found.extend(sorted(p.parent for p in folder.glob(f"*/{META_FILE}")))
    return found
