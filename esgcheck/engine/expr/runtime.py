"""What generated rule code uses while it runs: the evaluation context, trace
entries, value converters and the few helpers the code calls instead of
spelling them out (recording a read, folding a list).

Nothing here is compiled per rule; ``emit`` writes code that refers to these
names, and ``codegen`` puts them in the generated functions' namespace.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from esgcheck.engine.expr.codegen import INLINE
from esgcheck.engine.expr.types import ListT, ObjectT, QuantityT, Scalar, Type
from esgcheck.engine.expr.unreadable import describe as describe_unreadable
from esgcheck.engine.expr.values import (
    MISSING,
    OUT_OF_RANGE,
    Undecidable,
    add,
    compare_key,
    out_of_range,
    to_number,
)
from esgcheck.engine.model import Text
from esgcheck.engine.units import Quantity, Unit, UnitError, parse_unit, read_as

JsonPath = tuple[str | int, ...]


# ---------------------------------------------------------------- trace entries


@dataclass(frozen=True, slots=True)
class Read:
    """A value read from the filing, or (``path`` None) from reference data,
    then named by ``label``. A value present in the filing but not readable as
    its field's type is read as MISSING, with what the filing holds (``raw``)
    and why it could not be read (``problem``)."""

    path: JsonPath | None
    value: Any
    label: str = ""
    raw: Any = None
    problem: Text | None = None


@dataclass(frozen=True, slots=True)
class FactRead:
    name: str
    path: JsonPath
    value: Any


@dataclass(frozen=True, slots=True)
class Note:
    text: str


TraceEntry = Read | FactRead | Note


class FactStore:
    """Derived facts of one filing, keyed by (entity path, fact name)."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[tuple[JsonPath, str], Any] = {}


class Context:
    """Everything generated code may read while evaluating one rule."""

    __slots__ = ("_index", "_known", "as_of", "bound", "converted", "env", "facts", "paths",
                 "root", "trace")

    def __init__(self, root: Any, facts: FactStore, as_of: date | None, slots: int) -> None:
        self.root = root
        self.facts = facts
        self.as_of = as_of
        self.env: list[Any] = [None] * max(slots, 2)
        self.paths: list[JsonPath | None] = [None] * max(slots, 2)
        self.env[0] = root
        self.paths[0] = ()
        self.bound = 2  # slots 0 .. bound-1 hold the root and bound entities, with paths
        self.converted: dict[int, Any] = {}  # id of a quantity object -> its Quantity
        self.trace: list[TraceEntry] | None = None
        self._index: dict[int, JsonPath] | None = None
        self._known: dict[int, JsonPath] = {}

    def remember(self, obj: Any, path: JsonPath) -> None:
        """Note where a container of the filing sits (traced reads do this)."""
        self._known[id(obj)] = path

    def path_of(self, obj: Any) -> JsonPath | None:
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


def _index_paths(node: Any, path: JsonPath, out: dict[int, Any]) -> None:
    out[id(node)] = path
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                _index_paths(value, (*path, key), out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict | list):
                _index_paths(value, (*path, i), out)


# ---------------------------------------------------------------- recording (traced code)


def trace_read(ctx: Context, obj: Any, key: str, raw: Any, value: Any, ftype: Type) -> None:
    """A field read from an object of the filing, as evidence."""
    trace = ctx.trace
    if trace is None:
        return
    parent = ctx.path_of(obj)
    path = None if parent is None else (*parent, key)
    if value is MISSING and raw is not None:
        trace.append(Read(path, value, raw=raw, problem=describe_unreadable(ftype, raw)))
    else:
        trace.append(Read(path, value))
    if path is not None and raw.__class__ in (dict, list):
        ctx.remember(raw, path)


def trace_unit(ctx: Context, parent: Any, key: str, value: Any) -> None:
    """The unit text of a quantity, read before conversion, as evidence."""
    if ctx.trace is not None:
        at = ctx.path_of(parent) if parent.__class__ is dict else None
        ctx.trace.append(Read(None if at is None else (*at, key, "unit"), value))


def trace_value(ctx: Context, value: Any, label: str) -> None:
    """A value of reference data (a table's column), as evidence."""
    if ctx.trace is not None:
        ctx.trace.append(Read(None, value, label))


def trace_fact(ctx: Context, name: str, path: JsonPath, value: Any) -> None:
    if ctx.trace is not None:
        ctx.trace.append(FactRead(name, path, value))


def remember_items(ctx: Context, values: list[Any]) -> None:
    """Where the items of a list of the filing sit, for the reads of a quantifier."""
    if ctx.trace is None:
        return
    base = ctx.path_of(values)
    if base is not None:
        for i, value in enumerate(values):
            if value.__class__ in (dict, list):
                ctx.remember(value, (*base, i))


def fold(ctx: Context, kind: str, values: list[Any], zero: Any) -> Any:
    """sum, min or max of values none of which is MISSING; MISSING, with a note,
    when the result is out of range."""
    try:
        return _fold(kind, values, zero)
    except Undecidable as exc:  # a sum past the exponent limit
        ctx.note(f"{kind}: {exc.reason}")
        return MISSING
    except OUT_OF_RANGE as exc:  # min or max of quantities past it in base units
        ctx.note(out_of_range(kind, values, exc))
        return MISSING


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


# ---------------------------------------------------------------- value conversion


def conv_string(v: Any) -> Any:
    return v if v.__class__ is str else MISSING


def conv_number(v: Any) -> Any:
    n = to_number(v)
    return MISSING if n is None else n


def conv_boolean(v: Any) -> Any:
    return v if v.__class__ is bool else MISSING


def conv_date(v: Any) -> Any:
    if v.__class__ is date:
        return v
    if v.__class__ is str and len(v) == 10:
        try:
            return date.fromisoformat(v)
        except ValueError:
            return MISSING
    return MISSING


def conv_object(v: Any) -> Any:
    return v if v.__class__ is dict else MISSING


def conv_list(v: Any) -> Any:
    return v if v.__class__ is list else MISSING


def identity(v: Any) -> Any:
    return v


NUMBERS = (int, float, Decimal)  # not bool: its class is bool


class RunLimits:
    """Bounds that apply while rules run (set by the checker from its limits)."""

    regex_seconds: float = 1.0  # one regular-expression search


LIMITS = RunLimits()

INLINE.update({
    conv_string: "{0} if {0}.__class__ is str else MISSING",
    conv_boolean: "{0} if {0}.__class__ is bool else MISSING",
    conv_object: "{0} if {0}.__class__ is dict else MISSING",
    conv_list: "{0} if {0}.__class__ is list else MISSING",
    identity: "{0}",
    operator.not_: "not {0}",
})

# converters whose inline form already gives MISSING for None (an absent value):
# the generated code does not test for None before using them
NONE_GIVES_MISSING = frozenset({conv_string, conv_boolean, conv_object, conv_list})


class QuantityReader:
    """Reads ``{value, unit}`` objects of one dimension; units are parsed once."""

    def __init__(self, dims: Any, annual: bool = False) -> None:
        self.dims = dims
        self.annual = annual
        self.units: dict[str, Unit | None] = {}  # unit text -> Unit of these dims, or None

    @staticmethod
    def of(t: QuantityT) -> QuantityReader:
        """The reader of one dimension (and of a year's totals), shared by every
        rule: units are parsed once, and generated code can share the test of a
        unit between rules."""
        key = (t.dims, t.annual)
        reader = _READERS.get(key)
        if reader is None:
            reader = _READERS[key] = QuantityReader(t.dims, t.annual)
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
        if unit is None or raw.__class__ not in NUMBERS:
            return MISSING
        return Quantity(raw, unit)  # a float from the fast JSON path is exact as written


_READERS: dict[Any, QuantityReader] = {}


def converter(t: Type) -> Callable[[Any], Any]:
    """How a raw JSON value becomes a typed run-time value (or MISSING)."""
    if isinstance(t, QuantityT):
        return QuantityReader.of(t).convert
    if isinstance(t, ObjectT):
        return conv_object
    if isinstance(t, ListT):
        return conv_list
    if isinstance(t, Scalar):
        return {
            "string": conv_string,
            "number": conv_number,
            "boolean": conv_boolean,
            "date": conv_date,
        }.get(t.name, identity)
    return identity


# ---------------------------------------------------------------- membership


class Members:
    """``a in [...]`` against a constant list: its values' comparison keys, as a
    set when they hash."""

    def __init__(self, values: list[Any], negate: bool) -> None:
        self.negate = negate
        try:
            self.keys: Any = frozenset(compare_key(v) for v in values)
        except TypeError:
            self.keys = [compare_key(v) for v in values]

    def test(self, a: Any, values: Any) -> bool:
        """Whether ``a`` is (not) among ``values`` (the list the keys are of)."""
        return (compare_key(a) in self.keys) is not self.negate


def contains(a: Any, coll: Any) -> bool:
    if a.__class__ is str:  # only an equal text is equal to a text
        return a in coll
    key = compare_key(a)
    return any(compare_key(v) == key for v in coll)


def not_contains(a: Any, coll: Any) -> bool:
    return not contains(a, coll)


def timed_search(search: Callable[..., Any], text: str) -> bool:
    """A regular-expression search that may backtrack without bound, under the
    run's time limit for one search."""
    try:
        return search(text, timeout=LIMITS.regex_seconds) is not None
    except TimeoutError:  # catastrophic backtracking: the value is not judged
        raise Undecidable("regular expression timed out") from None


class SearchMemo(dict[str, bool]):
    """Whether a pattern is found in a text, each text searched once: filings
    repeat the same few texts (units, standards) hundreds of times, and a search
    gives the same answer every time. ``memo[text]`` searches on the first
    sight only (``timed``: under the run's time limit, see timed_search; a
    search that times out is not kept). Short texts only, and a bounded number
    of them, so that the memo cannot grow with hostile input."""

    __slots__ = ("search", "timed")
    SIZE = 4096
    LONGEST = 200

    def __init__(self, search: Callable[..., Any], timed: bool) -> None:
        super().__init__()
        self.search = search
        self.timed = timed

    def __missing__(self, text: str) -> bool:
        found = (timed_search(self.search, text) if self.timed
                 else self.search(text) is not None)
        if len(text) <= self.LONGEST and len(self) < self.SIZE:
            self[text] = found
        return found
