"""Lexer and Pratt parser of the rule expression language.

The grammar, loosest binding first::

    expr    := 'if' expr 'then' expr 'else' expr | coalesce
    coalesce:= or ('??' or)*
    or      := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := sum (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not' 'in'|'matches') sum)?
    sum     := product (('+'|'-') product)*
    product := unary (('*'|'/') unary)*
    unary   := '-' unary | postfix
    postfix := primary ('.' NAME)*
    primary := NUMBER ['[' UNIT ']'] | STRING | DATE | 'true' | 'false'
             | NAME | NAME '(' args ')' | '(' expr ')' | '[' [expr (',' expr)*] ']'
             | QUANT '(' NAME 'in' expr [':' expr] ')'

Quantifiers and aggregates (``all any none count sum min max``) bind a
variable over a collection: ``all(o in outlets: o.code matches '^D[AW]')``.
A date literal is written bare: ``2022-02-08``. A quantity literal puts its
unit in brackets right after the number: ``0.5[kgCO2e/kWh]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

# Bounds on one expression, far above what a rule needs (the shipped rules nest
# at most 24 levels and hold at most 400 tokens). Past them the parser, and the
# compiler and code generator after it, would recurse or work without end, so
# the expression is refused with its position, as a syntax error is.
MAX_TOKENS = 10_000
MAX_NESTING = 32  # brackets, calls, 'if', 'not' and unary minus inside one another
MAX_DEPTH = 100  # of the syntax tree, chains of 'and', 'or', '+' ... included
MAX_NUMBER = 100  # characters of a number literal


class ExprSyntaxError(ValueError):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


# ---------------------------------------------------------------- AST


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Literal(Node):
    value: Any
    kind: str  # number | string | boolean | date | quantity


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Attr(Node):
    obj: Node
    name: str


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Quant(Node):
    kind: str
    var: str
    coll: Node
    body: Node | None


@dataclass(frozen=True)
class Cond(Node):
    test: Node
    then: Node
    other: Node


QUANTIFIERS = frozenset({"all", "any", "none", "count", "sum", "min", "max"})
KEYWORDS = frozenset({"and", "or", "not", "in", "matches", "if", "then", "else", "true", "false"})

# ---------------------------------------------------------------- lexer

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\d.]))
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?:\[(?P<unit>[^\]\n]+)\])?
  | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\?\?|==|!=|<=|>=|[<>+\-*/().,:\[\]])
    """,
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True)
class Token:
    kind: str  # date number string name op end
    text: str
    pos: int
    unit: str | None = None


def _unescape(body: str) -> str:
    """Resolve \\n, \\t, \\\\ and quote escapes; keep any other backslash as
    written, so regular expressions read naturally (``'^D[AW]\\d{3}$'``)."""
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, ch + nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExprSyntaxError(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup
        if kind == "unit":  # the unit group belongs to a number token
            kind = "number"
        assert kind is not None
        if kind != "ws":
            if len(tokens) >= MAX_TOKENS:
                raise ExprSyntaxError(f"the expression is longer than {MAX_TOKENS} tokens", pos)
            if m.group("number") is not None:
                tokens.append(Token("number", m.group("number"), pos, m.group("unit")))
            else:
                tokens.append(Token(kind, m.group(kind), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# ---------------------------------------------------------------- parser

_COMPARE = {"==", "!=", "<", "<=", ">", ">=", "in", "matches"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.nesting = 0

    def enter(self, pos: int) -> None:
        """One level deeper; refused past MAX_NESTING (the caller leaves with
        ``self.nesting -= 1``)."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExprSyntaxError(f"the expression nests more than {MAX_NESTING} levels deep",
                                  pos)

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def at(self, text: str) -> bool:
        t = self.tok
        return t.kind in ("op", "name") and t.text == text

    def take(self, text: str) -> Token:
        if not self.at(text):
            got = self.tok.text or "end of expression"
            raise ExprSyntaxError(f"expected {text!r}, found {got!r}", self.tok.pos)
        t = self.tok
        self.i += 1
        return t

    def parse(self) -> Node:
        node = self.expr()
        if self.tok.kind != "end":
            raise ExprSyntaxError(f"unexpected {self.tok.text!r}", self.tok.pos)
        return node

    def expr(self) -> Node:
        self.enter(self.tok.pos)
        try:
            return self.expr_inner()
        finally:
            self.nesting -= 1

    def expr_inner(self) -> Node:
        if self.at("if"):
            pos = self.take("if").pos
            test = self.expr()
            self.take("then")
            then = self.expr()
            self.take("else")
            return Cond(pos, test, then, self.expr())
        return self.binary_chain(self.or_, ("??",))

    def binary_chain(self, sub: Any, ops: tuple[str, ...]) -> Node:
        node: Node = sub()
        while self.tok.kind in ("op", "name") and self.tok.text in ops:
            op = self.tok
            self.i += 1
            node = Binary(op.pos, op.text, node, sub())
        return node

    def or_(self) -> Node:
        return self.binary_chain(self.and_, ("or",))

    def and_(self) -> Node:
        return self.binary_chain(self.not_, ("and",))

    def not_(self) -> Node:
        if self.at("not"):
            pos = self.take("not").pos
            self.enter(pos)
            try:
                return Unary(pos, "not", self.not_())
            finally:
                self.nesting -= 1
        return self.compare()

    def compare(self) -> Node:
        left = self.sum()
        t = self.tok
        if t.kind in ("op", "name") and t.text in _COMPARE:
            self.i += 1
            return Binary(t.pos, t.text, left, self.sum())
        if self.at("not") and self.tokens[self.i + 1].text == "in":
            self.i += 2
            return Binary(t.pos, "not in", left, self.sum())
        return left

    def sum(self) -> Node:
        return self.binary_chain(self.product, ("+", "-"))

    def product(self) -> Node:
        return self.binary_chain(self.unary, ("*", "/"))

    def unary(self) -> Node:
        if self.at("-"):
            pos = self.take("-").pos
            self.enter(pos)
            try:
                return Unary(pos, "-", self.unary())
            finally:
                self.nesting -= 1
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while self.at("."):
            self.take(".")
            t = self.tok
            if t.kind != "name":
                raise ExprSyntaxError("expected a field name after '.'", t.pos)
            self.i += 1
            node = Attr(t.pos, node, t.text)
        return node

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "number":
            self.i += 1
            if len(t.text) > MAX_NUMBER:
                raise ExprSyntaxError(f"a number literal of {len(t.text)} characters; at most "
                                      f"{MAX_NUMBER} are read", t.pos)
            value: Any = Decimal(t.text) if any(c in t.text for c in ".eE") else int(t.text)
            if t.unit is not None:
                return Literal(t.pos, (value, t.unit.strip()), "quantity")
            return Literal(t.pos, value, "number")
        if t.kind == "string":
            self.i += 1
            return Literal(t.pos, _unescape(t.text[1:-1]), "string")
        if t.kind == "date":
            self.i += 1
            try:
                return Literal(t.pos, date.fromisoformat(t.text), "date")
            except ValueError:
                raise ExprSyntaxError(f"invalid date {t.text}", t.pos) from None
        if self.at("("):
            self.take("(")
            node = self.expr()
            self.take(")")
            return node
        if self.at("["):
            pos = self.take("[").pos
            items: list[Node] = []
            if not self.at("]"):
                items.append(self.expr())
                while self.at(","):
                    self.take(",")
                    items.append(self.expr())
            self.take("]")
            return ListLit(pos, tuple(items))
        if t.kind == "name":
            if t.text in ("true", "false"):
                self.i += 1
                return Literal(t.pos, t.text == "true", "boolean")
            if t.text in KEYWORDS:
                raise ExprSyntaxError(f"unexpected keyword {t.text!r}", t.pos)
            self.i += 1
            if self.at("("):
                return self.call(t)
            return Name(t.pos, t.text)
        raise ExprSyntaxError(f"unexpected {t.text or 'end of expression'!r}", t.pos)

    def call(self, name: Token) -> Node:
        self.take("(")
        is_binder = (
            name.text in QUANTIFIERS
            and self.tok.kind == "name"
            and self.tokens[self.i + 1].text == "in"
        )
        if is_binder:
            var = self.tok.text
            self.i += 2
            coll = self.expr()
            body = None
            if self.at(":"):
                self.take(":")
                body = self.expr()
            self.take(")")
            return Quant(name.pos, name.text, var, coll, body)
        args: list[Node] = []
        if not self.at(")"):
            args.append(self.expr())
            while self.at(","):
                self.take(",")
                args.append(self.expr())
        self.take(")")
        return Call(name.pos, name.text, tuple(args))


def parse(text: str) -> Node:
    """Parse one expression; raises ExprSyntaxError with the offset of the problem."""
    node = _Parser(text).parse()
    _check_depth(node)
    return node


def _check_depth(root: Node) -> None:
    """Refuse a syntax tree deeper than MAX_DEPTH (walked without recursion)."""
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprSyntaxError(f"the expression is more than {MAX_DEPTH} operations deep "
                                  "(split it, or derive a fact for a part)", node.pos)
        for value in vars(node).values():
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, Node):
                    stack.append((item, depth + 1))
