"""Loading a rule base: metadata, reference data and rule files, type-checked and compiled.

A rule base is a folder::

    rulebase.yaml        metadata: instruments, versions, filing types, grading, config
    rules/*.yaml         rule files, each for one filing type
    data/*.yaml          reference data (tables, calendars), each with its source
    schemas/*.json       filing types the rule base brings (optional)
    tests/*.yaml         test cases, one file per rule (see engine.testing)

Everything that can be wrong with it is found here, at load time, and reported
with the file, the line and the rule id: broken YAML, fields that do not fit
the model, unknown fields of the filing, unknown functions, type and unit
clashes, unknown facts and cycles between derive rules.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from esgcheck.engine import exprcache, loaderrors, yamlcache, yamlio
from esgcheck.engine.expr import parser as ast
from esgcheck.engine.expr.codegen import RuleEmit, RuleModule, build_rule
from esgcheck.engine.expr.compiler import (
    Compiled,
    Environment,
    ExprTypeError,
    FactSig,
    TypedValue,
    compile_expr,
)
from esgcheck.engine.expr.runners import add_derive_runner, add_entity_runner
from esgcheck.engine.expr.types import BOOLEAN, ObjectT, Type, is_any, same_kind
from esgcheck.engine.expr.values import MISSING
from esgcheck.engine.files import inside
from esgcheck.engine.filing_types import Entity, FilingType, FilingTypeError, Registry
from esgcheck.engine.model import Citation, Instrument, Rule, RuleBaseMeta, RuleFile, Version
from esgcheck.engine.refdata import (
    Calendar,
    RefDataError,
    Table,
    cell,
    column_type,
    load_calendar,
    load_table,
)
from esgcheck.engine.units import Quantity, UnitError, parse_unit
from esgcheck.engine.userconfig import Overrides

META_FILE = "rulebase.yaml"
_TEMPLATE_PARAM = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


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
    guard: Compiled | None  # evaluated traced through .fn (evidence, proofs)
    body: Compiled
    at: tuple[str, ...] | None
    params: dict[str, Compiled]
    facts_read: frozenset[str]
    functions: frozenset[str]
    reads_as_of: bool  # any of its expressions reads the as-of date
    order: int
    emits: RuleEmit  # how guard and body write themselves into generated code
    env: Environment | None = None  # what its expressions see (for why-not)
    # a derive rule on all its entity's instances in one generated loop (see
    # runners.add_derive_runner); set when its filing type's code is compiled
    derive_all: Callable[..., None] | None = None

    @cached_property
    def run(self) -> Callable[[Any], Any]:
        """Guard and body as one generated function (untraced). A derive rule's is
        compiled with the other rules of its filing type (_TypeCompiler.generate);
        a check rule runs in its entity's function, so its own is compiled only
        if it is ever asked for."""
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
    facts: dict[str, FactSig] = field(default_factory=dict)

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


# ---------------------------------------------------------------- loading


class _Loader:
    def __init__(self, folder: Path, registry: Registry, display_root: Path | None,
                 overrides: Overrides | None) -> None:
        self.folder = folder
        self.registry = registry
        self.display_root = display_root
        self.overrides = overrides
        self.rb_id = folder.name  # until rulebase.yaml is read
        self.problems: list[Problem] = []

    def name(self, path: Path) -> str:
        root = self.display_root or self.folder.parent
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def problem(self, file: str, line: int | None, rule: str | None, message: str) -> None:
        self.problems.append(Problem(file, line, rule, message))

    def fail_if_problems(self) -> None:
        if self.problems:
            raise RuleBaseError(self.problems)

    def load(self, lazy: bool = False) -> RuleBase:
        """The rule base; with ``lazy``, its data and rules are read and compiled
        only when first asked for (see RuleBase.built)."""
        meta = self.load_meta()
        self.rb_id = meta.id
        for schema_dir in (self.folder / "schemas",):
            if schema_dir.is_dir() and self.schemas_are_local(schema_dir):
                try:
                    self.registry.add_folder(schema_dir)
                    for ft in self.registry:  # resolve each of them now, not while checking
                        if ft.path.parent == schema_dir:
                            _ = ft.entities, ft.types
                except (FilingTypeError, ValueError, TypeError, KeyError, AttributeError,
                        RecursionError) as exc:
                    self.problem(self.name(schema_dir), None, None,
                                 f"filing-type schema: {exc}")
        if self.problems:
            raise RuleBaseError(self.problems)
        if lazy:
            config = self.load_config(meta)
            self.fail_if_problems()
            return RuleBase(meta, self.folder, config, self.overrides,
                            build=lambda: self.build(meta, None, config))
        tables, calendars = self.load_data()
        config = self.load_config(meta)
        return RuleBase(meta, self.folder, config, self.overrides,
                        built=self.build(meta, (tables, calendars), config))

    def build(self, meta: RuleBaseMeta, data: tuple[dict[str, Table], dict[str, Calendar]]
              | None, config: dict[str, Any]) -> Built:
        """The reference data (read now unless given) and the compiled rules."""
        if data is None:
            self.problems = []
            data = self.load_data()
        tables, calendars = data
        files = self.load_rule_files(meta)
        self.fail_if_problems()
        with exprcache.kept(str(self.folder.resolve())):
            rules, by_type = _Compiler(self, meta, tables, calendars, config).compile_all(files)
        self.fail_if_problems()
        return Built(rules, by_type, tables, calendars)

    def schemas_are_local(self, folder: Path) -> bool:
        """Whether every ``$ref`` of the filing-type schemas in ``folder`` points
        into its own file (``#/...``). A reference to a URL or another file is a
        problem with the file, the place and the line: esgcheck never fetches
        a schema, and a validator must not be given one that would."""
        ok = True
        for path in sorted(folder.glob("*.schema.json")):
            try:
                text = path.read_text(encoding="utf-8")
                schema = json.loads(text)
            except (OSError, ValueError, RecursionError) as exc:
                reason = "nested too deep" if isinstance(exc, RecursionError) else exc
                self.problem(self.name(path), None, None, f"cannot read schema: {reason}")
                ok = False
                continue
            stack: list[tuple[Any, str]] = [(schema, "")]
            while stack:
                node, pointer = stack.pop()
                if isinstance(node, dict):
                    ref = node.get("$ref")
                    if ref is not None and not (isinstance(ref, str) and ref.startswith("#")):
                        shown = json.dumps(ref, ensure_ascii=False)
                        at = text.find(shown)
                        line = text.count("\n", 0, at) + 1 if at >= 0 else None
                        self.problem(self.name(path), line, None,
                                     f"{pointer}/$ref: {shown[:80]} is not a reference inside "
                                     "this schema (#/...); schemas are never fetched / "
                                     "只允许引用本文件内的定义")
                        ok = False
                    stack.extend((v, f"{pointer}/{k}") for k, v in node.items())
                elif isinstance(node, list):
                    stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(node))
        return ok

    def validated(self, located: yamlio.Located, model: Any,
                  rule_of: Callable[[tuple[Any, ...]], str | None] | None = None) -> Any:
        try:
            return model.model_validate(located.data)
        except ValidationError as exc:
            for err in loaderrors.ordered(exc.errors()):
                loc = tuple(err["loc"])
                path = tuple(p for p in loc if isinstance(p, str | int))
                rule = rule_of(path) if rule_of else None
                self.problem(located.file, located.line(path), rule,
                             loaderrors.describe(err, model))
            return None

    def read_yaml(self, path: Path) -> yamlio.Located | None:
        if not inside(self.folder, path):  # a link out of the rule base
            self.problem(self.name(path), None, None,
                         "leads outside the rule base (a symbolic link); not read")
            return None
        try:
            return yamlcache.load(path, self.name(path))
        except (yamlio.YamlError, OSError) as exc:
            line = exc.line if isinstance(exc, yamlio.YamlError) else None
            message = exc.message if isinstance(exc, yamlio.YamlError) else str(exc)
            self.problem(self.name(path), line, None, message)
            return None
        except (ValueError, OverflowError) as exc:  # a scalar YAML resolves but cannot build
            found = loaderrors.bad_scalar(path.read_text(encoding="utf-8"))
            line, message = found or (None, f"invalid YAML: {exc}")
            self.problem(self.name(path), line, None, message)
            return None

    def load_meta(self) -> RuleBaseMeta:
        path = self.folder / META_FILE
        if not path.is_file():
            self.problem(self.name(self.folder), None, None, f"no {META_FILE} in the rule base")
            raise RuleBaseError(self.problems)
        located = self.read_yaml(path)
        meta = self.validated(located, RuleBaseMeta) if located else None
        if meta is None:
            raise RuleBaseError(self.problems)
        assert isinstance(meta, RuleBaseMeta)
        return meta

    def load_data(self) -> tuple[dict[str, Table], dict[str, Calendar]]:
        """Every data file under data/: one table or calendar each, or several
        tables sharing one header (``tables:``), such as the dated file of values
        that follow the law as it moves."""
        tables: dict[str, Table] = {}
        calendars: dict[str, Calendar] = {}
        data_dir = self.folder / "data"
        for path in sorted(data_dir.glob("*.yaml")) if data_dir.is_dir() else []:
            located = self.read_yaml(path)
            if located is None:
                continue
            data = located.data
            if not isinstance(data, Mapping):
                self.problem(located.file, 1, None, "a data file is a mapping")
                continue
            for required in ("source", "licence"):
                if required not in data and "sources" not in data:
                    self.problem(located.file, 1, None,
                                 f"reference data must say its {required}")
            parts: list[tuple[str, Mapping[str, Any], int | None]]
            if isinstance(data.get("tables"), Mapping):
                header = {k: v for k, v in data.items() if k != "tables"}
                parts = [(str(name), {**header, **body}, located.line(("tables", name)))
                         for name, body in data["tables"].items() if isinstance(body, Mapping)]
            else:
                parts = [(str(data.get("id", path.stem)), data, None)]
            for name, body, line in parts:
                try:
                    if body.get("kind", "table") == "calendar" or "years" in body:
                        calendars[name] = load_calendar(name, body)
                    else:
                        tables[name] = load_table(name, body)
                except (RefDataError, UnitError, KeyError, TypeError) as exc:
                    self.problem(located.file, line, None, f"data {name}: {exc}")
        if self.overrides is not None:
            for name, rows in self.overrides.data.items():
                self.override_table(tables, name, rows)
        return tables, calendars

    def override_table(self, tables: dict[str, Table], name: str,
                       rows: Sequence[Mapping[str, Any]]) -> None:
        """A user's rows merged into a table: a row whose key (and, in a dated
        table, valid_from) matches replaces the columns it names; others are added."""
        assert self.overrides is not None
        known = tables.get(name)
        if known is None:
            self.problem(self.overrides.file, self.overrides.line("data", name, "0"), None,
                         f"{self.rb_id}: no reference table '{name}' (tables: "
                         f"{', '.join(sorted(tables)) or 'none'})")
            return
        merged = [dict(r) for r in known.rows]
        for i, row in enumerate(rows):
            line = self.overrides.line("data", name, str(i))
            unknown = set(row) - set(known.columns)
            if unknown or known.key not in row:
                what = (f"unknown column(s) {sorted(unknown)}" if unknown
                        else f"the key column '{known.key}' is missing")
                self.problem(self.overrides.file, line, None,
                             f"{self.rb_id}: table {name}, row {i + 1}: {what} (columns: "
                             f"{', '.join(known.columns)})")
                continue
            try:
                cells = {}
                for c in row:
                    try:
                        cells[c] = cell(row[c], known.columns[c], f"row {i + 1}, {c}")
                    except UnitError as exc:
                        raise RefDataError(f"row {i + 1}, {c}: unknown unit '{exc}'") from None
            except (RefDataError, ValueError, TypeError, ArithmeticError) as exc:
                self.problem(self.overrides.file, line, None, f"{self.rb_id}: table {name}, "
                                                              f"{exc}")
                continue
            match = [r for r in merged if r[known.key] == cells[known.key] and (
                "valid_from" not in cells or r.get("valid_from") == cells["valid_from"])]
            if match and (len(match) == 1 or "valid_from" in cells):
                match[0].update(cells)
            elif match:
                self.problem(self.overrides.file, line, None,
                             f"{self.rb_id}: table {name} is dated: say which row with "
                             "valid_from")
            else:
                merged.append({c: cells.get(c) for c in known.columns})
        try:
            tables[name] = known.with_rows(merged)
        except RefDataError as exc:
            self.problem(self.overrides.file, None, None, f"{self.rb_id}: table {name}: {exc}")

    def load_config(self, meta: RuleBaseMeta) -> dict[str, Any]:
        """Configuration values, with a user's replacements. A value declared
        with a ``type`` is checked against it and may be null (not known yet:
        rules that read it are then not assessable, or pending)."""
        meta_file = self.name(self.folder / META_FILE)
        values: dict[str, tuple[Any, str, int | None]] = {
            k: (v.value, meta_file, None) for k, v in meta.config.items()}
        if self.overrides is not None:
            for key, value in self.overrides.config.items():
                line = self.overrides.line("config", key)
                if key not in values:
                    self.problem(self.overrides.file, line, None,
                                 f"{meta.id}: unknown configuration value '{key}' (known: "
                                 f"{', '.join(sorted(values)) or 'none'})")
                    continue
                values[key] = (value, self.overrides.file, line)
        out: dict[str, Any] = {}
        for key, (value, file, line) in values.items():
            declared = meta.config[key].type
            try:
                out[key] = (config_value(value) if declared is None
                            else typed_config(value, declared, key))
            except (UnitError, ValueError) as exc:
                self.problem(file, line, None, f"config.{key}: {exc}")
        return out

    def load_rule_files(self, meta: RuleBaseMeta) -> list[tuple[RuleFile, yamlio.Located]]:
        files: list[tuple[RuleFile, yamlio.Located]] = []
        rules_dir = self.folder / "rules"
        paths = sorted(rules_dir.rglob("*.yaml")) if rules_dir.is_dir() else []
        if not paths:
            self.problem(self.name(self.folder), None, None, "no rule files under rules/")
        for path in paths:
            located = self.read_yaml(path)
            if located is None:
                continue
            data = located.data

            def rule_of(loc: tuple[Any, ...], data: Any = data) -> str | None:
                if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
                    try:
                        return str(data["rules"][loc[1]]["id"])
                    except (KeyError, IndexError, TypeError):
                        return None
                return None

            parsed = self.validated(located, RuleFile, rule_of)
            if parsed is not None:
                files.append((parsed, located))
        return files


def typed_config(value: Any, declared: str, key: str) -> TypedValue:
    """A configuration value of a declared type (as reference-table columns are
    typed); null stands for "not known yet"."""
    try:
        kind = column_type(declared)
    except RefDataError as exc:
        raise ValueError(str(exc)) from None
    try:
        converted = cell(value, kind, key)
    except RefDataError as exc:
        raise ValueError(f"{exc} (expected {declared})") from None
    return TypedValue(kind, MISSING if converted is None else converted)


def config_value(value: Any) -> Any:
    """A configuration value as the expression language sees it."""
    if isinstance(value, Mapping):
        if set(value) == {"value", "unit"}:
            return Quantity(Decimal(str(value["value"])), parse_unit(str(value["unit"])))
        raise ValueError("only quantities ({value, unit}) may be mappings")
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [config_value(v) for v in value]
    return value


class _Compiler:
    """Type-checks and compiles the rules of one rule base."""

    def __init__(self, loader: _Loader, meta: RuleBaseMeta, tables: dict[str, Table],
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
        out.facts = dict(self.facts)
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
        emits = (guard.emit if guard else None, body.emit)
        return CompiledRule(
            spec=rule, rulebase_id=self.p.meta.id, file=located.file,
            line=located.line(path), filing_type=self.ft.id, section=section, entity=entity,
            slots=env.slots, guard=guard, body=body, at=at,
            params={k: v for k, v in params.items() if v is not None},
            facts_read=frozenset(env.facts_used), functions=frozenset(env.functions_used),
            reads_as_of=env.reads_as_of, order=self.order[id(rule)],
            emits=emits, env=env,
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
                for name in _TEMPLATE_PARAM.findall(text.get(lang)):
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


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; nothing else in a template is interpreted."""
    return _TEMPLATE_PARAM.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def load_rulebase(folder: Path, registry: Registry, display_root: Path | None = None,
                  overrides: Overrides | None = None, lazy: bool = False) -> RuleBase:
    """A rule base; with ``lazy``, its data and rules are built on first use."""
    return _Loader(folder, registry, display_root, overrides).load(lazy)


def discover(folders: Iterable[Path]) -> list[Path]:
    """Rule-base folders: each given folder, or each of its sub-folders with metadata."""
    found: list[Path] = []
    for folder in folders:
        if (folder / META_FILE).is_file():
            found.append(folder)
        elif folder.is_dir():
            found.extend(sorted(p.parent for p in folder.glob(f"*/{META_FILE}")))
    return found
