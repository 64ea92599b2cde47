"""Type-checking of the operators (``not``, ``-``, ``and``/``or``, ``??``,
comparisons, ``in``, ``matches``, arithmetic, ``if``), and the emitters each
one is written with. A mixin of the compiler (``compiler._Compiler``)."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

import regex

from esgcheck.engine.expr import emit as E
from esgcheck.engine.expr import emit_ops as O
from esgcheck.engine.expr import parser as ast
from esgcheck.engine.expr.codegen import Emitter
from esgcheck.engine.expr.compiled import Compiled, bounded_width
from esgcheck.engine.expr.runtime import (
    Members,
    SearchMemo,
    contains,
    conv_number,
    not_contains,
)
from esgcheck.engine.expr.types import (
    ANY,
    BOOLEAN,
    NUMBER,
    STRING,
    ListT,
    QuantityT,
    Scalar,
    Type,
    is_any,
    is_scalar,
    same_kind,
)
from esgcheck.engine.expr.values import add, div, mul, sub
from esgcheck.engine.units import combine_dims

if TYPE_CHECKING:
    from esgcheck.engine.expr.compiled import ExprTypeError



class Operators:
    """Operator nodes; the compiler supplies ``compile`` and ``fail``."""

    if TYPE_CHECKING:  # what the compiler supplies
        def compile(self, node: ast.Node, scope: dict[str, tuple[int, Type]]) -> Compiled:
            raise NotImplementedError

        def fail(self, node: ast.Node, message: str) -> ExprTypeError:
            raise NotImplementedError

    def c_unary(self, node: ast.Unary, scope: Any) -> Compiled:
        operand = self.compile(node.operand, scope)
        if node.op == "not":
            self.expect_boolean(node.operand, operand)
            return Compiled(BOOLEAN, O.strict(operator.not_, [operand.emit], guarded=False,
                                              code=lambda em, names: f"not {names[0]}",
                                              plain=True))
        if not (is_scalar(operand.type, "number") or isinstance(operand.type, QuantityT)):
            raise self.fail(node, f"cannot negate a {operand.type.describe()}")
        return Compiled(operand.type, O.negate(operand.emit))

    def expect_boolean(self, node: ast.Node, c: Compiled) -> None:
        if not is_scalar(c.type, "boolean"):
            raise self.fail(node, f"expected a true/false condition, found {c.type.describe()}")

    def c_binary(self, node: ast.Binary, scope: Any) -> Compiled:
        op = node.op
        left, right = self.compile(node.left, scope), self.compile(node.right, scope)
        if op in ("and", "or"):
            self.expect_boolean(node.left, left)
            self.expect_boolean(node.right, right)
            return Compiled(BOOLEAN, O.logic(op, left.emit, right.emit))
        if op == "??":
            if not same_kind(left.type, right.type):
                raise self.fail(node, f"'??' joins {left.type.describe()} "
                                      f"and {right.type.describe()}")
            return Compiled(left.type if not is_any(left.type) else right.type,
                             E.coalesce(left.emit, left.parts, right.emit, left.chain))
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
        quantities = isinstance(lt, QuantityT) and isinstance(rt, QuantityT)
        plain = not (isinstance(lt, QuantityT) or isinstance(rt, QuantityT) or is_any(lt)
                     or is_any(rt))
        simple = plain and all(is_scalar(t, "string", "boolean") for t in (lt, rt))
        emit = O.compare(node.op, left.emit, right.emit, quantities, plain, simple)
        lc, rc = left.chain, right.chain
        if lc is not None and rc is not None and lc.reader is not None and rc.reader is not None:
            emit = O.raw_compare(node.op, lc, rc, emit)
        elif plain and is_scalar(lt, "number") and is_scalar(rt, "number"):
            ln, rn = _number_chain(left), _number_chain(right)
            if (ln is not None or left.is_const) and (rn is not None or right.is_const) and (
                    ln is not None or rn is not None):
                emit = O.number_compare(node.op, ln, left.const, rn, right.const, emit)
        return Compiled(BOOLEAN, emit)

    def clash(self, lt: Type, rt: Type, op: str) -> str:
        from esgcheck.engine.units import describe_dims

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
        if right.is_const:
            members = Members(right.const, negate)
            code = None
            if isinstance(left.type, Scalar) and not is_any(left.type):
                # not a quantity: its comparison key is the value itself
                def code(em: Emitter, names: list[str]) -> str:
                    return f"{names[0]} {node.op} {em.ref(members.keys)}"
            return Compiled(BOOLEAN, O.strict(members.test, [left.emit, right.emit],
                                               out_of_range_of=node.op, code=code,
                                               plain=code is not None))
        return Compiled(BOOLEAN, O.strict(not_contains if negate else contains,
                                           [left.emit, right.emit], out_of_range_of=node.op))

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
        # searched once per text (see SearchMemo); a pattern of bounded width
        # cannot backtrack without bound and runs without the timeout
        memo = SearchMemo(pattern.search, timed=not bounded_width(right.const))
        test = O.strict(memo.__getitem__, [left.emit], O.reason(), share=True,
                        code=lambda em, names: f"{em.ref(memo)}[{names[0]}]",
                        plain=not memo.timed)  # untimed, a search always decides
        return Compiled(BOOLEAN, test)

    def arithmetic(self, node: ast.Binary, left: Compiled, right: Compiled) -> Compiled:
        lt, rt, op = left.type, right.type, node.op
        if op == "+" and is_scalar(lt, "string") and is_scalar(rt, "string") and not (
                is_any(lt) and is_any(rt)):
            return Compiled(STRING, O.concatenation(left.emit, right.emit))
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
            if lq and rq:
                assert isinstance(lt, QuantityT) and isinstance(rt, QuantityT)
                dims = combine_dims(lt.dims, rt.dims, 1 if op == "*" else -1)
                result = QuantityT(dims) if dims else NUMBER
            elif rq and op == "/":
                assert isinstance(rt, QuantityT)
                result = QuantityT(combine_dims((), rt.dims, -1))
            else:
                result = lt if lq else rt if rq else NUMBER
        return Compiled(result, O.strict(impl, [left.emit, right.emit], O.reason(), op))

    def c_cond(self, node: ast.Cond, scope: Any) -> Compiled:
        test = self.compile(node.test, scope)
        self.expect_boolean(node.test, test)
        then, other = self.compile(node.then, scope), self.compile(node.other, scope)
        if not same_kind(then.type, other.type):
            raise self.fail(node, f"'if' branches differ: {then.type.describe()} "
                                  f"and {other.type.describe()}")
        return Compiled(then.type if not is_any(then.type) else other.type,
                         O.condition(test.emit, then.emit, other.emit))


def _number_chain(c: Compiled) -> E.Chain | None:
    """The chain of field reads of a number of the filing, if ``c`` is one."""
    return c.chain if c.chain is not None and c.chain.conv is conv_number else None
