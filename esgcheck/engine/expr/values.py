"""Run-time values shared by the compiler, the built-ins and the engine."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation
from typing import Any, Final

from esgcheck.engine.units import Quantity, Unit, base_unit, combine_dims


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


# Numbers a filing can write in a few characters can be very long written out
# in full (1e999999 is a million digits): past this length a number is shown in
# scientific notation, still exact (every significant digit kept).
PLAIN_DIGITS = 40


def display(value: Any) -> str:
    """How a value appears in messages: ISO dates, plain decimals, units.
    Numbers are exact; one whose plain form would be longer than
    ``PLAIN_DIGITS`` is written in scientific notation (1E+999999)."""
    if value is MISSING:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if -_PLAIN_INT < value < _PLAIN_INT:
            return str(value)
        return _scientific(Decimal(value))  # Decimal(int) is exact, and str() may refuse
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)  # finite
        if value.adjusted() >= PLAIN_DIGITS or exponent < -PLAIN_DIGITS:
            return _scientific(value)
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Quantity):
        return f"{display(value.exact)} {value.unit.symbol}"
    if isinstance(value, Unit):
        return value.symbol
    if isinstance(value, list | tuple | frozenset | set):
        return ", ".join(display(v) for v in value)
    return str(value)


_PLAIN_INT = 10 ** PLAIN_DIGITS


def _scientific(value: Decimal) -> str:
    """Exact scientific notation without trailing zeros: 1E+999999, 1.25E-400."""
    return format(value.normalize(_EXACT), "E")


# a context that only drops trailing zeros: precision enough for any number a
# filing can hold, and exponents as wide as Decimal allows
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)

# Arithmetic and date errors that mean a value is out of the range a built-in or
# an operator can work in (a date past 9999-12-31, a decimal past its exponent
# limit, round(x, 10**9)): the condition that met it cannot be decided.
OUT_OF_RANGE = (ArithmeticError, ValueError)

# A number used to count (days, months, positions, decimal places) must be
# within this: no calendar or text reaches it, and turning 1e999999999 into a
# Python integer would itself exhaust the machine.
MAX_WHOLE = 10 ** 18


def whole(x: Any) -> int:
    """A number as a whole number to count with (its integer part, as int()
    gives it); Undecidable beyond +/-10^18 or when it is not finite."""
    if isinstance(x, Decimal):
        if not x.is_finite() or x.adjusted() > 18:
            raise Undecidable(f"{display(x)} is beyond the range of a count (±10^18)")
        x = int(x)
    if not isinstance(x, int) or isinstance(x, bool):
        raise Undecidable(f"{display(x)} is not a number")
    if not -MAX_WHOLE <= x <= MAX_WHOLE:
        raise Undecidable(f"{display(x)} is beyond the range of a count (±10^18)")
    return x


def brief(value: Any, width: int = 60) -> str:
    """A value as displayed, cut to ``width`` characters: for the note that names
    a value a condition could not work with (a text may be 100 KB long)."""
    text = display(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def out_of_range(what: str, args: Any, exc: BaseException) -> str:
    """The note for a condition that met a value out of range: the operation and
    the values it was given, so the finding names them."""
    kind = type(exc).__name__
    if not what.isidentifier() and len(args) == 2:  # an operator: a + b
        return f"{brief(args[0])} {what} {brief(args[1])} is out of range ({kind})"
    shown = [brief(a) for a in list(args)[:4]] + (["…"] if len(args) > 4 else [])
    return f"{what}({', '.join(shown)}) is out of range ({kind})"


# ---------------------------------------------------------------- arithmetic
# Numbers are exact (int or Decimal). Quantities keep the left operand's unit
# when added or subtracted; products and quotients of quantities are expressed
# in base units, and become plain numbers when the dimensions cancel.


_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _num(x: Any) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(x)


def _bounded(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """An operation whose overflow (or other arithmetic failure, such as
    ``1e999999 * 1e999999``) cannot be decided rather than crashing."""

    @functools.wraps(op)
    def run(a: Any, b: Any) -> Any:
        try:
            return op(a, b)
        except OUT_OF_RANGE as exc:
            raise Undecidable(out_of_range(_SYMBOLS.get(op.__name__, op.__name__),
                                           (a, b), exc)) from None

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


_EXACT_FLOAT = 2.0 ** 53  # below it, a float and an integer compare as the float is written


def compare_directly(a: Any, b: Any) -> bool:
    """Whether two numbers read from filings (or written in rules) compare by
    Python's own operators as the decimals they are written as. Of one class
    they do (a float's shortest form keeps the order of the floats), and so do
    an integer and a decimal. Python compares a float by its binary value: with
    an integer that is the same below 2**53 (no integer lies between a float
    there and the decimal it is written as), with a decimal it is not
    (0.1 > Decimal('0.1'))."""
    ca, cb = a.__class__, b.__class__
    if ca is cb or (ca is not float and cb is not float):
        return True
    if ca is float:
        return cb is int and -_EXACT_FLOAT < a < _EXACT_FLOAT
    return ca is int and -_EXACT_FLOAT < b < _EXACT_FLOAT


def compare_key(x: Any) -> Any:
    """What ordering and equality look at: base units for quantities."""
    return x.base if isinstance(x, Quantity) else x
