"""Type-check expressions and describe them as generated code.

Compilation happens once, when a rule base loads: each AST node is checked
against the filing type's schema and becomes a ``Compiled``, its type and its
emitter (``emit``), which writes the node into generated Python (``codegen``)
in the fast form and in the traced form that records evidence. Type errors (an
unknown field or function, text compared with a number, a unit clash, a value
outside a field's enum) raise ``ExprTypeError`` with the offset of the
offending node, which the loader turns into file and line.

Stages: ``parser`` (text to AST); this module, ``operators`` and ``calls``
(type-check and choose the emitters; what they make is in ``compiled``);
``emit`` (the emitters); ``codegen`` (functions and modules); ``runtime``
(what the generated code calls while it runs).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from esgcheck.engine.expr import emit as E
from esgcheck.engine.expr import emit_loops as L
from esgcheck.engine.expr import emit_ops as O
from esgcheck.engine.expr import parser as ast
from esgcheck.engine.expr.calls import Calls
from esgcheck.engine.expr.codegen import Emit, Emitter
from esgcheck.engine.expr.compiled import (
    Compiled,
    Environment,
    ExprTypeError,
    FactSig,
    TypedValue,
    bound,
    bounded_width,
    const,
)
from esgcheck.engine.expr.operators import Operators
from esgcheck.engine.expr.runtime import (
    LIMITS,
    Context,
    FactRead,
    FactStore,
    Note,
    QuantityReader,
    Read,
    RunLimits,
    TraceEntry,
    converter,
)
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
    Type,
    is_any,
    is_scalar,
    same_kind,
)
from esgcheck.engine.expr.values import MISSING
from esgcheck.engine.units import Quantity, UnitError, base_unit, parse_unit

__all__ = ["LIMITS", "Compiled", "Context", "Environment", "ExprTypeError", "FactRead",
           "FactSig", "FactStore", "Note", "Read", "RunLimits", "TraceEntry", "TypedValue",
           "bounded_width", "compile_expr"]


RESERVED = ("filing", "this", "facts", "config", "as_of")


def compile_expr(node: ast.Node, env: Environment) -> Compiled:
    return _Compiler(env).compile(node, {})


class _Compiler(Calls, Operators):
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
            return const(QuantityT(unit.dims), value)
        kinds: dict[str, Type] = {
            "number": NUMBER, "string": STRING, "boolean": BOOLEAN, "date": DATE,
        }
        return const(kinds[node.kind], node.value)

    def c_listlit(self, node: ast.ListLit, scope: Any) -> Compiled:
        items = [self.compile(item, scope) for item in node.items]
        item_type: Type = items[0].type if items else ANY
        for item, sub_node in zip(items, node.items, strict=True):
            if not same_kind(item_type, item.type):
                raise self.fail(sub_node, f"list mixes {item_type.describe()} "
                                          f"and {item.type.describe()}")
        if all(i.is_const for i in items):
            return const(ListT(item_type), [i.const for i in items])
        return Compiled(ListT(item_type), O.listing([i.emit for i in items]))

    # -- names and fields
    def c_name(self, node: ast.Name, scope: dict[str, tuple[int, Type]]) -> Compiled:
        name = node.name
        if name in scope:
            slot, t = scope[name]
            return bound(t, slot)
        if name == "filing":
            return Compiled(self.env.schema.root(), E.expr("ctx.root"))
        if name == "this":
            return bound(self.env.entity, 1)
        if name == "as_of":
            self.env.reads_as_of = True
            return Compiled(DATE, E.expr("MISSING if ctx.as_of is None else ctx.as_of"))
        if name in ("facts", "config"):
            raise self.fail(node, f"'{name}' needs a name after it, as in {name}.something")
        if name in self.env.ancestors:
            slot, anc = self.env.ancestors[name]
            return bound(anc, slot)
        return self.field(node, bound(self.env.entity, 1), name)

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
        reader = QuantityReader.of(ftype) if isinstance(ftype, QuantityT) else None
        conv = reader.convert if reader is not None else converter(ftype)
        if base.chain is None:
            start = None if base.slot is not None else base.emit
            chain = E.Chain(start, base.slot, (key,), conv, reader is not None, reader)
        else:
            b = base.chain
            chain = E.Chain(b.start, b.slot, (*b.keys, key), conv, reader is not None, reader)
        value, parts = E.field(base.emit, key, ftype, chain)
        return Compiled(ftype, value, chain=chain, parts=parts)

    def column(self, node: ast.Attr, base: Compiled) -> Compiled:
        assert isinstance(base.type, RecordT)
        ctype = base.type.columns.get(node.name)
        if ctype is None:
            known = ", ".join(sorted(base.type.columns))
            raise self.fail(node, f"table {base.type.table} has no column '{node.name}' "
                                  f"(columns: {known})")
        label = f"{base.type.table}.{node.name}"
        return Compiled(ctype, E.column(base.emit, node.name, label))

    def config_value(self, node: ast.Attr) -> Compiled:
        if node.name not in self.env.config:
            known = ", ".join(sorted(self.env.config)) or "none"
            raise self.fail(node, f"unknown configuration value '{node.name}' (known: {known})")
        value = self.env.config[node.name]
        if isinstance(value, TypedValue):
            return const(value.type, value.value)
        return const(_type_of_value(value), value)

    def fact(self, node: ast.Attr, owner: ast.Node | None, scope: Any) -> Compiled:
        sig = self.env.facts.get(node.name)
        if sig is None:
            known = ", ".join(sorted(self.env.facts)) or "none"
            raise self.fail(node, f"unknown fact '{node.name}' (facts derived by this rule "
                                  f"base: {known})")
        self.env.facts_used.add(sig.name)
        default = False if sig.type is BOOLEAN else MISSING
        path, slot = self.fact_owner(node, owner, sig, scope)
        return Compiled(sig.type, E.fact(path, sig.name, default, slot))

    def fact_owner(self, node: ast.Node, owner: ast.Node | None, sig: FactSig,
                   scope: Any) -> tuple[Emit, int | None]:
        """Code for the path of the entity instance that owns the fact (None when
        the owner is not in the filing), and the slot of the owner when it is a
        bound entity (0: the filing), whose path is known for the whole
        evaluation."""
        bound = 2 + len(self.env.ancestors)
        if owner is not None:
            base = self.compile(owner, scope)
            if not isinstance(base.type, ObjectT) or base.type.entity != sig.entity:
                raise self.fail(node, f"fact '{sig.name}' belongs to entity {sig.entity}, "
                                      f"not to {base.type.describe()}")
            if base.slot is not None and base.slot >= bound:
                self.env.fact_owners.add(base.slot)  # its quantifier says where items are
            if base.slot is not None and base.slot < bound:
                owner_slot = base.slot
                return (lambda em: em.slot_path(owner_slot)), owner_slot
            base_emit, item = base.emit, base.slot

            def path(em: Emitter) -> str:
                known = em.item_path(item) if item is not None else None
                return known or f"ctx.path_of({base_emit(em)})"

            return path, None
        if sig.entity == "filing":
            return E.expr("()"), 0
        if sig.entity == self.env.entity.entity:
            return (lambda em: em.slot_path(1)), 1
        if sig.entity in self.env.ancestors:
            slot = self.env.ancestors[sig.entity][0]
            return (lambda em: em.slot_path(slot)), slot
        raise self.fail(node, f"fact '{sig.name}' belongs to entity {sig.entity}; from "
                              f"{self.env.entity.describe()} read it as x.facts.{sig.name} "
                              f"with x bound to a {sig.entity}")

    # -- quantifiers and aggregates
    def items_path(self, coll: Compiled) -> Emit | None:
        """Code for the path of the list a quantifier ranges over, when it is known
        without a search (a chain of fields from a bound entity), so that the
        fast form can say where each item is: a fact of the item is read by its
        path, which otherwise takes indexing the whole filing."""
        chain = coll.chain
        if chain is None or chain.slot is None or chain.slot >= 2 + len(self.env.ancestors):
            return None
        n, keys = chain.slot, chain.keys
        return lambda em: f"(*{em.slot_path(n)}, {''.join(em.ref(k) + ', ' for k in keys)})"

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
        conv = converter(item_t)
        kind = node.kind
        where = self.items_path(coll) if slot in self.env.fact_owners else None
        if kind in ("all", "any", "none"):
            if body is None:
                raise self.fail(node, f"{kind}(x in list: condition) needs a condition")
            self.expect_boolean(node.body or node, body)
            return Compiled(BOOLEAN, L.quantifier(kind, coll.emit, conv, slot, body.emit,
                                                  where))
        if kind == "count":
            if body is not None:
                self.expect_boolean(node.body or node, body)
            return Compiled(NUMBER, L.count(coll.emit, conv, slot,
                                            body.emit if body is not None else None, where))
        value_t = body.type if body is not None else item_t
        numeric = is_scalar(value_t, "number") or isinstance(value_t, QuantityT)
        if not numeric and not (kind != "sum" and is_scalar(value_t, "date", "string")):
            raise self.fail(node, f"{kind}(...) needs numbers or quantities, "
                                  f"found {value_t.describe()}")
        zero: Any = Quantity(Decimal(0), base_unit(value_t.dims)) if isinstance(
            value_t, QuantityT) else 0
        return Compiled(value_t, L.aggregate(kind, coll.emit, conv, slot,
                                             body.emit if body is not None else None, zero))


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
