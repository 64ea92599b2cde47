"""Type-checking the rules of a rule base read back from the cache of built
rule bases (engine.builtcache) one at a time, when something asks for a
rule's expressions (why-not, rule tests, a traced function the cache does not
hold), with the same compiler that builds a rule base from its files
(engine.rbcompile)."""

from __future__ import annotations

from typing import Any

from esgcheck.engine.expr.compiler import FactSig
from esgcheck.engine.filing_types import FilingType
from esgcheck.engine.model import RuleBaseMeta
from esgcheck.engine.rbcompile import _Compiler, _Entry, _TypeCompiler
from esgcheck.engine.refdata import Calendar, Table
from esgcheck.engine.rulebase import CompiledRule, Problem, RuleBaseError, Typed


class _Refusing:
    """Where the problems of a rule type-checked on demand go: none is
    expected (the rule base was built whole from the same files before), so
    any is raised at once."""

    def __init__(self, rb_id: str) -> None:
        self.rb_id = rb_id

    def problem(self, file: str, line: int | None, rule: str | None, message: str) -> None:
        raise RuleBaseError([Problem(file, line, rule, message)])


class _Place:
    """A rule's place in its file, as far as a rule read back from the cache
    knows it: the rule's own line."""

    def __init__(self, file: str, line: int | None) -> None:
        self.file = file
        self._line = line

    def line(self, path: tuple[Any, ...]) -> int | None:
        return self._line

    def text_line(self, path: tuple[Any, ...], pos: int) -> int | None:
        return self._line


class _Section:
    def __init__(self, section: str | None) -> None:
        self.section = section


class LazyTyping:
    """Type-checks the rules of one filing type of a rule base read back from
    the cache, one rule at a time, each after the derive rules of the facts it
    reads (as building the whole rule base would, in the same order)."""

    def __init__(self, meta: RuleBaseMeta, ft: FilingType, tables: dict[str, Table],
                 calendars: dict[str, Calendar], config: dict[str, Any],
                 rules: list[CompiledRule]) -> None:
        parent = _Compiler(_Refusing(meta.id), meta, tables, calendars, config)  # type: ignore[arg-type]  # only .problem is used
        self.entries: dict[int, _Entry] = {
            id(r): (r.spec, _Place(r.file, r.line), ("rules", 0), _Section(r.section))  # type: ignore[misc]  # what compile_rule reads of them
            for r in rules}
        self.compiler = _TypeCompiler(parent, ft, list(self.entries.values()))
        self.compiler.order = {id(r.spec): r.order for r in rules}
        self.producers: dict[str, list[CompiledRule]] = {}
        for r in rules:
            if r.spec.derive is not None:
                self.producers.setdefault(r.spec.derive, []).append(r)
        self.done: set[str] = set()

    def typed(self, rule: CompiledRule) -> Typed:
        for fact in sorted(rule.facts_read):
            self.fact(fact)
        compiled = self.compiler.compile_rule(self.entries[id(rule)])
        if compiled is None or compiled.typed_now is None:  # a problem was raised already
            raise RuleBaseError([Problem(rule.file, rule.line, rule.id, "not type-checked")])
        return compiled.typed_now

    def fact(self, name: str) -> None:
        if name in self.done:
            return
        self.done.add(name)
        for rule in self.producers.get(name, []):
            _ = rule.typed  # (through this object: its facts first)

    def facts(self) -> dict[str, FactSig]:
        for name in self.producers:
            self.fact(name)
        return dict(self.compiler.facts)
