"""Filing types: one canonical JSON Schema each, with esgcheck's annotations.

A schema's root carries ``x-esgcheck`` (the type's id, titles, how its XML form
is recognised, where the as-of date is read); objects that rules iterate over
carry ``x-entity``; quantities carry ``x-quantity`` (a unit of the expected
dimension). The registry is built from the package's ``schemas/`` folder and
from any rule base that brings schemas of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from esgcheck.engine.expr.types import ObjectT, SchemaTypes
from esgcheck.engine.model import Text

PACKAGE_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"

Pattern = tuple[str, ...]  # keys from the root, "*" for every item of an array


class FilingTypeError(ValueError):
    """A filing-type schema without the annotations esgcheck needs."""


@dataclass(frozen=True)
class Entity:
    """A kind of object rules iterate over. Usually one place in the schema; an
    entity marked on several objects (the Art. 12 blocks, say) has one pattern
    each, and rules see only the properties all of them share."""

    name: str
    patterns: tuple[Pattern, ...]
    type: ObjectT
    ancestors: tuple[str, ...]  # enclosing entities, nearest first
    # per pattern: the lengths of its prefixes where the enclosing entities sit
    marks: tuple[frozenset[int], ...] = (frozenset(),)

    @property
    def pattern(self) -> Pattern:
        return self.patterns[0]

    @cached_property
    def _lengths_by_head(self) -> dict[str | int, int] | None:
        heads = [p[0] for p in self.patterns if p]
        if len(heads) != len(self.patterns) or "*" in heads or len(set(heads)) != len(heads):
            return None
        return {p[0]: len(p) for p in self.patterns}

    def prefix_of(self, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """The part of ``path`` that is an instance of this entity."""
        if len(self.patterns) == 1:
            return path[:len(self.patterns[0])]
        by_head = self._lengths_by_head
        if by_head is not None and path and path[0] in by_head:
            return path[:by_head[path[0]]]
        for pattern in self.patterns:
            cut = path[:len(pattern)]
            if len(cut) == len(pattern) and all(
                    p == "*" or p == k for p, k in zip(pattern, cut, strict=True)):
                return cut
        return path[:len(self.pattern)]


@dataclass(frozen=True, eq=False)
class FilingType:
    id: str
    title: Text
    schema: Mapping[str, Any]
    path: Path
    xml_root: str | None = None
    xml_namespace: str | None = None
    as_of: tuple[str, ...] = ()  # JSON Pointers, first present wins
    meta: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def types(self) -> SchemaTypes:
        return SchemaTypes(self.schema, self.id)

    @cached_property
    def entities(self) -> dict[str, Entity]:
        found: dict[str, Entity] = {"filing": Entity("filing", ((),), self.types.root(), ())}
        self._find_entities(self.schema, (), (), found)
        return found

    def _find_entities(self, node: Mapping[str, Any], pattern: Pattern,
                       enclosing: tuple[str, ...], found: dict[str, Entity],
                       marks: frozenset[int] = frozenset()) -> None:
        node = self.types.resolve(node)
        name = node.get("x-entity")
        if name and pattern:
            t = self.types.type_of(node, str(name))
            assert isinstance(t, ObjectT)
            known = found.get(name)
            if known is None:
                found[name] = Entity(str(name), (pattern,), t, enclosing, (marks,))
            elif known.ancestors != enclosing:
                raise FilingTypeError(f"{self.path}: entity '{name}' is declared in places "
                                      "with different enclosing entities")
            else:
                found[name] = Entity(str(name), (*known.patterns, pattern),
                                     self._shared(known.type, t, str(name)), enclosing,
                                     (*known.marks, marks))
            enclosing = (str(name), *enclosing)
            marks = marks | {len(pattern)}
        for key, sub in self.types.properties(node).items():
            self._find_entities(sub, (*pattern, key), enclosing, found, marks)
        items = node.get("items")
        if node.get("type") == "array" and isinstance(items, Mapping):
            self._find_entities(items, (*pattern, "*"), enclosing, found, marks)


    def _shared(self, a: ObjectT, b: ObjectT, name: str) -> ObjectT:
        """The properties two objects have in common, as one object type."""
        props_a, props_b = self.types.properties(a.node), self.types.properties(b.node)
        common = {k: v for k, v in props_a.items() if k in props_b}
        return ObjectT(self.types, {"type": "object", "properties": common}, name, name)


def load_filing_type(path: Path) -> FilingType:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FilingTypeError(f"{path}: cannot read schema: {exc}") from None
    meta = schema.get("x-esgcheck")
    if not isinstance(meta, Mapping) or "filing_type" not in meta:
        raise FilingTypeError(f"{path}: the schema root has no x-esgcheck.filing_type")
    xml = meta.get("xml") or {}
    title = meta.get("title") or {"zh": meta["filing_type"], "en": meta["filing_type"]}
    return FilingType(
        id=str(meta["filing_type"]),
        title=Text(**title),
        schema=schema,
        path=path,
        xml_root=xml.get("root"),
        xml_namespace=xml.get("namespace"),
        as_of=tuple(meta.get("as_of", ())),
        meta=meta,
    )


class Registry:
    """All filing types known to one run."""

    def __init__(self) -> None:
        self._types: dict[str, FilingType] = {}

    def add(self, ft: FilingType) -> None:
        known = self._types.get(ft.id)
        if known is not None and known.path != ft.path:
            raise FilingTypeError(f"filing type {ft.id} is defined twice: {known.path} "
                                  f"and {ft.path}")
        self._types[ft.id] = ft

    def add_folder(self, folder: Path) -> None:
        """Every filing-type schema in ``folder``; other schemas there (the report's,
        the rule files') have no ``x-esgcheck`` and are passed over."""
        for path in sorted(folder.glob("*.schema.json")):
            if '"x-esgcheck"' in path.read_text(encoding="utf-8"):
                self.add(load_filing_type(path))

    def get(self, type_id: str) -> FilingType | None:
        return self._types.get(type_id)

    def __iter__(self) -> Iterator[FilingType]:
        return iter(sorted(self._types.values(), key=lambda t: t.id))

    def by_xml(self, root: str, namespace: str | None) -> FilingType | None:
        for ft in self._types.values():
            if ft.xml_root == root and (ft.xml_namespace or None) == (namespace or None):
                return ft
        return None


def default_registry() -> Registry:
    registry = Registry()
    registry.add_folder(PACKAGE_SCHEMAS)
    return registry
