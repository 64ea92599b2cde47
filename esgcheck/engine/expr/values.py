"""Run-time values shared by the compiler, the built-ins and the engine."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from esgcheck.engine.units import Quantity, base_unit, combine_dims


class _Missing:
    """The value of anything the filing does not provide, or provides unreadably.

    Logic over it is three-valued (Kleene): ``false and missing`` is false,
    ``true or missing`` is true, everything else that touches it is missing.
    A check whose condition ends up missing reports ``not_assessable``.
    """

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "missing"

    def __bool__(self) -> bool:
        raise TypeError("missing has no truth value; test it with 'is MISSING'")

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


class Undecidable(Exception):
    """Raised by a built-in that cannot decide (for example, a date outside the
    holiday calendar). The call site turns it into MISSING and notes the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def to_number(value: Any) -> int | Decimal | None:
    """A JSON/XML number as an exact number, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        try:
            return Decimal(repr(value))
        except InvalidOperation:
            return None
    return None


def display(value: Any) -> str:
    """How a value appears in messages: ISO dates, plain decimals, units."""
    if value is MISSING:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Quantity):
        return f"{display(value.exact)} {value.unit.symbol}"
    if isinstance(value, list | tuple | frozenset | set):
        return ", ".join(display(v) for v in value)
    return str(value)


# ---------------------------------------------------------------- arithmetic
# Numbers are exact (int or Decimal). Quantities keep the left operand's unit
# when added or subtracted; products and quotients of quantities are expressed
# in base units, and become plain numbers when the dimensions cancel.


def _num(x: Any) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(x)


def _bounded(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """An operation whose overflow (or other arithmetic failure, such as
    ``1e999999 * 1e999999``) cannot be decided rather than crashing."""

    @functools.wraps(op)
    def run(a: Any, b: Any) -> Any:
        try:
            return op(a, b)
        except ArithmeticError as exc:
            raise Undecidable(f"arithmetic out of range ({type(exc).__name__})") from None

    return run


@_bounded
def add(a: Any, b: Any) -> Any:
    if isinstance(a, Quantity):
        return Quantity(a.exact + b.to(a.unit), a.unit)
    return a + b


@_bounded
def sub(a: Any, b: Any) -> Any:
    if isinstance(a, Quantity):
        return Quantity(a.exact - b.to(a.unit), a.unit)
    return a - b


@_bounded
def mul(a: Any, b: Any) -> Any:
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        return _product(a.base * b.base, a.unit.dims, b.unit.dims, 1)
    if isinstance(a, Quantity):
        return Quantity(a.exact * _num(b), a.unit)
    if isinstance(b, Quantity):
        return Quantity(_num(a) * b.exact, b.unit)
    return a * b


@_bounded
def div(a: Any, b: Any) -> Any:
    """Division; a zero divisor cannot be decided and yields MISSING upstream."""
    if isinstance(b, Quantity):
        if b.exact == 0:
            raise Undecidable("division by zero")
        if isinstance(a, Quantity):
            return _product(_num(a.base) / _num(b.base), a.unit.dims, b.unit.dims, -1)
        return _product(_num(a) / b.base, (), b.unit.dims, -1)
    if b == 0:
        raise Undecidable("division by zero")
    if isinstance(a, Quantity):
        return Quantity(a.exact / _num(b), a.unit)
    return _num(a) / _num(b)


def _product(value: Decimal | int, left: Any, right: Any, sign: int) -> Any:
    dims = combine_dims(left, right, sign)
    return value if not dims else Quantity(value, base_unit(dims))


def compare_key(x: Any) -> Any:
    """What ordering and equality look at: base units for quantities."""
    return x.base if isinstance(x, Quantity) else x
