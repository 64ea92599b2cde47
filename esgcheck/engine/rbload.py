"""Loading a rule base: its metadata, configuration, reference data and rule
files, each checked against its model, every problem said with its file and
line (see engine.rulebase for the folder's layout). Building the rules from
the files is engine.rbcompile's; the cache of what was built, engine.builtcache's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from esgcheck.engine import builtcache, yamlcache, yamlio
from esgcheck.engine.expr.types import TypedValue
from esgcheck.engine.expr.values import MISSING
from esgcheck.engine.files import inside
from esgcheck.engine.filing_types import FilingTypeError, Registry
from esgcheck.engine.model import RuleBaseMeta, RuleFile
from esgcheck.engine.refdata import (
    Calendar,
    RefDataError,
    Table,
    cell,
    column_type,
    load_calendar,
    load_table,
)
from esgcheck.engine.rulebase import META_FILE, Built, Problem, RuleBase, RuleBaseError
from esgcheck.engine.units import Quantity, UnitError, parse_unit
from esgcheck.engine.userconfig import Overrides


class Loader:
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
        entry = builtcache.find(self, meta)
        if entry is not None:  # built before from these very files: they are sound
            config = self.load_config(meta)
            self.fail_if_problems()
            built = builtcache.restore(entry, meta, self.registry, config)
            if built is not None:
                return RuleBase(meta, self.folder, config, self.overrides, built=built)
        tables, calendars = self.load_data()
        config = self.load_config(meta)
        return RuleBase(meta, self.folder, config, self.overrides,
                        built=self.build(meta, (tables, calendars), config, cached=False))

    def build(self, meta: RuleBaseMeta, data: tuple[dict[str, Table], dict[str, Calendar]]
              | None, config: dict[str, Any], cached: bool = True) -> Built:
        """The reference data (read now unless given) and the compiled rules:
        from the cache of built rule bases when these files were built before
        (unless ``cached`` is false: just looked for), else read, type-checked
        and compiled here, and kept there."""
        if cached:
            entry = builtcache.find(self, meta)
            built = None if entry is None else builtcache.restore(
                entry, meta, self.registry, config)
            if built is not None:
                return built
        if data is None:
            self.problems = []
            data = self.load_data()
        tables, calendars = data
        files = self.load_rule_files(meta)
        self.fail_if_problems()
        from esgcheck.engine import exprcache  # (the parser: only when rules are built)
        from esgcheck.engine.rbcompile import compile_rules

        with exprcache.kept(str(self.folder.resolve())):
            rules, by_type = compile_rules(self, meta, tables, calendars, config, files)
        self.fail_if_problems()
        built = Built(rules, by_type, tables, calendars)
        builtcache.keep(self, meta, built)
        return built

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
            from esgcheck.engine import loaderrors  # (only for what is wrong)

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
            from esgcheck.engine import loaderrors  # (only for what is wrong)

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


def load_rulebase(folder: Path, registry: Registry, display_root: Path | None = None,
                  overrides: Overrides | None = None, lazy: bool = False) -> RuleBase:
    """A rule base; with ``lazy``, its data and rules are built on first use."""
    return Loader(folder, registry, display_root, overrides).load(lazy)
