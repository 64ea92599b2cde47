"""Limits on what one filing may cost, so that no input can hang or exhaust a run.

Each limit is configurable (``esgcheck check --limit NAME=VALUE``); the defaults
are far above any real filing. A filing past a limit is reported as not
assessed, with the limit named; the other filings of the run are unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from esgcheck.filings.errors import InputError


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 64 * 1024 * 1024  # size of one file
    max_depth: int = 64  # nesting of objects and arrays (elements in XML)
    max_values: int = 2_000_000  # values in one filing (members and items; XML elements
    # and attributes, counted while the XML is parsed)
    max_steps: int = 1_000_000  # rule evaluations of the forward chainer per filing
    max_seconds: float = 60.0  # time to read, validate and evaluate one filing
    regex_seconds: float = 1.0  # one regular-expression match

    def with_settings(self, settings: dict[str, str]) -> Limits:
        """A copy with ``NAME=VALUE`` settings applied (names without ``max_``
        also accepted); a ValueError names what is wrong."""
        known = {f.name: f.type for f in fields(self)}
        changes: dict[str, Any] = {}
        for name, raw in settings.items():
            key = name if name in known else f"max_{name}"
            if key not in known:
                raise ValueError(f"unknown limit '{name}' (limits: "
                                 f"{', '.join(n.removeprefix('max_') for n in known)})")
            try:
                value: float = float(raw) if known[key] == "float" else int(raw)
            except ValueError:
                raise ValueError(f"limit {name}: '{raw}' is not a number") from None
            if value <= 0:
                raise ValueError(f"limit {name}: must be above zero")
            changes[key] = value
        return replace(self, **changes)


class LimitExceeded(InputError):
    """A filing past one of the limits: not assessed, for that reason."""

    def __init__(self, limit: str, file: str, value: object, message_key: str | None = None
                 ) -> None:
        super().__init__(f"limit.{limit}", file, value=value)
        self.limit = limit
        if message_key is not None:
            self.message_key = message_key
            Exception.__init__(self, self.describe("en"))


_CONTAINERS = (dict, list)


def measure(doc: Any, limits: Limits, file: str) -> None:
    """Refuse a parsed document nested deeper or holding more values than the
    limits allow. One level at a time, without recursion: each level's values
    are counted together and its containers become the next level."""
    count = 0
    depth = 0
    level = [doc]
    while level:
        depth += 1
        if depth > limits.max_depth:
            raise LimitExceeded("depth", file, limits.max_depth)
        count += sum(map(len, level))
        if count > limits.max_values:
            raise LimitExceeded("values", file, limits.max_values)
        level = [member for node in level
                 for member in (node.values() if node.__class__ is dict else node)
                 if member.__class__ in _CONTAINERS]


def schema_depth(schema: Any) -> int | None:
    """The deepest nesting (as ``measure`` counts it: the root container is
    level 1) of any document valid against a JSON Schema, or None when the
    schema allows documents of any depth: an open object or array, a value of
    any type, a reference that leads back to itself. A document that passes
    validation is then known to be within ``max_depth`` without being walked.
    Only the keywords that bound a document are read; any other keyword can
    only narrow what is valid, so leaving it out errs on the safe side."""
    defs: dict[str, Any] = {}
    if isinstance(schema, dict):
        defs = {f"#/$defs/{name}": sub for name, sub in schema.get("$defs", {}).items()}
    return _depth(schema, defs, frozenset())


_SCALAR_TYPES = frozenset({"string", "number", "integer", "boolean", "null"})


def _depth(s: Any, defs: dict[str, Any], seen: frozenset[str]) -> int | None:
    if s is False:
        return 0  # nothing is valid
    if not isinstance(s, dict):
        return None  # true, or not a schema: anything
    # every bound gathered here holds at once, so the shallowest of them holds
    bounds: list[int | None] = [_own_depth(s, defs, seen)]
    ref = s.get("$ref")
    if ref in defs and ref not in seen:  # a reference back to itself bounds nothing
        bounds.append(_depth(defs[ref], defs, seen | {ref}))
    bounds += [_depth(b, defs, seen) for b in s.get("allOf", [])]
    for name in ("anyOf", "oneOf"):  # some branch holds: the deepest bound holds
        if name in s:
            branches = [_depth(b, defs, seen) for b in s[name]]
            known = [b for b in branches if b is not None]
            bounds.append(max(known, default=0) if len(known) == len(branches) else None)
    known = [b for b in bounds if b is not None]
    return min(known) if known else None


def _own_depth(s: dict[str, Any], defs: dict[str, Any], seen: frozenset[str]) -> int | None:
    """The bound set by the schema's own type, const/enum, properties and items."""
    if "const" in s:
        return _value_depth(s["const"])
    if "enum" in s:
        return max((_value_depth(v) for v in s["enum"]), default=0)
    types = s.get("type")
    allowed = {types} if isinstance(types, str) else set(types) if isinstance(types, list) else None
    if allowed is None:
        if not any(k in s for k in ("properties", "items", "additionalProperties")):
            return None  # no type and nothing that shapes one: any value
        allowed = {"object", "array"} | _SCALAR_TYPES
    depth = 0
    if "object" in allowed:
        extra = s.get("additionalProperties", s.get("unevaluatedProperties", True))
        if s.get("patternProperties"):
            return None
        members = [_depth(p, defs, seen) for p in s.get("properties", {}).values()]
        members.append(_depth(extra, defs, seen))
        if None in members:
            return None
        depth = max(depth, 1 + max(m for m in members if m is not None))
    if "array" in allowed:
        items = [_depth(s.get("items", s.get("unevaluatedItems", True)), defs, seen)]
        items += [_depth(p, defs, seen) for p in s.get("prefixItems", [])]
        if None in items:
            return None
        depth = max(depth, 1 + max(i for i in items if i is not None))
    return depth


def _value_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_value_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_value_depth(v) for v in value), default=0)
    return 0
