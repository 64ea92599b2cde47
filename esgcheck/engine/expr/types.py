"""Static types of the expression language, and their derivation from JSON Schema.

Every expression is typed when its rule base loads. A field's type comes from
the filing type's schema: ``format: date`` strings are dates, objects marked
``x-quantity`` are quantities in the dimension of the unit named there, and
string ``enum`` lists are remembered so that comparing a field with a value it
can never hold is a load error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from esgcheck.engine.units import Dims, describe_dims, parse_unit


class Type:
    """Base class of expression types."""

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Scalar(Type):
    name: str  # string | number | boolean | date | any
    enum: frozenset[str] | None = None

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class QuantityT(Type):
    dims: Dims
    # a year's total (x-annual in the schema): a rate per year (t/a) reads as it
    annual: bool = field(default=False, compare=False)

    def describe(self) -> str:
        return f"quantity[{describe_dims(self.dims)}]"


@dataclass(frozen=True)
class ListT(Type):
    item: Type

    def describe(self) -> str:
        return f"list[{self.item.describe()}]"


@dataclass(frozen=True, eq=False)
class ObjectT(Type):
    """An object of the filing, typed by its schema node."""

    schema: SchemaTypes
    node: Mapping[str, Any]
    name: str  # a readable name: the entity, or the property it sits under
    entity: str | None = None

    def field_type(self, key: str) -> Type | None:
        return self.schema.property_type(self.node, key)

    def field_names(self) -> list[str]:
        return sorted(self.schema.properties(self.node))

    def describe(self) -> str:
        return f"object {self.name}"


@dataclass(frozen=True, eq=False)
class RecordT(Type):
    """A row of a reference-data table."""

    table: str
    columns: Mapping[str, Type] = field(default_factory=dict)

    def describe(self) -> str:
        return f"record of {self.table}"


STRING = Scalar("string")
NUMBER = Scalar("number")
BOOLEAN = Scalar("boolean")
DATE = Scalar("date")
ANY = Scalar("any")


def is_any(t: Type) -> bool:
    return t is ANY or (isinstance(t, Scalar) and t.name == "any")


def same_kind(a: Type, b: Type) -> bool:
    """Whether values of ``a`` and ``b`` may be compared for equality."""
    if is_any(a) or is_any(b):
        return True
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        return a.name == b.name
    if isinstance(a, QuantityT) and isinstance(b, QuantityT):
        return a.dims == b.dims
    if isinstance(a, ListT) and isinstance(b, ListT):
        return same_kind(a.item, b.item)
    return type(a) is type(b)


def is_scalar(t: Type, *names: str) -> bool:
    return isinstance(t, Scalar) and (t.name in names or t.name == "any")


class SchemaTypes:
    """Maps the nodes of one JSON Schema (draft 2020-12) onto expression types."""

    def __init__(self, schema: Mapping[str, Any], name: str) -> None:
        self.schema = schema
        self.name = name
        self._cache: dict[int, Type] = {}
        self._resolved: dict[int, Mapping[str, Any]] = {}

    def root(self) -> ObjectT:
        return ObjectT(self, self.schema, "filing", "filing")

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow local ``$ref`` chains (``#/$defs/...``). Annotations written next
        to a ``$ref`` (``x-quantity``, ``x-entity``, titles) stay on the result."""
        if "$ref" not in node:
            return node
        cached = self._resolved.get(id(node))
        if cached is not None:
            return cached
        merged: dict[str, Any] = {}
        current = node
        for _ in range(32):
            for key, value in current.items():
                if key != "$ref":
                    merged.setdefault(key, value)
            ref = current.get("$ref")
            if ref is None:
                break
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise ValueError(f"only local $ref is supported in filing schemas: {ref!r}")
            target: Any = self.schema
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            current = target
        else:
            raise ValueError(f"$ref chain too long at {node.get('$ref')}")
        self._resolved[id(node)] = merged
        return merged

    def properties(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        node = self.resolve(node)
        props: dict[str, Any] = dict(node.get("properties", {}))
        for part in node.get("allOf", []):
            props.update(self.properties(part))
        return props

    def property_type(self, node: Mapping[str, Any], key: str) -> Type | None:
        props = self.properties(node)
        if key in props:
            return self.type_of(props[key], key)
        extra = self.resolve(node).get("additionalProperties")
        if isinstance(extra, Mapping):
            return self.type_of(extra, key)
        return None

    def type_of(self, node: Mapping[str, Any], name: str) -> Type:
        cached = self._cache.get(id(node))
        if cached is not None:
            return cached
        result = self._type_of(self.resolve(node), name)
        self._cache[id(node)] = result
        return result

    def _type_of(self, node: Mapping[str, Any], name: str) -> Type:
        if "x-quantity" in node:
            return QuantityT(parse_unit(str(node["x-quantity"])).dims,
                             annual=bool(node.get("x-annual")))
        kind = node.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            kind = kinds[0] if len(kinds) == 1 else None
        if kind == "string":
            if node.get("format") == "date":
                return DATE
            enum = node.get("enum")
            return Scalar("string", frozenset(enum) if enum else None)
        if kind in ("number", "integer"):
            return NUMBER
        if kind == "boolean":
            return BOOLEAN
        if kind == "array":
            items = node.get("items")
            return ListT(self.type_of(items, name) if isinstance(items, Mapping) else ANY)
        if kind == "object" or "properties" in node:
            return ObjectT(self, node, str(node.get("x-entity", name)), node.get("x-entity"))
        if "enum" in node and all(isinstance(v, str) for v in node["enum"]):
            return Scalar("string", frozenset(node["enum"]))
        return ANY


class TypedValue(NamedTuple):
    """A configuration value of a declared type; MISSING while not known."""

    type: Type
    value: Any
