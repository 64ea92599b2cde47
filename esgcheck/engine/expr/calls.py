"""Type-checking of calls of built-in functions, and the emitters each one is
written with (the presence tests of a field read straight from the filing).
A mixin of the compiler (``compiler._Compiler``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from esgcheck.engine.expr import emit as E
from esgcheck.engine.expr import emit_ops as O
from esgcheck.engine.expr import parser as ast
from esgcheck.engine.expr.builtins import Builtin
from esgcheck.engine.expr.compiled import Compiled, const
from esgcheck.engine.expr.types import ANY, ListT, QuantityT, Scalar, Type, is_any, same_kind
from esgcheck.engine.expr.values import MISSING
from esgcheck.engine.refdata import Table
from esgcheck.engine.units import UnitError, parse_unit

if TYPE_CHECKING:
    from esgcheck.engine.expr.compiled import Environment, ExprTypeError


class Calls:
    """Calls; the compiler supplies ``env``, ``compile``, ``c_quant``, ``fail``
    and ``clash``."""

    if TYPE_CHECKING:  # what the compiler supplies
        env: Environment

        def compile(self, node: ast.Node, scope: dict[str, tuple[int, Type]]) -> Compiled:
            raise NotImplementedError

        def c_quant(self, node: ast.Quant, scope: dict[str, tuple[int, Type]]) -> Compiled:
            raise NotImplementedError

        def fail(self, node: ast.Node, message: str) -> ExprTypeError:
            raise NotImplementedError

        def clash(self, lt: Type, rt: Type, op: str) -> str:
            raise NotImplementedError

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
        outcome = PRESENCE.get(builtin.name)
        if outcome is not None and args[0].parts is None:
            if builtin.name in ("readable", "present"):
                raise self.fail(node, f"{builtin.name}() takes a field of the filing, such as "
                                      f"{builtin.name}(carbon_footprint.total)")
        elif outcome is not None:
            # a field of the filing: readable, absent, or there but unreadable
            assert args[0].parts is not None
            return Compiled(result, E.presence(args[0].parts, args[0].chain, outcome))
        chain = args[0].chain if args else None
        if builtin.name == "unit_of" and chain is not None and chain.reader is not None:
            # the unit text of a quantity field, read before conversion: a unit of the
            # wrong kind (kg CO2e per kg where per kWh is expected) is still named
            return Compiled(result, E.unit_of(chain))
        emits = [a.emit for a in args]
        if builtin.total:
            return Compiled(result, O.total(builtin.impl, emits))
        return Compiled(result, O.strict(builtin.impl, emits, O.reason(builtin.name),
                                         builtin.name))

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
        return const(ANY, value)


# What exists(), missing(), readable() and present() give for a field of the
# filing that is readable, absent, or there but unreadable (the README's table).
PRESENCE: dict[str, E.Outcome] = {
    "exists": (True, False, MISSING),
    "missing": (False, True, MISSING),
    "readable": (True, MISSING, False),
    "present": (True, False, True),
}

