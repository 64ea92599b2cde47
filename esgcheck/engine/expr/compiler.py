"""Type-check and compile expressions into Python closures.

Compilation happens once, when a rule base loads. Each AST node becomes a
closure ``fn(ctx) -> value`` that reads the filing through a ``Context``.
Type errors (an unknown field or function, text compared with a number, a
unit clash, a value outside a field's enum) raise ``ExprTypeError`` with the
offset of the offending node, which the loader turns into file and line.

While a ``Context`` has a trace list, every field read, fact read and
undecidable built-in call is recorded there: the engine evaluates a rule
without a trace first and again with one only when it reports something, so
the common passing case pays nothing for evidence.
"""

from __future__ import annotations

import operator
import re._parser as sre_parse  # type: ignore[import-not-found]  # no stubs; see bounded_width
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import regex

from esgcheck.engine.expr import parser as ast
from esgcheck.engine.expr.builtins import BUILTINS, Builtin
from esgcheck.engine.expr.codegen import INLINE, Emit, Emitter, closure_call
from esgcheck.engine.expr.types import (
    ANY,
    BOOLEAN,
    DATE,
    NUMBER,
    STRING,
    ListT,
    ObjectT,
    QuantityT,
    RecordT,
    Scalar,
    SchemaTypes,
    Type,
    is_any,
    is_scalar,
    same_kind,
)
from esgcheck.engine.expr.unreadable import describe as describe_unreadable
from esgcheck.engine.expr.values import (
    MISSING,
    OUT_OF_RANGE,
    Undecidable,
    add,
    compare_key,
    div,
    mul,
    out_of_range,
    sub,
    to_number,
)
from esgcheck.engine.model import Text
from esgcheck.engine.refdata import Calendar, Table
from esgcheck.engine.units import (
    Quantity,
    Unit,
    UnitError,
    base_unit,
    describe_dims,
    parse_unit,
    read_as,
)

Fn = Callable[["Context"], Any]


class ExprTypeError(ValueError):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


# ---------------------------------------------------------------- run time


@dataclass(frozen=True, slots=True)
class Read:
    """A value read from the filing, or (``path`` None) from reference data,
    then named by ``label``. A value present in the filing but not readable as
    its field's type is read as MISSING, with what the filing holds (``raw``)
    and why it could not be read (``problem``)."""

    path: tuple[str | int, ...] | None
    value: Any
    label: str = ""
    raw: Any = None
    problem: Text | None = None


@dataclass(frozen=True, slots=True)
class FactRead:
    name: str
    path: tuple[str | int, ...]
    value: Any


@dataclass(frozen=True, slots=True)
class Note:
    text: str


TraceEntry = Read | FactRead | Note


class FactStore:
    """Derived facts of one filing, keyed by (entity path, fact name)."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[tuple[tuple[str | int, ...], str], Any] = {}


class Context:
    """Everything a compiled expression may read while evaluating one rule."""

    __slots__ = ("_index", "_known", "as_of", "bound", "converted", "env", "facts", "paths",
                 "root", "trace")

    def __init__(self, root: Any, facts: FactStore, as_of: date | None, slots: int) -> None:
        self.root = root
        self.facts = facts
        self.as_of = as_of
        self.env: list[Any] = [None] * max(slots, 2)
        self.paths: list[tuple[str | int, ...] | None] = [None] * max(slots, 2)
        self.env[0] = root
        self.paths[0] = ()
        self.bound = 2  # slots 0 .. bound-1 hold the root and bound entities, with paths
        self.converted: dict[int, Any] = {}  # id of a quantity object -> its Quantity
        self.trace: list[TraceEntry] | None = None
        self._index: dict[int, tuple[str | int, ...]] | None = None
        self._known: dict[int, tuple[str | int, ...]] = {}

    def remember(self, obj: Any, path: tuple[str | int, ...]) -> None:
        """Note where a container of the filing sits (traced reads do this)."""
        self._known[id(obj)] = path

    def path_of(self, obj: Any) -> tuple[str | int, ...] | None:
        """The JSON path of an object or array of the filing, found by identity:
        among the bound entities, the containers traced reads passed through,
        and only as a last resort by indexing the whole filing."""
        for slot in range(self.bound):
            if self.env[slot] is obj:
                return self.paths[slot]
        known = self._known.get(id(obj))
        if known is not None:
            return known
        if self._index is None:
            self._index = {}
            _index_paths(self.root, (), self._index)
        return self._index.get(id(obj))

    def note(self, text: str) -> None:
        if self.trace is not None:
            self.trace.append(Note(text))


def _index_paths(node: Any, path: tuple[str | int, ...], out: dict[int, Any]) -> None:
    out[id(node)] = path
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                _index_paths(value, (*path, key), out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict | list):
                _index_paths(value, (*path, i), out)


# ---------------------------------------------------------------- value conversion


def _conv_string(v: Any) -> Any:
    return v if v.__class__ is str else MISSING


def _conv_number(v: Any) -> Any:
    n = to_number(v)
    return MISSING if n is None else n


def _conv_boolean(v: Any) -> Any:
    return v if v.__class__ is bool else MISSING


def _conv_date(v: Any) -> Any:
    if v.__class__ is date:
        return v
    if v.__class__ is str and len(v) == 10:
        try:
            return date.fromisoformat(v)
        except ValueError:
            return MISSING
    return MISSING


def _conv_object(v: Any) -> Any:
    return v if v.__class__ is dict else MISSING


def _conv_list(v: Any) -> Any:
    return v if v.__class__ is list else MISSING


def _identity(v: Any) -> Any:
    return v


_NUMBERS = (int, float, Decimal)  # not bool: its class is bool


class RunLimits:
    """Bounds that apply while rules run (set by the checker from its limits)."""

    regex_seconds: float = 1.0  # one regular-expression search


LIMITS = RunLimits()

INLINE.update({
    _conv_string: "{0} if {0}.__class__ is str else MISSING",
    _conv_boolean: "{0} if {0}.__class__ is bool else MISSING",
    _conv_object: "{0} if {0}.__class__ is dict else MISSING",
    _conv_list: "{0} if {0}.__class__ is list else MISSING",
    _identity: "{0}",
    operator.not_: "not {0}",
})


class _QuantityReader:
    """Reads ``{value, unit}`` objects of one dimension; units are parsed once."""

    def __init__(self, dims: Any, annual: bool = False) -> None:
        self.dims = dims
        self.annual = annual
        self.units: dict[str, Unit | None] = {}  # unit text -> Unit of these dims, or None

    def known(self, em: Emitter, text: str) -> str:
        """Code that is true when ``text`` (a name) is a unit of these dimensions:
        a dictionary lookup once the text has been seen; worked out once per
        instance when the text is a member's unit read once for all rules."""
        test = (f"({text}.__class__ is str and ({em.ref(self.units)}.get({text})"
                f" or {em.ref(self.unit)}({text})) is not None)")
        return em.derived(text, ("unit of", self.dims), lambda: test) or test

    @staticmethod
    def of(t: QuantityT) -> _QuantityReader:
        """The reader of one dimension (and of a year's totals), shared by every
        rule: units are parsed once, and generated code can share the test of a
        unit between rules."""
        key = (t.dims, t.annual)
        reader = _READERS.get(key)
        if reader is None:
            reader = _READERS[key] = _QuantityReader(t.dims, t.annual)
        return reader

    def unit(self, text: Any) -> Unit | None:
        if text.__class__ is not str:
            return None
        if text in self.units:
            return self.units[text]
        try:
            parsed: Unit | None = parse_unit(text)
        except UnitError:
            parsed = None
        unit = read_as(parsed, self.dims, self.annual) if parsed is not None else None
        self.units[text] = unit
        return unit

    def convert(self, v: Any) -> Any:
        if v.__class__ is not dict:
            if v.__class__ is Quantity:
                return v if v.unit.dims == self.dims else MISSING
            return MISSING
        unit = self.unit(v.get("unit"))
        raw = v.get("value")
        if unit is None or raw.__class__ not in _NUMBERS:
            return MISSING
        return Quantity(raw, unit)  # a float from the fast JSON path is exact as written


_READERS: dict[Any, _QuantityReader] = {}


def _quantity_converter(t: QuantityT) -> Callable[[Any], Any]:
    return _QuantityReader.of(t).convert


def _memoised(conv: Callable[[Any], Any]) -> Callable[[Any, Context], Any]:
    """A quantity converter that converts each object of the filing once per
    evaluation: rules read the same limits and totals many times."""

    def run(raw: Any, ctx: Context) -> Any:
        cache = ctx.converted
        key = id(raw)
        value = cache.get(key)
        if value is None:
            value = cache[key] = conv(raw)
        return value

    return run


def _plain(conv: Callable[[Any], Any]) -> Callable[[Any, Context], Any]:
    return lambda raw, ctx: conv(raw)


def converter(t: Type) -> Callable[[Any], Any]:
    """How a raw JSON value becomes a typed run-time value (or MISSING)."""
    if isinstance(t, QuantityT):
        return _quantity_converter(t)
    if isinstance(t, ObjectT):
        return _conv_object
    if isinstance(t, ListT):
        return _conv_list
    if isinstance(t, Scalar):
        return {
            "string": _conv_string,
            "number": _conv_number,
            "boolean": _conv_boolean,
            "date": _conv_date,
        }.get(t.name, _identity)
    return _identity


# ---------------------------------------------------------------- compile time


@dataclass(frozen=True)
class FactSig:
    """A derived fact as the type checker sees it."""

    name: str
    entity: str
    type: Type


class TypedValue(NamedTuple):
    """A configuration value of a declared type; MISSING while not known."""

    type: Type
    value: Any


@dataclass
class Environment:
    """What names an expression of one rule can see."""

    schema: SchemaTypes
    entity: ObjectT
    ancestors: Mapping[str, tuple[int, ObjectT]] = field(default_factory=dict)
    facts: Mapping[str, FactSig] = field(default_factory=dict)
    tables: Mapping[str, Table] = field(default_factory=dict)
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    builtins: Mapping[str, Builtin] = field(default_factory=lambda: BUILTINS)
    # filled while compiling
    facts_used: set[str] = field(default_factory=set)
    functions_used: set[str] = field(default_factory=set)
    reads_as_of: bool = False
    slots: int = 0

    def __post_init__(self) -> None:
        self.slots = 2 + len(self.ancestors)


@dataclass(frozen=True)
class Compiled:
    type: Type
    fn: Fn
    const: Any = MISSING  # the value when the expression is a constant
    # for a chain of field reads (a.b.c): where the chain starts and its keys,
    # so that the whole chain can run as one closure when nothing is traced
    chain: tuple[Fn, tuple[str, ...]] | None = None
    slot: int | None = None  # the value is ctx.env[slot] (a bound entity or variable)
    chain_slot: int | None = None  # the slot a chain of field reads starts at, if any
    emit: Emit | None = None  # straight-line code for the untraced path (see codegen)
    # for a chain of field reads: the raw value at its end (None when absent), as
    # a function and as code giving (raw name, value name); a present value that
    # does not convert is unreadable, which exists() and '??' tell from absent
    raw: Fn | None = None
    parts: Callable[[Emitter], tuple[str, str]] | None = None
    # a chain of field reads ending in a quantity: where it starts, its keys, its reader
    qraw: tuple[Fn, int | None, tuple[str, ...], _QuantityReader] | None = None

    def emitter(self) -> Emit:
        if self.emit is not None:
            return self.emit
        if self.is_const:
            value = self.const
            return lambda em: em.ref(value)
        if self.slot is not None:
            slot = self.slot
            return lambda em: f"env[{slot}]"
        return closure_call(self.fn)

    @property
    def is_const(self) -> bool:
        return self.const is not MISSING


RESERVED = ("filing", "this", "facts", "config", "as_of")


def compile_expr(node: ast.Node, env: Environment) -> Compiled:
    return _Compiler(env).compile(node, {})


class _Compiler:
    def __init__(self, env: Environment) -> None:
        self.env = env

    # -- dispatch
    def compile(self, node: ast.Node, scope: dict[str, tuple[int, Type]]) -> Compiled:
        method = getattr(self, f"c_{type(node).__name__.lower()}")
        result: Compiled = method(node, scope)
        return result

    def fail(self, node: ast.Node, message: str) -> ExprTypeError:
        return ExprTypeError(message, node.pos)

    # -- literals
    def c_literal(self, node: ast.Literal, scope: Any) -> Compiled:
        if node.kind == "quantity":
            number, unit_text = node.value
            try:
                unit = parse_unit(unit_text)
            except UnitError:
                raise self.fail(node, f"unknown unit {unit_text!r}") from None
            value: Any = Quantity(Decimal(number), unit)
            return _const(QuantityT(unit.dims), value)
        kinds: dict[str, Type] = {
            "number": NUMBER, "string": STRING, "boolean": BOOLEAN, "date": DATE,
        }
        return _const(kinds[node.kind], node.value)

    def c_listlit(self, node: ast.ListLit, scope: Any) -> Compiled:
        items = [self.compile(item, scope) for item in node.items]
        item_type: Type = items[0].type if items else ANY
        for item, sub_node in zip(items, node.items, strict=True):
            if not same_kind(item_type, item.type):
                raise self.fail(sub_node, f"list mixes {item_type.describe()} "
                                          f"and {item.type.describe()}")
        if all(i.is_const for i in items):
            return _const(ListT(item_type), [i.const for i in items])
        fns = [i.fn for i in items]
        return Compiled(ListT(item_type), lambda ctx: [f(ctx) for f in fns])

    # -- names and fields
    def c_name(self, node: ast.Name, scope: dict[str, tuple[int, Type]]) -> Compiled:
        name = node.name
        if name in scope:
            slot, t = scope[name]
            return Compiled(t, lambda ctx: ctx.env[slot], slot=slot)
        if name == "filing":
            return Compiled(self.env.schema.root(), _root, emit=_emit_expr("ctx.root"))
        if name == "this":
            return Compiled(self.env.entity, lambda ctx: ctx.env[1], slot=1)
        if name == "as_of":
            self.env.reads_as_of = True
            return Compiled(DATE, lambda ctx: MISSING if ctx.as_of is None else ctx.as_of,
                            emit=_emit_expr("MISSING if ctx.as_of is None else ctx.as_of"))
        if name in ("facts", "config"):
            raise self.fail(node, f"'{name}' needs a name after it, as in {name}.something")
        if name in self.env.ancestors:
            slot, anc = self.env.ancestors[name]
            return Compiled(anc, lambda ctx: ctx.env[slot], slot=slot)
        return self.field(node, Compiled(self.env.entity, lambda ctx: ctx.env[1], slot=1), name)

    def c_attr(self, node: ast.Attr, scope: dict[str, tuple[int, Type]]) -> Compiled:
        inner = node.obj
        if isinstance(inner, ast.Name) and inner.name == "config" and "config" not in scope:
            return self.config_value(node)
        if isinstance(inner, ast.Name) and inner.name == "facts" and "facts" not in scope:
            return self.fact(node, None, scope)
        if isinstance(inner, ast.Attr) and inner.name == "facts":
            return self.fact(node, inner.obj, scope)
        base = self.compile(inner, scope)
        if isinstance(base.type, RecordT):
            return self.column(node, base)
        return self.field(node, base, node.name)

    def field(self, node: ast.Node, base: Compiled, key: str) -> Compiled:
        btype = base.type
        ftype: Type
        if is_any(btype):
            ftype = ANY
        elif isinstance(btype, ObjectT):
            found = btype.field_type(key)
            if found is None:
                known = ", ".join(btype.field_names()) or "none"
                raise self.fail(node, f"unknown field '{key}' of {btype.describe()} "
                                      f"(known fields: {known})")
            ftype = found
        else:
            raise self.fail(node, f"'{key}' is read from a {btype.describe()}, "
                                  "which has no fields")
        reader = _QuantityReader.of(ftype) if isinstance(ftype, QuantityT) else None
        raw_conv = reader.convert if reader is not None else converter(ftype)
        memo = reader is not None
        conv = _memoised(raw_conv) if memo else _plain(raw_conv)
        get = base.fn

        def read(ctx: Context) -> Any:
            obj = get(ctx)
            if obj.__class__ is not dict:
                return MISSING
            raw = obj.get(key)
            value = MISSING if raw is None else conv(raw, ctx)
            if ctx.trace is not None:
                parent = ctx.path_of(obj)
                path = None if parent is None else (*parent, key)
                if value is MISSING and raw is not None:
                    ctx.trace.append(Read(path, value, raw=raw,
                                          problem=describe_unreadable(ftype, raw)))
                else:
                    ctx.trace.append(Read(path, value))
                if path is not None and raw.__class__ in (dict, list):
                    ctx.remember(raw, path)
            return value

        keys: tuple[str, ...]
        if base.chain is None:
            start, keys, slot = get, (key,), base.slot
        else:
            start, keys, slot = base.chain[0], (*base.chain[1], key), base.chain_slot
        return Compiled(ftype, _fused(start, slot, keys, raw_conv, memo, read),
                        chain=(start, keys), chain_slot=slot,
                        emit=_emit_chain(start, slot, keys, raw_conv, memo),
                        qraw=(start, slot, keys, reader) if reader is not None else None,
                        raw=_raw_leaf(start, slot, keys),
                        parts=_emit_chain_parts(start, slot, keys, raw_conv, memo))

    def column(self, node: ast.Attr, base: Compiled) -> Compiled:
        assert isinstance(base.type, RecordT)
        ctype = base.type.columns.get(node.name)
        if ctype is None:
            known = ", ".join(sorted(base.type.columns))
            raise self.fail(node, f"table {base.type.table} has no column '{node.name}' "
                                  f"(columns: {known})")
        get, key = base.fn, node.name
        label = f"{base.type.table}.{key}"

        def read(ctx: Context) -> Any:
            row = get(ctx)
            if row is MISSING:
                return MISSING
            value = row.get(key)
            value = MISSING if value is None else value
            if ctx.trace is not None:
                ctx.trace.append(Read(None, value, label))
            return value

        return Compiled(ctype, read, emit=_emit_column(base.emitter(), key))

    def config_value(self, node: ast.Attr) -> Compiled:
        if node.name not in self.env.config:
            known = ", ".join(sorted(self.env.config)) or "none"
            raise self.fail(node, f"unknown configuration value '{node.name}' (known: {known})")
        value = self.env.config[node.name]
        if isinstance(value, TypedValue):
            return _const(value.type, value.value)
        return _const(_type_of_value(value), value)

    def fact(self, node: ast.Attr, owner: ast.Node | None, scope: Any) -> Compiled:
        sig = self.env.facts.get(node.name)
        if sig is None:
            known = ", ".join(sorted(self.env.facts)) or "none"
            raise self.fail(node, f"unknown fact '{node.name}' (facts derived by this rule "
                                  f"base: {known})")
        self.env.facts_used.add(sig.name)
        name = sig.name
        default = False if sig.type is BOOLEAN else MISSING
        path_fn, path_emit = self.fact_owner_path(node, owner, sig, scope)

        def read(ctx: Context) -> Any:
            path = path_fn(ctx)
            if path is None:
                return MISSING
            value = ctx.facts.values.get((path, name), default)
            if ctx.trace is not None:
                ctx.trace.append(FactRead(name, path, value))
            return value

        return Compiled(sig.type, read, emit=_emit_fact(path_emit, name, default))

    def fact_owner_path(self, node: ast.Node, owner: ast.Node | None, sig: FactSig,
                        scope: Any) -> tuple[Callable[[Context], Any], Emit]:
        """The path of the entity instance that owns the fact: as a function, and
        as code (an expression that may be None when the owner is not in the
        filing)."""
        if owner is not None:
            base = self.compile(owner, scope)
            if not isinstance(base.type, ObjectT) or base.type.entity != sig.entity:
                raise self.fail(node, f"fact '{sig.name}' belongs to entity {sig.entity}, "
                                      f"not to {base.type.describe()}")
            get, base_emit = base.fn, base.emitter()
            return (lambda ctx: ctx.path_of(get(ctx)),
                    lambda em: f"ctx.path_of({base_emit(em)})")
        if sig.entity == "filing":
            return lambda ctx: (), _emit_expr("()")
        if sig.entity == self.env.entity.entity:
            return lambda ctx: ctx.paths[1], _emit_expr("ctx.paths[1]")
        if sig.entity in self.env.ancestors:
            slot = self.env.ancestors[sig.entity][0]
            return lambda ctx: ctx.paths[slot], _emit_expr(f"ctx.paths[{slot}]")
        raise self.fail(node, f"fact '{sig.name}' belongs to entity {sig.entity}; from "
                              f"{self.env.entity.describe()} read it as x.facts.{sig.name} "
                              f"with x bound to a {sig.entity}")

    # -- operators
    def c_unary(self, node: ast.Unary, scope: Any) -> Compiled:
        operand = self.compile(node.operand, scope)
        f = operand.fn
        if node.op == "not":
            self.expect_boolean(node.operand, operand)
            return Compiled(BOOLEAN, lambda ctx: _not(f(ctx)),
                            emit=_emit_strict(operator.not_, [operand.emitter()], False))
        if not (is_scalar(operand.type, "number") or isinstance(operand.type, QuantityT)):
            raise self.fail(node, f"cannot negate a {operand.type.describe()}")
        def negate(ctx: Context) -> Any:
            v = f(ctx)
            if v is MISSING:
                return MISSING
            try:
                return -v
            except OUT_OF_RANGE as exc:  # -1e9999999 rounds past the exponent limit
                ctx.note(out_of_range("-", (v,), exc))
                return MISSING

        return Compiled(operand.type, negate)

    def expect_boolean(self, node: ast.Node, c: Compiled) -> None:
        if not is_scalar(c.type, "boolean"):
            raise self.fail(node, f"expected a true/false condition, found {c.type.describe()}")

    def c_binary(self, node: ast.Binary, scope: Any) -> Compiled:
        op = node.op
        left, right = self.compile(node.left, scope), self.compile(node.right, scope)
        if op in ("and", "or"):
            self.expect_boolean(node.left, left)
            self.expect_boolean(node.right, right)
            return Compiled(BOOLEAN, _and(left.fn, right.fn) if op == "and"
                            else _or(left.fn, right.fn),
                            emit=_emit_logic(op, left.emitter(), right.emitter()))
        if op == "??":
            if not same_kind(left.type, right.type):
                raise self.fail(node, f"'??' joins {left.type.describe()} "
                                      f"and {right.type.describe()}")
            lf, rf, lraw, lparts = left.fn, right.fn, left.raw, left.parts

            def coalesce(ctx: Context) -> Any:
                value = lf(ctx)
                if value is not MISSING:
                    return value
                # a field that is there but unreadable is unknown, not absent
                return rf(ctx) if lraw is None or lraw(ctx) is None else MISSING

            lemit, remit = left.emitter(), right.emitter()

            def emit(em: Emitter) -> str:
                if lparts is None:
                    out = lemit(em)
                    with em.block(f"if {out} is MISSING:"):
                        em.line(f"{out} = {remit(em)}")
                    return out
                raw, out = lparts(em)
                with em.block(f"if {out} is MISSING and {raw} is None:"):
                    em.line(f"{out} = {remit(em)}")
                return out

            return Compiled(left.type if not is_any(left.type) else right.type, coalesce,
                            emit=emit)
        if op in ("in", "not in"):
            return self.membership(node, left, right)
        if op == "matches":
            return self.matches(node, left, right)
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return self.comparison(node, left, right)
        return self.arithmetic(node, left, right)

    def comparison(self, node: ast.Binary, left: Compiled, right: Compiled) -> Compiled:
        lt, rt = left.type, right.type
        if not same_kind(lt, rt):
            raise self.fail(node, self.clash(lt, rt, node.op))
        if node.op not in ("==", "!="):
            ordered = all(
                is_scalar(t, "number", "date", "string") or isinstance(t, QuantityT)
                for t in (lt, rt)
            )
            if not ordered:
                raise self.fail(node, f"'{node.op}' cannot order {lt.describe()} values")
        self.check_enum(node, left, right)
        cmp, op = _COMPARE[node.op], node.op
        lf, rf = left.fn, right.fn
        if isinstance(lt, QuantityT) or isinstance(rt, QuantityT) or is_any(lt) or is_any(rt):
            def run(ctx: Context) -> Any:
                a, b = lf(ctx), rf(ctx)
                if a is MISSING or b is MISSING:
                    return MISSING
                try:
                    if a.__class__ is Quantity and b.__class__ is Quantity and a.unit is b.unit:
                        return cmp(a.value, b.value)  # as read: exact, whatever their size
                    return cmp(compare_key(a), compare_key(b))
                except TypeError:
                    return MISSING
                except OUT_OF_RANGE as exc:  # a quantity past the exponent limit in base units
                    ctx.note(out_of_range(op, (a, b), exc))
                    return MISSING
        else:
            def run(ctx: Context) -> Any:
                a, b = lf(ctx), rf(ctx)
                if a is MISSING or b is MISSING:
                    return MISSING
                try:
                    return cmp(a, b)
                except OUT_OF_RANGE as exc:
                    ctx.note(out_of_range(op, (a, b), exc))
                    return MISSING
        emit = _emit_compare(
            node.op, left.emitter(), right.emitter(),
            isinstance(lt, QuantityT) and isinstance(rt, QuantityT),
            not (isinstance(lt, QuantityT) or isinstance(rt, QuantityT) or is_any(lt)
                 or is_any(rt)))
        if left.qraw is not None and right.qraw is not None:
            emit = _emit_raw_compare(node.op, left.qraw, right.qraw, emit)
        return Compiled(BOOLEAN, run, emit=emit)

    def clash(self, lt: Type, rt: Type, op: str) -> str:
        if isinstance(lt, QuantityT) and isinstance(rt, QuantityT):
            return (f"unit clash: '{op}' between {describe_dims(lt.dims)} and "
                    f"{describe_dims(rt.dims)}")
        if isinstance(lt, QuantityT) or isinstance(rt, QuantityT):
            return (f"unit clash: '{op}' between {lt.describe()} and {rt.describe()}; "
                    "write the number with a unit, such as 0[t]")
        return f"cannot use '{op}' between {lt.describe()} and {rt.describe()}"

    def check_enum(self, node: ast.Node, left: Compiled, right: Compiled) -> None:
        for field_side, value_side in ((left, right), (right, left)):
            enum = getattr(field_side.type, "enum", None)
            if enum is None or not value_side.is_const:
                continue
            values = value_side.const if isinstance(value_side.const, list) else [
                value_side.const]
            for value in values:
                if value not in enum:
                    allowed = ", ".join(sorted(enum))
                    raise self.fail(node, f"{value!r} is not a value this field can take "
                                          f"(allowed: {allowed})")

    def membership(self, node: ast.Binary, left: Compiled, right: Compiled) -> Compiled:
        rt = right.type
        if not isinstance(rt, ListT) and not is_any(rt):
            raise self.fail(node, f"'{node.op}' needs a list on its right, "
                                  f"found {rt.describe()}")
        item_t = rt.item if isinstance(rt, ListT) else ANY
        if not same_kind(left.type, item_t):
            raise self.fail(node, self.clash(left.type, item_t, node.op))
        self.check_enum(node, left, right)
        negate = node.op == "not in"
        lf, rf = left.fn, right.fn
        if right.is_const:
            try:
                members: Any = frozenset(compare_key(v) for v in right.const)
            except TypeError:
                members = [compare_key(v) for v in right.const]

            def test(a: Any) -> bool:
                return (compare_key(a) in members) is not negate

            def member(ctx: Context) -> Any:
                a = lf(ctx)
                if a is MISSING:
                    return MISSING
                try:
                    return test(a)
                except OUT_OF_RANGE as exc:
                    ctx.note(out_of_range(node.op, (a, right.const), exc))
                    return MISSING

            return Compiled(BOOLEAN, member, emit=_emit_strict(test, [left.emitter()], True))

        def contains(a: Any, coll: Any) -> bool:
            if a.__class__ is str:  # only an equal text is equal to a text
                return (a in coll) is not negate
            key = compare_key(a)
            return any(compare_key(v) == key for v in coll) is not negate

        def run(ctx: Context) -> Any:
            a, coll = lf(ctx), rf(ctx)
            if a is MISSING or coll is MISSING:
                return MISSING
            try:
                return contains(a, coll)
            except OUT_OF_RANGE as exc:
                ctx.note(out_of_range(node.op, (a, coll), exc))
                return MISSING

        return Compiled(BOOLEAN, run,
                        emit=_emit_strict(contains, [left.emitter(), right.emitter()], True))

    def matches(self, node: ast.Binary, left: Compiled, right: Compiled) -> Compiled:
        if not is_scalar(left.type, "string"):
            raise self.fail(node, f"'matches' needs text on its left, "
                                  f"found {left.type.describe()}")
        if not right.is_const or not isinstance(right.const, str):
            raise self.fail(node.right, "'matches' needs a regular expression in quotes")
        try:
            pattern = regex.compile(right.const)
        except regex.error as exc:
            raise self.fail(node.right, f"invalid regular expression: {exc}") from None
        search, lf = pattern.search, left.fn

        def timed(a: Any) -> bool:
            try:
                return search(a, timeout=LIMITS.regex_seconds) is not None
            except TimeoutError:  # catastrophic backtracking: the value is not judged
                raise Undecidable("regular expression timed out") from None

        def untimed(a: Any) -> bool:
            return search(a) is not None

        test = untimed if bounded_width(right.const) else timed

        def run(ctx: Context) -> Any:
            a = lf(ctx)
            if a is MISSING:
                return MISSING
            try:
                return test(a)
            except Undecidable as exc:
                ctx.note(str(exc))
                return MISSING

        return Compiled(BOOLEAN, run, emit=_emit_strict(test, [left.emitter()], True))

    def arithmetic(self, node: ast.Binary, left: Compiled, right: Compiled) -> Compiled:
        lt, rt, op = left.type, right.type, node.op
        if op == "+" and is_scalar(lt, "string") and is_scalar(rt, "string") and not (
                is_any(lt) and is_any(rt)):
            return self.concatenation(left, right)
        numeric = ("number", "any")
        lq, rq = isinstance(lt, QuantityT), isinstance(rt, QuantityT)
        if not ((is_scalar(lt, *numeric) or lq) and (is_scalar(rt, *numeric) or rq)):
            raise self.fail(node, f"'{op}' needs numbers or quantities, "
                                  f"found {lt.describe()} and {rt.describe()}")
        result: Type
        if op in ("+", "-"):
            if lq != rq or (lq and rt != lt):
                raise self.fail(node, self.clash(lt, rt, op))
            result = lt if not is_any(lt) else rt
            impl = add if op == "+" else sub
        else:
            impl = mul if op == "*" else div
            sign = 1 if op == "*" else -1
            if lq and rq:
                from esgcheck.engine.units import combine_dims

                assert isinstance(lt, QuantityT) and isinstance(rt, QuantityT)
                dims = combine_dims(lt.dims, rt.dims, sign)
                result = QuantityT(dims) if dims else NUMBER
            elif rq and op == "/":
                assert isinstance(rt, QuantityT)
                from esgcheck.engine.units import combine_dims

                result = QuantityT(combine_dims((), rt.dims, -1))
            else:
                result = lt if lq else rt if rq else NUMBER
        lf, rf = left.fn, right.fn

        def run(ctx: Context) -> Any:
            a, b = lf(ctx), rf(ctx)
            if a is MISSING or b is MISSING:
                return MISSING
            try:
                return impl(a, b)
            except Undecidable as exc:
                ctx.note(exc.reason)
                return MISSING

        return Compiled(result, run,
                        emit=_emit_strict(impl, [left.emitter(), right.emitter()], True))

    def concatenation(self, left: Compiled, right: Compiled) -> Compiled:
        lf, rf = left.fn, right.fn

        def run(ctx: Context) -> Any:
            a, b = lf(ctx), rf(ctx)
            if a is MISSING or b is MISSING:
                return MISSING
            return f"{a}{b}"

        lemit, remit = left.emitter(), right.emitter()

        def emit(em: Emitter) -> str:
            a, b = lemit(em), remit(em)
            out = em.tmp()
            em.line(f'{out} = MISSING if {a} is MISSING or {b} is MISSING else f"{{{a}}}{{{b}}}"')
            return out

        return Compiled(STRING, run, emit=emit)

    # -- conditionals
    def c_cond(self, node: ast.Cond, scope: Any) -> Compiled:
        test = self.compile(node.test, scope)
        self.expect_boolean(node.test, test)
        then, other = self.compile(node.then, scope), self.compile(node.other, scope)
        if not same_kind(then.type, other.type):
            raise self.fail(node, f"'if' branches differ: {then.type.describe()} "
                                  f"and {other.type.describe()}")
        tf, af, bf = test.fn, then.fn, other.fn

        def run(ctx: Context) -> Any:
            t = tf(ctx)
            if t is MISSING:
                return MISSING
            return af(ctx) if t else bf(ctx)

        temit, aemit, bemit = test.emitter(), then.emitter(), other.emitter()

        def emit(em: Emitter) -> str:
            out = em.tmp()
            t = temit(em)
            with em.block(f"if {t} is MISSING:"):
                em.line(f"{out} = MISSING")
            with em.block(f"elif {t}:"):
                em.line(f"{out} = {aemit(em)}")
            with em.block("else:"):
                em.line(f"{out} = {bemit(em)}")
            return out

        return Compiled(then.type if not is_any(then.type) else other.type, run, emit=emit)

    # -- quantifiers and aggregates
    def c_quant(self, node: ast.Quant, scope: dict[str, tuple[int, Type]]) -> Compiled:
        coll = self.compile(node.coll, scope)
        if not isinstance(coll.type, ListT) and not is_any(coll.type):
            raise self.fail(node.coll, f"{node.kind}(...) ranges over a list, "
                                       f"found {coll.type.describe()}")
        item_t = coll.type.item if isinstance(coll.type, ListT) else ANY
        slot = self.env.slots
        self.env.slots += 1
        inner = {**scope, node.var: (slot, item_t)}
        body: Compiled | None = None
        if node.body is not None:
            body = self.compile(node.body, inner)
        return _QUANTIFIERS[node.kind](self, node, coll, item_t, slot, body)

    # -- calls
    def c_call(self, node: ast.Call, scope: Any) -> Compiled:
        if node.name in ("sum", "min", "max") and len(node.args) == 1:
            # sum(list) is sum(x in list: x)
            return self.c_quant(ast.Quant(node.pos, node.name, "_item", node.args[0],
                                          ast.Name(node.pos, "_item")), scope)
        builtin = self.env.builtins.get(node.name)
        if builtin is None:
            known = ", ".join(sorted(self.env.builtins))
            raise self.fail(node, f"unknown function '{node.name}' (built-ins: {known})")
        if len(node.args) != len(builtin.params):
            raise self.fail(node, f"{builtin.signature()} takes {len(builtin.params)} "
                                  f"argument(s), {len(node.args)} given")
        self.env.functions_used.add(builtin.name)
        args: list[Compiled] = []
        for arg, kind in zip(node.args, builtin.params, strict=True):
            args.append(self.argument(builtin, arg, kind, scope))
        types = [a.type for a in args]
        consts = [a.const for a in args]
        self.check_builtin_args(node, builtin, args)
        result = builtin.result if isinstance(builtin.result, Type) else builtin.result(
            types, consts)
        emits = [a.emitter() for a in args]
        emit = _emit_total(builtin.impl, emits) if builtin.total else _emit_strict(
            builtin.impl, emits, True)
        outcome = PRESENCE.get(builtin.name)
        if outcome is not None and (args[0].raw is None or args[0].parts is None):
            if builtin.name in ("readable", "present"):
                raise self.fail(node, f"{builtin.name}() takes a field of the filing, such as "
                                      f"{builtin.name}(carbon_footprint.total)")
        elif outcome is not None:
            # a field of the filing: readable, absent, or there but unreadable
            q, parts, raw = args[0].qraw, args[0].parts, args[0].raw
            assert parts is not None and raw is not None
            emit = (_emit_raw_presence(q, outcome) if q is not None
                    else _emit_presence(parts, outcome))
            return Compiled(result, _presence(args[0].fn, raw, outcome), emit=emit)
        if builtin.name == "unit_of" and args[0].qraw is not None:
            # the unit text of a quantity field, read before conversion: a unit of the
            # wrong kind (kg CO2e per kg where per kWh is expected) is still named
            return Compiled(result, _raw_unit(args[0].qraw), emit=_emit_raw_unit(args[0].qraw))
        return Compiled(result, _call(builtin, [a.fn for a in args]), emit=emit)

    def check_builtin_args(self, node: ast.Call, builtin: Builtin, args: list[Compiled]) -> None:
        if builtin.alike:
            first, *rest = builtin.alike
            for i in rest:
                if not same_kind(args[first].type, args[i].type):
                    raise self.fail(node, self.clash(args[first].type, args[i].type,
                                                     builtin.name))
        for i, kind in enumerate(builtin.params):
            if kind != "key":
                continue
            table = args[0].const
            assert isinstance(table, Table)
            key_type = table.columns[table.key]
            if not same_kind(key_type, args[i].type):
                raise self.fail(node.args[i], f"{builtin.name}: the key of table {table.name} "
                                              f"is {key_type.describe()}, not "
                                              f"{args[i].type.describe()}")
        if builtin.name in ("lookup", "table") and isinstance(args[0].const, Table) and (
                args[0].const.dated):
            raise self.fail(node, f"table {args[0].const.name} is dated: use "
                                  "lookup_dated(table, key, date)")

    def argument(self, builtin: Builtin, arg: ast.Node, kind: str, scope: Any) -> Compiled:
        if kind in ("table", "calendar", "unit"):
            if not isinstance(arg, ast.Literal) or arg.kind != "string":
                raise self.fail(arg, f"{builtin.name}: the {kind} is named in quotes")
            return self.resolve_literal(arg, kind)
        compiled = self.compile(arg, scope)
        accepted = kind.split("|")
        t = compiled.type
        ok = (
            "any" in accepted
            or "key" in accepted
            or is_any(t)
            or (isinstance(t, Scalar) and t.name in accepted)
            or (isinstance(t, QuantityT) and "quantity" in accepted)
            or (isinstance(t, ListT) and "list" in accepted)
        )
        if not ok:
            raise self.fail(arg, f"{builtin.signature()}: expected {kind}, "
                                 f"found {t.describe()}")
        return compiled

    def resolve_literal(self, arg: ast.Literal, kind: str) -> Compiled:
        name = str(arg.value)
        value: Any
        if kind == "unit":
            try:
                value = parse_unit(name)
            except UnitError:
                raise self.fail(arg, f"unknown unit {name!r}") from None
        else:
            registry: Mapping[str, Any] = self.env.tables if kind == "table" else (
                self.env.calendars)
            if name not in registry:
                known = ", ".join(sorted(registry)) or "none"
                raise self.fail(arg, f"unknown {kind} '{name}' (this rule base has: {known})")
            value = registry[name]
        return Compiled(ANY, lambda ctx: value, value)


# ---------------------------------------------------------------- helpers


def bounded_width(pattern: str) -> bool:
    """Whether every match of the pattern is at most a fixed number of characters
    long (no unbounded repeat). Such a pattern cannot backtrack catastrophically
    on its input: each start position costs at most a fixed amount, set by the
    pattern alone, so a search is linear in the text and runs without the
    timeout, whose clock costs several times a short search. A pattern the
    standard library cannot parse (syntax only ``regex`` knows) is not judged
    bounded and keeps the timeout."""
    try:
        high = sre_parse.parse(pattern).getwidth()[1]
    except Exception:  # any failure to parse only means: keep the timeout
        return False
    return bool(high < sre_parse.MAXREPEAT)


def _const(t: Type, value: Any) -> Compiled:
    return Compiled(t, lambda ctx: value, value)


def _type_of_value(value: Any) -> Type:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | Decimal | float):
        return NUMBER
    if isinstance(value, date):
        return DATE
    if isinstance(value, Quantity):
        return QuantityT(value.unit.dims)
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        return ListT(_type_of_value(value[0]) if value else ANY)
    return ANY


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _not(v: Any) -> Any:
    return MISSING if v is MISSING else not v


def _strict1(f: Callable[[Any], Any], v: Any) -> Any:
    return MISSING if v is MISSING else f(v)


def _and(lf: Fn, rf: Fn) -> Fn:
    def run(ctx: Context) -> Any:
        a = lf(ctx)
        if a is False:
            return False
        b = rf(ctx)
        if b is False:
            return False
        return MISSING if a is MISSING or b is MISSING else True

    return run


def _or(lf: Fn, rf: Fn) -> Fn:
    def run(ctx: Context) -> Any:
        a = lf(ctx)
        if a is True:
            return True
        b = rf(ctx)
        if b is True:
            return True
        return MISSING if a is MISSING or b is MISSING else False

    return run


def _call(builtin: Builtin, fns: list[Fn]) -> Fn:
    impl, total = builtin.impl, builtin.total
    if len(fns) == 1:  # the common case, without building an argument list
        return _call1(builtin, fns[0])

    def run(ctx: Context) -> Any:
        args = [f(ctx) for f in fns]
        if not total and any(a is MISSING for a in args):
            return MISSING
        try:
            return impl(*args)
        except Undecidable as exc:
            ctx.note(f"{builtin.name}: {exc.reason}")
            return MISSING
        except OUT_OF_RANGE as exc:  # a date past 9999-12-31, round(x, 10**9), ...
            ctx.note(out_of_range(builtin.name, args, exc))
            return MISSING

    return run


def _call1(builtin: Builtin, f: Fn) -> Fn:
    impl, name = builtin.impl, builtin.name
    if builtin.total:
        return lambda ctx: impl(f(ctx))

    def run(ctx: Context) -> Any:
        arg = f(ctx)
        if arg is MISSING:
            return MISSING
        try:
            return impl(arg)
        except Undecidable as exc:
            ctx.note(f"{name}: {exc.reason}")
            return MISSING
        except OUT_OF_RANGE as exc:
            ctx.note(out_of_range(name, (arg,), exc))
            return MISSING

    return run


def _items(coll: Fn, item_t: Type) -> Callable[[Context], Any]:
    conv = converter(item_t)
    if conv is _identity or conv is _conv_object:
        return coll

    def run(ctx: Context) -> Any:
        values = coll(ctx)
        if values is MISSING:
            return MISSING
        return [MISSING if v is None else conv(v) for v in values]

    return run


def _fused(start: Fn, slot: int | None, keys: tuple[str, ...], conv: Callable[[Any], Any],
           memo: bool, traced: Fn) -> Fn:
    """A chain of field reads (``a.b.c``) as one closure. The step-by-step version
    runs instead while a trace is recorded, so that every step is evidence.
    Quantities are converted once per evaluation (``memo``): rules read the same
    limits and totals many times."""
    *inner, last = keys

    def read(ctx: Context) -> Any:
        if ctx.trace is not None:
            return traced(ctx)
        obj = ctx.env[slot] if slot is not None else start(ctx)
        for key in inner:
            if obj.__class__ is not dict:
                return MISSING
            obj = obj.get(key)
        if obj.__class__ is not dict:
            return MISSING
        raw = obj.get(last)
        if raw is None:
            return MISSING
        if not memo:
            return conv(raw)
        cache = ctx.converted
        value = cache.get(id(raw))
        if value is None:
            value = cache[id(raw)] = conv(raw)
        return value

    return read


def _raw_leaf(start: Fn, slot: int | None, keys: tuple[str, ...]) -> Fn:
    """The raw value a chain of field reads ends at, None when it is absent (or
    a step on the way is not an object: the schema reports that)."""

    def read(ctx: Context) -> Any:
        obj = ctx.env[slot] if slot is not None else start(ctx)
        for key in keys:
            if obj.__class__ is not dict:
                return None
            obj = obj.get(key)
        return obj

    return read


# What exists(), missing(), readable() and present() give for a field of the
# filing that is readable, absent, or there but unreadable (the README's table).
Outcome = tuple[Any, Any, Any]
PRESENCE: dict[str, Outcome] = {
    "exists": (True, False, MISSING),
    "missing": (False, True, MISSING),
    "readable": (True, MISSING, False),
    "present": (True, False, True),
}


def _presence(value: Fn, raw: Fn, outcome: Outcome) -> Fn:
    readable, absent, unreadable = outcome

    def run(ctx: Context) -> Any:
        if value(ctx) is not MISSING:  # the read is evidence when traced
            return readable
        return absent if raw(ctx) is None else unreadable

    return run


def _outcome_code(outcome: Outcome) -> tuple[str, str, str]:
    readable, absent, unreadable = (repr(v) if v is not MISSING else "MISSING" for v in outcome)
    return readable, absent, unreadable


def _emit_presence(parts: Callable[[Emitter], tuple[str, str]], outcome: Outcome) -> Emit:
    readable, absent, unreadable = _outcome_code(outcome)

    def emit(em: Emitter) -> str:
        raw, value = parts(em)
        out = em.tmp()
        em.line(f"{out} = {readable} if {value} is not MISSING else "
                f"({absent} if {raw} is None else {unreadable})")
        return out

    return emit


def _emit_chain_parts(start: Fn, slot: int | None, keys: tuple[str, ...],
                      conv: Callable[[Any], Any], memo: bool
                      ) -> Callable[[Emitter], tuple[str, str]]:
    """Code for a chain of field reads that names both the raw value it ends at
    (None when absent) and the value converted to its type (MISSING when absent
    or unreadable)."""

    def emit(em: Emitter) -> tuple[str, str]:
        raw, out = _emit_raw_object(em, start, slot, keys), em.tmp()
        em.line(f"{out} = MISSING")
        with em.block(f"if {raw} is not None:"):
            if memo:
                em.line(f"{out} = ctx.converted.get(id({raw}))")
                with em.block(f"if {out} is None:"):
                    em.line(f"{out} = ctx.converted[id({raw})] = {em.ref(conv)}({raw})")
            else:
                em.line(f"{out} = {em.call(conv, raw)}")
        return raw, out

    return emit


def _emit_chain(start: Fn, slot: int | None, keys: tuple[str, ...], conv: Callable[[Any], Any],
                memo: bool) -> Emit:
    parts = _emit_chain_parts(start, slot, keys, conv, memo)
    return lambda em: parts(em)[1]


def _emit_compare(op: str, left: Emit, right: Emit, quantities: bool, plain: bool) -> Emit:
    """A comparison: base units for quantities, direct for scalars of one kind,
    and the closure's careful path for anything else."""

    def emit(em: Emitter) -> str:
        a, b = left(em), right(em)
        out = em.tmp()
        if quantities:  # same unit: the numbers as read compare exactly
            test = (f"({a}.value {op} {b}.value) if {a}.unit is {b}.unit "
                    f"else ({a}.base {op} {b}.base)")
        elif plain:
            test = f"{a} {op} {b}"
        else:
            key = em.ref(compare_key)
            test = f"{key}({a}) {op} {key}({b})"
        with em.block(f"if {a} is MISSING or {b} is MISSING:"):
            em.line(f"{out} = MISSING")
        with em.block("else:"):
            with em.block("try:"):
                em.line(f"{out} = {test}")
            # as the closures: a value out of range (a quantity past the exponent
            # limit in base units) cannot be decided; neither can values that do
            # not compare
            errors = (*OUT_OF_RANGE, TypeError) if not (quantities or plain) else OUT_OF_RANGE
            with em.block(f"except {em.ref(errors)}:"):
                em.line(f"{out} = MISSING")
        return out

    return emit


def _emit_total(fn: Callable[..., Any], args: list[Emit]) -> Emit:
    """``fn(*args)`` for a built-in that takes MISSING itself (exists, missing)."""

    def emit(em: Emitter) -> str:
        names = [a(em) for a in args]
        out = em.tmp()
        em.line(f"{out} = {em.call(fn, *names)}")
        return out

    return emit


QRaw = tuple[Fn, int | None, tuple[str, ...], _QuantityReader]


def _emit_raw_object(em: Emitter, start: Fn, slot: int | None, keys: tuple[str, ...]) -> str:
    """A name for the value a chain of keys leads to, or None: read once for all
    rules when the chain starts at a bound entity (see Emitter.member)."""
    obj = em.member(slot, keys[0])
    if obj is not None:
        for key in keys[1:]:
            part = em.part(obj, key)
            assert part is not None  # a part of a hoisted value is hoisted too
            obj = part
        return obj
    obj = em.tmp()
    em.line(f"{obj} = {_emit_start(em, start, slot)}")
    for key in keys:
        em.line(f"{obj} = {obj}.get({em.ref(key)}) if {obj}.__class__ is dict else None")
    return obj


def _emit_quantity_parts(em: Emitter, q: QRaw) -> tuple[str, str, str]:
    """Names for a quantity object read from the filing (None when it is not
    there), its ``value`` and its ``unit``: read once for all rules when the
    object is a member of a bound entity."""
    obj = _emit_raw_object(em, q[0], q[1], q[2])
    value, unit = em.part(obj, "value"), em.part(obj, "unit")
    if value is None or unit is None:
        value, unit = em.tmp(), em.tmp()
        em.line(f"{value} = {obj}.get('value') if {obj}.__class__ is dict else None")
        em.line(f"{unit} = {obj}.get('unit') if {obj}.__class__ is dict else None")
    return obj, value, unit


def _emit_raw_compare(op: str, left: QRaw, right: QRaw, general: Emit) -> Emit:
    """Two quantities read straight from the filing in the same unit compare by
    their numbers, exactly, without making Quantity objects; anything else takes
    the general path."""

    def emit(em: Emitter) -> str:
        _, va, ua = _emit_quantity_parts(em, left)
        _, vb, ub = _emit_quantity_parts(em, right)
        out, nums = em.tmp(), em.ref(_NUMBERS)
        same = (f"{ua} == {ub} and {va}.__class__ in {nums} and {vb}.__class__ in {nums}"
                f" and {left[3].known(em, ua)} and {right[3].known(em, ua)}")
        with em.block(f"if {same}:"):
            with em.block("try:"):
                em.line(f"{out} = {va} {op} {vb}")
            with em.block(f"except {em.ref(OUT_OF_RANGE)}:"):
                em.line(f"{out} = MISSING")
        with em.block("else:"):
            em.line(f"{out} = {general(em)}")
        return out

    return emit


def _raw_unit(q: QRaw) -> Fn:
    start, slot, keys, _ = q

    def read(ctx: Context) -> Any:
        parent: Any = ctx.env[slot] if slot is not None else start(ctx)
        for key in keys[:-1]:
            parent = parent.get(key) if parent.__class__ is dict else None
        obj = parent.get(keys[-1]) if parent.__class__ is dict else None
        unit = obj.get("unit") if obj.__class__ is dict else None
        value = unit if unit.__class__ is str else MISSING
        if ctx.trace is not None:
            at = ctx.path_of(parent) if parent.__class__ is dict else None
            ctx.trace.append(Read(None if at is None else (*at, keys[-1], "unit"), value))
        return value

    return read


def _emit_raw_unit(q: QRaw) -> Emit:
    def emit(em: Emitter) -> str:
        _, _, unit = _emit_quantity_parts(em, q)
        out = em.tmp()
        em.line(f"{out} = {unit} if {unit}.__class__ is str else MISSING")
        return out

    return emit


def _emit_raw_presence(q: QRaw, outcome: Outcome) -> Emit:
    """exists(q), missing(q), readable(q) or present(q) for a quantity read from
    the filing, without converting it."""
    readable, absent, unreadable = _outcome_code(outcome)

    def emit(em: Emitter) -> str:
        obj, value, unit = _emit_quantity_parts(em, q)
        out = em.tmp()
        test = f"{value}.__class__ in {em.ref(_NUMBERS)} and {q[3].known(em, unit)}"
        em.line(f"{out} = {readable} if ({test}) else "
                f"({absent} if {obj} is None else {unreadable})")
        return out

    return emit


def _emit_logic(op: str, left: Emit, right: Emit) -> Emit:
    """Kleene and/or with short-circuit."""
    stop = "False" if op == "and" else "True"
    other = "True" if op == "and" else "False"

    def emit(em: Emitter) -> str:
        out = em.tmp()
        a = left(em)
        with em.block(f"if {a} is {stop}:"):
            em.line(f"{out} = {stop}")
        with em.block("else:"):
            b = right(em)
            em.line(f"{out} = {stop} if {b} is {stop} else "
                    f"(MISSING if {a} is MISSING or {b} is MISSING else {other})")
        return out

    return emit


def _emit_strict(fn: Callable[..., Any], args: list[Emit], guarded: bool) -> Emit:
    """``fn(*args)``, MISSING when an argument is; ``guarded``: an Undecidable
    from ``fn``, or a value out of its range (OUT_OF_RANGE), gives MISSING, as
    the closures do (they also note why)."""

    def emit(em: Emitter) -> str:
        names = [a(em) for a in args]
        out = em.tmp()
        missing = " or ".join(f"{n} is MISSING" for n in names) or "False"
        call = em.call(fn, *names)
        with em.block(f"if {missing}:"):
            em.line(f"{out} = MISSING")
        with em.block("else:"):
            if guarded:
                with em.block("try:"):
                    em.line(f"{out} = {call}")
                with em.block(f"except {em.ref(_UNDECIDED)}:"):
                    em.line(f"{out} = MISSING")
            else:
                em.line(f"{out} = {call}")
        return out

    return emit


_UNDECIDED = (Undecidable, *OUT_OF_RANGE)


def _root(ctx: Context) -> Any:
    return ctx.root


def _emit_expr(code: str) -> Emit:
    """A node whose value is one expression of the generated code's own names."""

    def emit(em: Emitter) -> str:
        out = em.tmp()
        em.line(f"{out} = {code}")
        return out

    return emit


def _emit_start(em: Emitter, start: Fn, slot: int | None) -> str:
    """Where a chain of field reads starts: a bound slot, the filing, or a closure."""
    if slot is not None:
        return f"env[{slot}]"
    if start is _root:
        return "ctx.root"
    return f"{em.ref(start)}(ctx)"


def _emit_column(base: Emit, key: str) -> Emit:
    def emit(em: Emitter) -> str:
        row, out = base(em), em.tmp()
        em.line(f"{out} = MISSING if {row} is MISSING else {row}.get({em.ref(key)})")
        em.line(f"{out} = MISSING if {out} is None else {out}")
        return out

    return emit


def _emit_fact(path: Emit, name: str, default: Any) -> Emit:
    def emit(em: Emitter) -> str:
        at, out = path(em), em.tmp()
        em.line(f"{out} = MISSING if {at} is None else "
                f"ctx.facts.values.get(({at}, {em.ref(name)}), {em.ref(default)})")
        return out

    return emit


def _emit_each(em: Emitter, coll: Compiled, item_t: Type, slot: int, body: Emit, unknown: str,
               decided: Callable[[str], None], after: Callable[[], None]) -> None:
    """A quantifier's loop, when the list it ranges over is not MISSING: each item
    is converted as ``_items`` converts it and bound to the quantifier's slot,
    and the body evaluated; an undecided body sets ``unknown``, and ``decided``
    adds what a decided one does (an ``elif`` on the body's name). ``after``
    follows the loop, at its depth."""
    values, items, item = coll.emitter()(em), em.tmp(), em.tmp()
    conv = converter(item_t)
    em.line(f"{items} = {values}")
    with em.block(f"if {items} is not MISSING:"):
        em.line(f"{unknown} = False")
        with em.block(f"for {item} in {items}:"):
            if conv is not _identity and conv is not _conv_object:
                em.line(f"{item} = MISSING if {item} is None else {em.call(conv, item)}")
            em.line(f"env[{slot}] = {item}")
            t = body(em)
            with em.block(f"if {t} is MISSING:"):
                em.line(f"{unknown} = True")
            decided(t)
        after()


def _remember_items(ctx: Context, values: list[Any]) -> None:
    base = ctx.path_of(values)
    if base is not None:
        for i, value in enumerate(values):
            if value.__class__ in (dict, list):
                ctx.remember(value, (*base, i))


def _q_logic(kind: str) -> Callable[..., Compiled]:
    def build(comp: _Compiler, node: ast.Quant, coll: Compiled, item_t: Type, slot: int,
              body: Compiled | None) -> Compiled:
        if body is None:
            raise comp.fail(node, f"{kind}(x in list: condition) needs a condition")
        comp.expect_boolean(node.body or node, body)
        items, test = _items(coll.fn, item_t), body.fn
        want = kind == "all"  # all: look for a False; any/none: look for a True

        def run(ctx: Context) -> Any:
            values = items(ctx)
            if values is MISSING:
                return MISSING
            if ctx.trace is not None:
                _remember_items(ctx, values)
            env, unknown = ctx.env, False
            for value in values:
                env[slot] = value
                t = test(ctx)
                if t is MISSING:
                    unknown = True
                elif t is not want:
                    return (not want) if kind != "none" else False
            if unknown:
                return MISSING
            return want if kind != "none" else True

        early = (not want) if kind != "none" else False
        final = want if kind != "none" else True
        bemit = body.emitter()

        def emit(em: Emitter) -> str:
            out, unknown = em.tmp(), em.tmp()

            def decided(t: str) -> None:
                with em.block(f"elif {t} is not {want}:"):
                    em.line(f"{out} = {early}")
                    em.line("break")

            def after() -> None:
                with em.block("else:"):  # the loop ran to its end
                    em.line(f"{out} = MISSING if {unknown} else {final}")

            em.line(f"{out} = MISSING")
            _emit_each(em, coll, item_t, slot, bemit, unknown, decided, after)
            return out

        return Compiled(BOOLEAN, run, emit=emit)

    return build


def _q_count(comp: _Compiler, node: ast.Quant, coll: Compiled, item_t: Type, slot: int,
             body: Compiled | None) -> Compiled:
    items = _items(coll.fn, item_t)
    if body is None:
        return Compiled(NUMBER, lambda ctx: _strict1(len, items(ctx)))
    comp.expect_boolean(node.body or node, body)
    test = body.fn

    def run(ctx: Context) -> Any:
        values = items(ctx)
        if values is MISSING:
            return MISSING
        if ctx.trace is not None:
            _remember_items(ctx, values)
        n, unknown = 0, False
        for value in values:
            ctx.env[slot] = value
            t = test(ctx)
            if t is MISSING:
                unknown = True
            elif t:
                n += 1
        return MISSING if unknown else n

    bemit = body.emitter()

    def emit(em: Emitter) -> str:
        out, n, unknown = em.tmp(), em.tmp(), em.tmp()

        def decided(t: str) -> None:
            with em.block(f"elif {t}:"):
                em.line(f"{n} += 1")

        def after() -> None:
            em.line(f"{out} = MISSING if {unknown} else {n}")

        em.line(f"{out} = MISSING")
        em.line(f"{n} = 0")
        _emit_each(em, coll, item_t, slot, bemit, unknown, decided, after)
        return out

    return Compiled(NUMBER, run, emit=emit)


def _q_fold(kind: str) -> Callable[..., Compiled]:
    def build(comp: _Compiler, node: ast.Quant, coll: Compiled, item_t: Type, slot: int,
              body: Compiled | None) -> Compiled:
        items = _items(coll.fn, item_t)
        value_t = body.type if body is not None else item_t
        numeric = is_scalar(value_t, "number") or isinstance(value_t, QuantityT)
        if not numeric and not (kind != "sum" and is_scalar(value_t, "date", "string")):
            raise comp.fail(node, f"{kind}(...) needs numbers or quantities, "
                                  f"found {value_t.describe()}")
        get = body.fn if body is not None else (lambda ctx: ctx.env[slot])
        zero: Any = Quantity(Decimal(0), base_unit(value_t.dims)) if isinstance(
            value_t, QuantityT) else 0

        def run(ctx: Context) -> Any:
            values = items(ctx)
            if values is MISSING:
                return MISSING
            if ctx.trace is not None:
                _remember_items(ctx, values)
            picked: list[Any] = []
            for value in values:
                ctx.env[slot] = value
                v = get(ctx)
                if v is MISSING:
                    return MISSING
                picked.append(v)
            try:
                return _fold(kind, picked, zero)
            except Undecidable as exc:  # a sum past the exponent limit
                ctx.note(f"{kind}: {exc.reason}")
                return MISSING
            except OUT_OF_RANGE as exc:  # min or max of quantities past it in base units
                ctx.note(out_of_range(kind, picked, exc))
                return MISSING

        return Compiled(value_t, run)

    return build


def _fold(kind: str, values: Iterable[Any], zero: Any) -> Any:
    values = list(values)
    if kind == "sum":
        if not values:
            return zero
        total = values[0]
        for v in values[1:]:
            total = add(total, v)
        return total
    if not values:
        return MISSING
    pick = min if kind == "min" else max
    return pick(values, key=compare_key)


_QUANTIFIERS: dict[str, Callable[..., Compiled]] = {
    "all": _q_logic("all"),
    "any": _q_logic("any"),
    "none": _q_logic("none"),
    "count": _q_count,
    "sum": _q_fold("sum"),
    "min": _q_fold("min"),
    "max": _q_fold("max"),
}
