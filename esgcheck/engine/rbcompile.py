"""Building a rule base's rules: each rule's expressions parsed, type-checked
against its filing type's schema, the derived facts and the reference data,
and the untraced code of each filing type generated and compiled as one
module (engine.expr). Everything wrong is reported with its file, line and
rule id.

A rule base read back from the cache of built rule bases (engine.builtcache)
is not type-checked as a whole: engine.rbtyping type-checks a rule (and the
derive rules of the facts it reads) only when something asks for its
expressions (why-not, a traced function the cache does not hold).
"""

from __future__ import annotations

import contextlib
from typing import Any

from esgcheck.engine import exprcache, yamlio
from esgcheck.engine.expr import parser as ast
from esgcheck.engine.expr.codegen import RuleModule
from esgcheck.engine.expr.compiler import (
    Compiled,
    Environment,
    ExprTypeError,
    FactSig,
    compile_expr,
)
from esgcheck.engine.expr.runners import add_derive_runner, add_entity_runner
from esgcheck.engine.expr.types import BOOLEAN, ObjectT, Type, is_any, same_kind
from esgcheck.engine.filing_types import Entity, FilingType
from esgcheck.engine.model import TEMPLATE_PARAM, Rule, RuleBaseMeta, RuleFile
from esgcheck.engine.refdata import Calendar, Table
from esgcheck.engine.rulebase import (
    META_FILE,
    CheckGroup,
    CompiledRule,
    Source,
    Typed,
    TypeRules,
)


def compile_rules(loader: Source, meta: RuleBaseMeta, tables: dict[str, Table],
                  calendars: dict[str, Calendar], config: dict[str, Any],
                  files: list[tuple[RuleFile, yamlio.Located]]
                  ) -> tuple[list[CompiledRule], dict[str, TypeRules]]:
    """The rules of ``files``, type-checked and compiled; problems go to ``loader``."""
    return _Compiler(loader, meta, tables, calendars, config).compile_all(files)


class _Compiler:
    """Type-checks and compiles the rules of one rule base."""

    def __init__(self, loader: Source, meta: RuleBaseMeta, tables: dict[str, Table],
                 calendars: dict[str, Calendar], config: dict[str, Any]) -> None:
        self.loader = loader
        self.meta = meta
        self.tables = tables
        self.calendars = calendars
        self.config = config

    def problem(self, located: yamlio.Located, path: tuple[Any, ...], rule: str | None,
                message: str) -> None:
        self.loader.problem(located.file, located.line(path), rule, message)

    def compile_all(self, files: list[tuple[RuleFile, yamlio.Located]]
                    ) -> tuple[list[CompiledRule], dict[str, TypeRules]]:
        entries: list[tuple[Rule, yamlio.Located, tuple[Any, ...], RuleFile]] = []
        seen: dict[str, str] = {}
        for rule_file, located in files:
            if rule_file.filing_type not in self.meta.filing_types:
                self.problem(located, ("filing_type",), None,
                             f"filing type {rule_file.filing_type} is not one of the rule "
                             f"base's ({', '.join(self.meta.filing_types)})")
                continue
            if self.loader.registry.get(rule_file.filing_type) is None:
                self.problem(located, ("filing_type",), None,
                             f"unknown filing type {rule_file.filing_type}")
                continue
            for i, rule in enumerate(rule_file.rules):
                if rule.id in seen:
                    self.problem(located, ("rules", i, "id"), rule.id,
                                 f"duplicate rule id (first in {seen[rule.id]})")
                    continue
                seen[rule.id] = located.file
                entries.append((rule, located, ("rules", i), rule_file))
        by_type: dict[str, TypeRules] = {}
        compiled: list[CompiledRule] = []
        for type_id in self.meta.filing_types:
            group = [e for e in entries if e[3].filing_type == type_id]
            ft = self.loader.registry.get(type_id)
            if ft is None:
                self.loader.problem(self.loader.name(self.loader.folder / META_FILE), None, None,
                                    f"unknown filing type {type_id} (no schema of the rule base "
                                    "or of esgcheck defines it)")
                continue
            rules = _TypeCompiler(self, ft, group).run()
            by_type[type_id] = rules
            compiled.extend(rules.derive)
            compiled.extend(rules.check)
        compiled.sort(key=lambda r: r.order)
        return compiled, by_type


_Entry = tuple[Rule, yamlio.Located, tuple[Any, ...], RuleFile]


class _TypeCompiler:
    """Compiles the rules of one filing type: derive rules in dependency order first."""

    def __init__(self, parent: _Compiler, ft: FilingType, entries: list[_Entry]) -> None:
        self.p = parent
        self.ft = ft
        self.entries = entries
        self.order = {id(e[0]): n for n, e in enumerate(entries)}
        self.facts: dict[str, FactSig] = {}

    def run(self) -> TypeRules:
        out = TypeRules()
        derive = [e for e in self.entries if e[0].kind == "derive"]
        ordered = self.derive_order(derive)
        if ordered is None:  # a cycle: reported; compiling on would only add noise
            return out
        for entry in ordered:
            compiled = self.compile_rule(entry)
            if compiled is not None:
                out.derive.append(compiled)
        for entry in self.entries:
            if entry[0].kind == "check":
                compiled = self.compile_rule(entry)
                if compiled is not None:
                    out.check.append(compiled)
        out.facts_now = dict(self.facts)
        return self.generate(out)

    def generate(self, out: TypeRules) -> TypeRules:
        """The untraced code of every derive rule and of every entity's check
        rules, as one module compiled once (or read from the cache of compiled
        code, see codegen.RuleModule)."""
        module = RuleModule(f"{self.p.meta.id} {self.ft.id}")
        numbers = [add_derive_runner(module, *r.emits, len(r.entity.ancestors),
                                     out.facts[r.spec.derive or ""].type is BOOLEAN)
                   for r in out.derive]
        by_entity: dict[str, list[CompiledRule]] = {}
        for rule in out.check:
            by_entity.setdefault(rule.entity.name, []).append(rule)
        groups = [(rs, add_entity_runner(module, [r.emits for r in rs],
                                         len(rs[0].entity.ancestors)))
                  for rs in by_entity.values()]
        functions = module.compile()
        for rule, n in zip(out.derive, numbers, strict=True):
            rule.derive_all = functions[n]
        out.check_groups = [CheckGroup(rs[0].entity, rs, functions[n]) for rs, n in groups]
        return out

    # -- dependency order of derive rules
    def derive_order(self, derive: list[_Entry]) -> list[_Entry] | None:
        producers: dict[str, list[_Entry]] = {}
        for entry in derive:
            assert entry[0].derive is not None
            producers.setdefault(entry[0].derive, []).append(entry)
        needs: dict[str, set[str]] = {}
        for fact, rules in producers.items():
            deps: set[str] = set()
            for rule, *_ in rules:
                for text in (rule.when, rule.value):
                    # a syntax error is reported when the rule itself is compiled
                    with contextlib.suppress(ast.ExprSyntaxError):
                        deps |= facts_referenced(exprcache.parse(text)) if text else set()
            needs[fact] = deps & set(producers)
        ordered: list[str] = []
        done: set[str] = set()
        pending = dict(needs)
        while pending:
            ready = sorted(f for f, deps in pending.items() if deps <= done)
            if not ready:
                self.report_cycle(pending, producers)
                return None
            for fact in ready:
                ordered.append(fact)
                done.add(fact)
                del pending[fact]
        result: list[_Entry] = []
        for fact in ordered:
            result.extend(sorted(producers[fact], key=lambda e: self.order[id(e[0])]))
        return result

    def report_cycle(self, pending: dict[str, set[str]],
                     producers: dict[str, list[_Entry]]) -> None:
        # walk from any pending fact along unmet dependencies until a fact repeats
        start = sorted(pending)[0]
        chain = [start]
        while True:
            nxt = sorted(pending[chain[-1]] & set(pending))[0]
            if nxt in chain:
                cycle = [*chain[chain.index(nxt):], nxt]
                break
            chain.append(nxt)
        for fact in cycle[:-1]:
            rule, located, path, _ = producers[fact][0]
            self.p.problem(located, path, rule.id,
                           "derive cycle: " + " -> ".join(f"facts.{f}" for f in cycle))

    # -- one rule
    def parse(self, text: str, located: yamlio.Located, path: tuple[Any, ...],
              rule_id: str) -> ast.Node | None:
        try:
            return exprcache.parse(text)
        except ast.ExprSyntaxError as exc:
            self.expr_problem(located, path, rule_id, text, exc.pos, f"syntax: {exc.message}")
            return None

    def expr_problem(self, located: yamlio.Located, path: tuple[Any, ...], rule_id: str,
                     text: str, pos: int, message: str) -> None:
        line = located.text_line(path, pos)
        pointer = f"{path[-1]}: {' '.join(text.split())[:80]}"
        self.p.loader.problem(located.file, line, rule_id,
                              f"{message} (in {pointer!r}, column {pos + 1})")

    def environment(self, entity: Entity) -> Environment:
        ancestors = {
            name: (2 + i, self.ft.entities[name].type) for i, name in enumerate(entity.ancestors)
        }
        return Environment(
            schema=self.ft.types, entity=entity.type, ancestors=ancestors, facts=self.facts,
            tables=self.p.tables, calendars=self.p.calendars, config=self.p.config,
        )

    def compile_rule(self, entry: _Entry) -> CompiledRule | None:
        rule, located, path, rule_file = entry
        ok = True
        entity = self.ft.entities.get(rule.entity)
        if entity is None:
            self.p.problem(located, (*path, "entity"), rule.id,
                           f"unknown entity '{rule.entity}' of {self.ft.id} (entities: "
                           f"{', '.join(sorted(self.ft.entities))})")
            return None
        section = rule.section or rule_file.section
        sections = {s.id for s in self.p.meta.sections}
        if section is not None and sections and section not in sections:
            self.p.problem(located, (*path, "section"), rule.id, f"unknown section '{section}'")
            ok = False
        if self.p.meta.instruments and not any(
                i.id == rule.citation.instrument for i in self.p.meta.instruments):
            self.p.problem(located, (*path, "citation", "instrument"), rule.id,
                           f"unknown instrument '{rule.citation.instrument}'")
            ok = False
        env = self.environment(entity)

        def expr(key: str, text: str | None, sub: tuple[Any, ...] = ()) -> Compiled | None:
            nonlocal ok
            if text is None:
                return None
            where = (*path, key, *sub)
            node = self.parse(text, located, where, rule.id)
            if node is None:
                ok = False
                return None
            try:
                return compile_expr(node, env)
            except ExprTypeError as exc:
                self.expr_problem(located, where, rule.id, text, exc.pos, exc.message)
                ok = False
                return None

        guard = expr("when", rule.when)
        if guard is not None and not self.is_boolean(guard, located, (*path, "when"), rule.id):
            ok = False
        if rule.kind == "check":
            body = expr("assert", rule.assert_)
            if body is not None and not self.is_boolean(body, located, (*path, "assert"),
                                                         rule.id):
                ok = False
        else:
            body = expr("value", rule.value or "true")
        params = {name: expr("params", text, (name,)) for name, text in rule.params.items()}
        at = self.at_path(rule, located, path, env)
        self.check_templates(rule, located, path)
        if not ok or body is None or any(p is None for p in params.values()):
            return None
        if rule.kind == "derive" and not self.register_fact(rule, entity, body.type,
                                                            located, path):
            return None
        if rule.data_check and env.reads_as_of:
            self.p.problem(located, (*path, "data_check"), rule.id,
                           "a data check holds whatever the date, so it cannot read as_of")
            return None
        return CompiledRule(
            spec=rule, rulebase_id=self.p.meta.id, file=located.file,
            line=located.line(path), filing_type=self.ft.id, section=section, entity=entity,
            slots=env.slots, at=at, facts_read=frozenset(env.facts_used),
            functions=frozenset(env.functions_used), reads_as_of=env.reads_as_of,
            order=self.order[id(rule)],
            typed_now=Typed(guard, body, {k: v for k, v in params.items() if v is not None}, env),
        )

    def is_boolean(self, c: Compiled, located: yamlio.Located, path: tuple[Any, ...],
                   rule_id: str) -> bool:
        if c.type is BOOLEAN or is_any(c.type):
            return True
        self.p.problem(located, path, rule_id,
                       f"a condition must be true or false, this is {c.type.describe()}")
        return False

    def register_fact(self, rule: Rule, entity: Entity, t: Type, located: yamlio.Located,
                      path: tuple[Any, ...]) -> bool:
        assert rule.derive is not None
        known = self.facts.get(rule.derive)
        if known is None:
            self.facts[rule.derive] = FactSig(rule.derive, entity.name, t)
            return True
        if known.entity != entity.name:
            self.p.problem(located, (*path, "entity"), rule.id,
                           f"fact '{rule.derive}' is derived for entity {known.entity} "
                           f"elsewhere, here for {entity.name}")
            return False
        if known.type is not BOOLEAN or not same_kind(known.type, t):
            self.p.problem(located, (*path, "derive"), rule.id,
                           f"fact '{rule.derive}' is derived by more than one rule; only "
                           "true/false facts may be (they are combined with 'or')")
            return False
        return True

    def at_path(self, rule: Rule, located: yamlio.Located, path: tuple[Any, ...],
                env: Environment) -> tuple[str, ...] | None:
        if rule.at is None:
            return None
        keys = tuple(rule.at.split("."))
        node: Any = env.entity
        for key in keys:
            field_type = node.field_type(key) if isinstance(node, ObjectT) else None
            if field_type is None:
                self.p.problem(located, (*path, "at"), rule.id,
                               f"'at: {rule.at}': no field '{key}' there")
                return None
            node = field_type
        return keys

    def check_templates(self, rule: Rule, located: yamlio.Located,
                        path: tuple[Any, ...]) -> None:
        for key in ("message", "unknown", "remediation"):
            text = getattr(rule, key)
            if text is None:
                continue
            for lang in ("zh", "en"):
                for name in TEMPLATE_PARAM.findall(text.get(lang)):
                    if name not in rule.params:
                        self.p.problem(located, (*path, key, lang), rule.id,
                                       f"{key}.{lang} uses {{{name}}}, which is not in params")


def facts_referenced(node: ast.Node) -> set[str]:
    """Names of facts an expression reads (``facts.x`` or ``o.facts.x``)."""
    found: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, ast.Attr):
            inner = n.obj
            if (isinstance(inner, ast.Name) and inner.name == "facts") or (
                    isinstance(inner, ast.Attr) and inner.name == "facts"):
                found.add(n.name)
        if isinstance(n, ast.Node):
            for value in vars(n).values():
                if isinstance(value, tuple):
                    for item in value:
                        walk(item)
                else:
                    walk(value)

    walk(node)
    return found

