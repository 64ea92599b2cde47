"""Every quantity of a filing read in a unit of its field's dimension.

A filing type's schema marks quantity fields with ``x-quantity`` (the unit that
names their dimension: ``mg/m3`` for a mass concentration, ``t`` for a mass).
That mark is the schema's constraint on units: JSON Schema cannot say "a unit
of this dimension", so esgcheck checks it itself, on every quantity of the
filing, whether or not a rule reads it. A unit of another dimension (tonnes
where a concentration belongs) is a structural breach; a unit esgcheck does not
know, or ppm where a mass concentration is wanted (converting takes the
pollutant's molar mass), leaves the value not assessable. Either way the value
ends in a finding of its own, and the rules that read it report not assessable
naming it: it is never read as absent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, repeat
from typing import Any

from esgcheck.engine.expr.types import ListT, ObjectT, QuantityT, SchemaTypes, Type
from esgcheck.engine.units import Dims, Unit, UnitError, parse_unit, read_as, unit_problem

JsonPath = tuple[str | int, ...]
Pattern = tuple[str, ...]  # keys, "*" for every item of a list


@dataclass(frozen=True)
class UnitProblem:
    path: JsonPath  # of the quantity object
    kind: str  # dimension | unknown | fraction (see units.unit_problem)
    unit: str
    expected: QuantityT  # what the field expects
    found: Dims | None  # what the unit measures, when known


class QuantityFields:
    """Where a schema puts quantities, and the units seen there so far."""

    def __init__(self, types: SchemaTypes) -> None:
        self.types = types
        self._units: dict[tuple[str, Dims, bool], bool] = {}
        # units found readable as a dimension (per dimension and annual flag), and
        # None and "" (no unit: the schema's to report)
        self._fine: dict[tuple[Dims, bool], set[str | None]] = {}

    @cached_property
    def patterns(self) -> list[tuple[Pattern, QuantityT]]:
        found: list[tuple[Pattern, QuantityT]] = []
        self._walk(self.types.root(), (), found, set())
        return found

    def _walk(self, t: Type, pattern: Pattern, found: list[tuple[Pattern, QuantityT]],
              seen: set[int]) -> None:
        if isinstance(t, QuantityT):
            found.append((pattern, t))
        elif isinstance(t, ListT):
            self._walk(t.item, (*pattern, "*"), found, seen)
        elif isinstance(t, ObjectT):
            if id(t.node) in seen:  # a recursive schema: each object once per path
                return
            inner = seen | {id(t.node)}
            for key in t.field_names():
                sub = t.field_type(key)
                if sub is not None:
                    self._walk(sub, (*pattern, key), found, inner)

    def readable(self, unit: Any, t: QuantityT) -> bool:
        if unit.__class__ is not str:
            return False
        key = (unit, t.dims, t.annual)
        known = self._units.get(key)
        if known is None:
            try:
                parsed: Unit | None = parse_unit(unit)
            except UnitError:
                parsed = None
            known = self._units[key] = parsed is not None and read_as(
                parsed, t.dims, t.annual) is not None
        return known

    def problems(self, doc: Any) -> list[UnitProblem]:
        """Each quantity of ``doc`` whose unit is given but cannot be read as its
        field's dimension, in document order of the patterns. A quantity that is
        not an object, or has no unit or no number, is the schema's to report.

        Most filings give a few units many times over: a field whose units are
        all among those already found readable there (or absent) is passed over
        in one set comparison; only a field with a unit not seen yet is looked
        at value by value."""
        out: list[UnitProblem] = []
        levels: dict[Pattern, list[Any]] = {(): [doc]}
        for pattern, t in self.patterns:
            fine = self._fine.get((t.dims, t.annual))
            if fine is None:
                fine = self._fine[(t.dims, t.annual)] = {None, ""}
            try:  # every value an object, every unit text or absent: C loops only
                if set(map(dict.get, _objects(levels, pattern), repeat("unit"))) <= fine:
                    continue
            except TypeError:  # a value not an object, a unit that is a list: below
                pass
            for path, obj in _at(doc, pattern):
                if obj.__class__ is not dict:
                    continue
                unit = obj.get("unit")
                if unit.__class__ is not str or not unit:
                    continue
                if self.readable(unit, t):
                    fine.add(unit)
                    continue
                kind, found = unit_problem(unit, t.dims)
                out.append(UnitProblem(path, kind, unit, t, found))
        return out


def _objects(levels: dict[Pattern, list[Any]], pattern: Pattern) -> list[Any]:
    """The values at ``pattern`` as _at finds them, without their paths, and
    without those that are null, empty or false (none of which holds a unit);
    each prefix of the pattern walked once for all the patterns that share it
    (``levels``). Where every node of a level is of the kind the step needs (a
    list for ``*``, else an object), the step runs in C loops."""
    found = levels.get(pattern)
    if found is not None:
        return found
    level = _objects(levels, pattern[:-1])
    key = pattern[-1]
    kinds = set(map(type, level))
    if key == "*":
        found = (list(chain.from_iterable(level)) if kinds <= {list} else
                 [item for node in level if node.__class__ is list for item in node])
    elif kinds <= {dict}:
        found = list(filter(None, map(dict.get, level, repeat(key))))
    else:
        found = [node[key] for node in level if node.__class__ is dict and key in node]
    levels[pattern] = found
    return found


def _at(doc: Any, pattern: Pattern) -> Iterator[tuple[JsonPath, Any]]:
    level: list[tuple[JsonPath, Any]] = [((), doc)]
    for key in pattern:
        if key == "*":
            level = [((*path, n), item) for path, node in level if node.__class__ is list
                     for n, item in enumerate(node)]
        else:
            level = [((*path, key), node[key]) for path, node in level
                     if node.__class__ is dict and key in node]
    yield from level


_FIELDS: dict[int, QuantityFields] = {}


def quantity_fields(schema: Mapping[str, Any], types: SchemaTypes) -> QuantityFields:
    """The quantity fields of one schema, worked out once."""
    fields = _FIELDS.get(id(schema))
    if fields is None:
        fields = _FIELDS[id(schema)] = QuantityFields(types)
    return fields
