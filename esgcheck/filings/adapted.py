"""The canonical filing a reader builds from a document in an industry format,
and where each of its values came from in the source (see esgcheck.filings.adapters)."""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

JsonPath = tuple[str | int, ...]


@dataclass(eq=False)
class Adapted:
    """A canonical filing built from a source document, and where each of its
    values came from (canonical path -> source path)."""

    filing_type: str
    format: str
    doc: dict[str, Any]
    origin: dict[JsonPath, JsonPath] = field(default_factory=dict)
    carried: set[str] = field(default_factory=set)  # canonical pointers, "*" for indexes
    _noted: dict[tuple[str, JsonPath], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _register(self)

    def put(self, path: JsonPath, value: Any, source: JsonPath) -> None:
        """Set the canonical value at ``path`` (creating objects and list items on
        the way), read from ``source``. Absent source values are left out, but
        the field is still one the format carries."""
        self.carried.add(pattern_of(path))
        if value is None:
            return
        node: Any = self.doc
        for i, key in enumerate(path[:-1]):
            nxt = path[i + 1]
            if isinstance(key, int):
                while len(node) <= key:
                    node.append({})
                node = node[key]
            else:
                node = node.setdefault(key, [] if isinstance(nxt, int) else {})
        last = path[-1]
        if isinstance(last, int):
            while len(node) <= last:
                node.append(None)
        node[last] = value
        self.origin[path] = source

    def put_first(self, path: JsonPath, value: Any, source: JsonPath) -> None:
        """``put``, unless an earlier source already gave the value."""
        if path in self.origin:
            self.carried.add(pattern_of(path))
        else:
            self.put(path, value, source)

    def quantity(self, path: JsonPath, value: Any, unit: str, source: JsonPath,
                 unit_source: JsonPath | None = None) -> None:
        """A quantity read from a bare number of the source, in ``unit``. The
        number is kept as the parser read it (an exact ``Decimal`` for ``1.5E2``
        or for more digits than a double holds); anything that is not a number
        is kept too, so the schema reports it once, at the source value."""
        if value is None:
            self.carried.add(pattern_of(path))
            return
        self.put(path, {"value": value, "unit": unit}, source)
        self.origin[(*path, "value")] = source
        self.origin[(*path, "unit")] = unit_source or source

    def place(self, path: JsonPath, source: JsonPath) -> None:
        """Record that the canonical object at ``path`` stands for ``source``."""
        self.origin.setdefault(path, source)

    def note(self, reason: str, source: JsonPath, value: Any, read_as: str | None = None
             ) -> None:
        """Say what the reader did to the source value at ``source``: read it as
        ``read_as`` by a stated rule, or (without ``read_as``) left it unread.
        One note per value and reason, however many canonical fields it feeds."""
        if (reason, source) in self._noted:
            return
        notes = self.doc.setdefault("source", {}).setdefault("notes", [])
        at: JsonPath = ("source", "notes", len(notes))
        item: dict[str, Any] = {"reason": reason, "field": pointer_of(source),
                                "value": text_of(value)}
        if read_as is not None:
            item["read_as"] = read_as
        notes.append(item)
        self._noted[(reason, source)] = len(notes) - 1
        self.origin[at] = source
        for key in ("reason", "field", "value", "read_as"):
            self.carried.add(pattern_of((*at, key)))  # a note without read_as: not read
            if key in item:
                self.origin[(*at, key)] = source

    def day(self, value: Any, source: JsonPath) -> Any:
        """A date as ISO 8601: a date-time gives its date; ``DD.MM.YYYY`` (day
        first, as dotted dates are written in Europe; one-digit day or month
        too) is read with a note keeping the original; anything else stays as
        written, and the schema reports it."""
        if not isinstance(value, str):
            return value
        if _ISO_DAY.match(value):
            try:
                return date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                return value
        m = _DAY_MONTH_YEAR.match(value)
        if m:
            try:
                iso = date(int(m[3]), int(m[2]), int(m[1])).isoformat()
            except ValueError:
                return value
            self.note("date_day_month_year", source, value, iso)
            return iso
        return value

    def country(self, path: JsonPath, value: Any, source: JsonPath) -> None:
        """A country, read when it is an ISO 3166-1 alpha-2 code. Several formats
        give the country as free text ("Germany"); such a name is noted, not
        read (esgcheck keeps no table of country names)."""
        if value in (None, "") or (isinstance(value, str) and _COUNTRY_CODE.match(value)):
            self.put(path, value or None, source)
        else:
            self.note("country_name", source, value)

    def carries(self, ptr: str) -> bool:
        """Whether the source format has a place for the canonical field at
        ``ptr`` (a JSON Pointer), whether or not this payload fills it."""
        pattern = re.sub(r"/\d+(?=/|$)", "/*", ptr)
        return any(pattern == c or c.startswith(pattern + "/") or pattern.startswith(c + "/")
                   for c in self.carried)

    def source_of(self, path: JsonPath) -> tuple[JsonPath, bool]:
        """The source path for a canonical path, and whether it is exact; else the
        source of the nearest enclosing canonical value that has one."""
        cut = len(path)
        while cut and path[:cut] not in self.origin:
            cut -= 1
        return self.origin.get(path[:cut], ()), cut == len(path)


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(T|$)")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")

# The adapted filings alive, by the id of their canonical document: validation
# sees only the document, and one source value can stand in several canonical
# places (the passport repeats the declaration's footprint); its problem is one.
_LIVE: dict[int, weakref.ref[Adapted]] = {}


def _register(adapted: Adapted) -> None:
    key = id(adapted.doc)

    def forget(ref: weakref.ref[Adapted]) -> None:
        if _LIVE.get(key) is ref:
            del _LIVE[key]

    _LIVE[key] = weakref.ref(adapted, forget)


def adapted_for(doc: Any) -> Adapted | None:
    """The adapted filing whose canonical document ``doc`` is, if any."""
    ref = _LIVE.get(id(doc))
    adapted = ref() if ref is not None else None
    return adapted if adapted is not None and adapted.doc is doc else None


def pattern_of(path: JsonPath) -> str:
    return "".join(f"/{'*' if isinstance(k, int) else k}" for k in path)


def pointer_of(path: JsonPath) -> str:
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in path)


def text_of(value: Any) -> str:
    """A source value as it was written, for a note."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def value_at(doc: Any, path: JsonPath) -> Any:
    for key in path:
        if isinstance(key, int):
            doc = doc[key] if isinstance(doc, list) and key < len(doc) else None
        else:
            doc = doc.get(key) if isinstance(doc, dict) else None
        if doc is None:
            return None
    return doc


def reader_of(doc: Mapping[str, Any]) -> Callable[..., Any]:
    """``g("a", 0, "b")`` reads doc["a"][0]["b"], or None."""

    def g(*path: str | int) -> Any:
        return value_at(doc, path)

    return g


def number_of(value: Any) -> Decimal | int | None:
    """A JSON number as an exact value (floats by their shortest repr), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return None


