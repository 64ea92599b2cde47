"""Structural validation of a filing against its type's JSON Schema (draft 2020-12).

Validation uses jsonschema-rs, compiled once per filing type: on the 300-fact
benchmark filings the pure-Python ``jsonschema`` package cost several times
what all the rules together cost (see bench/README.md). Each error becomes a
structural problem with the keyword and the path; the checker turns them into
located findings with rule ids such as ``SCHEMA.required``.

A filing read from an industry format can hold one source value in several
canonical places (a Battery Pass footprint is both the declaration's and the
passport's). The schema then finds the same defect at each; it is one defect of
the file the user gave, at one place, and is reported once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import jsonschema_rs

from esgcheck.engine.filing_types import FilingType
from esgcheck.filings.adapters import adapted_for
from esgcheck.filings.limits import LimitExceeded, schema_depth
from esgcheck.filings.reader import Filing

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class StructuralProblem:
    keyword: str
    path: JsonPath
    params: dict[str, str]
    detail: str


_VALIDATORS: dict[int, Any] = {}
_DEPTHS: dict[int, int | None] = {}


def _validator(ft: FilingType) -> Any:
    key = id(ft.schema)
    validator = _VALIDATORS.get(key)
    if validator is None:
        validator = jsonschema_rs.validator_for(dict(ft.schema), validate_formats=True)
        _VALIDATORS[key] = validator
    return validator


# jsonschema-rs gives up on a document nested deeper than this (levels of
# objects and arrays, as limits.measure counts them), whatever --limit depth says
VALIDATOR_DEPTH = 255


def prepare(filing: Filing) -> None:
    """Validate a filing and locate its structural problems, so that the
    checker can time this with reading: ``validate`` keeps its answer for the
    filing and the locator the places, for the structural findings built
    later. A document nested deeper than the validator follows is
    ``limit.parser_depth``; any other fault here is left to be reported when
    that work is done again."""
    try:
        if filing.valid is None:
            filing.valid = is_valid(filing.filing_type, filing.doc)
        if not filing.valid:
            for problem in validate(filing.filing_type, filing.doc, filing.valid, keep=True):
                filing.location(problem.path)
    except ValueError as exc:
        if "Recursion limit" in str(exc):  # deeper than the validator follows
            raise LimitExceeded("parser_depth", filing.file, VALIDATOR_DEPTH) from None
    except Exception:
        pass  # the checker's guard reports it when the work is done again


def is_valid(ft: FilingType, doc: Any) -> bool:
    return bool(_validator(ft).is_valid(doc))


def depth_bound(ft: FilingType) -> int | None:
    """How deep a document valid against the type's schema can be (None: any depth)."""
    key = id(ft.schema)
    if key not in _DEPTHS:
        _DEPTHS[key] = schema_depth(ft.schema)
    return _DEPTHS[key]


def _params(keyword: str, kind: Any, value: Any) -> dict[str, str]:
    if keyword == "required":
        return {"name": str(kind.property)}
    if keyword == "type":
        return {"expected": " | ".join(str(t) for t in kind.types)}
    if keyword == "enum":
        return {"allowed": ", ".join(str(o) for o in kind.options)}
    if keyword == "format":
        return {"format": FORMATS.get(str(kind.format), str(kind.format)), "value": _shown(value)}
    if keyword == "pattern":
        return {"pattern": str(kind.pattern), "value": _shown(value)}
    return {}


# what a format asks for, as a user writes it
FORMATS = {"date": "date (YYYY-MM-DD)",
           "date-time": "date-time (YYYY-MM-DDThh:mm:ssZ)"}


def _shown(value: Any, most: int = 60) -> str:
    """A value as a message echoes it: a string as written, quoted, cut short
    past ``most`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return repr(text[:most] + ("…" if len(text) > most else "")) if isinstance(
        value, str) else text[:most]


# a document validated with keep=True and its problems, until they are asked
# for again: the checker validates a filing while it times the reading, and
# reports the problems later without validating twice (one per thread)
_KEPT = threading.local()


def validate(ft: FilingType, doc: Any, valid: bool | None = None, keep: bool = False
             ) -> list[StructuralProblem]:
    """The document's structural problems; ``valid`` is the verdict of
    ``is_valid`` when it is already known. With ``keep``, the answer is kept
    for the next call for this same document (which takes it)."""
    kept = getattr(_KEPT, "entry", None)
    _KEPT.entry = None
    if kept is not None and kept[0] is doc and kept[1] is ft:
        return list(kept[2])
    problems = _validate(ft, doc, valid)
    if keep:
        _KEPT.entry = (doc, ft, problems)
    return list(problems)


def _validate(ft: FilingType, doc: Any, valid: bool | None) -> list[StructuralProblem]:
    validator = _validator(ft)
    if valid is None:
        valid = validator.is_valid(doc)  # the common case, much cheaper than collecting
    if valid:
        return []
    kept = _FirstOfEachKind(MAX_PER_KIND)
    for error in validator.iter_errors(doc):
        schema_path = list(error.schema_path)
        keyword = str(schema_path[-1]) if schema_path else "schema"
        path: JsonPath = tuple(error.instance_path)
        if keyword == "additionalProperties":
            for name in error.kind.unexpected:
                kept.add(StructuralProblem(keyword, (*path, str(name)), {"name": str(name)},
                                           error.message))
            continue
        params = _params(keyword, error.kind, error.instance)
        if keyword == "required":
            path = (*path, params["name"])
        kept.add(StructuralProblem(keyword, path, params, error.message))
    problems = kept.problems()
    problems.sort(key=lambda p: (path_key(p.path), p.keyword))
    return _once_per_source(doc, problems) + kept.summaries()


# Structural problems listed one by one, per kind (keyword) and filing: a
# filing of a hundred thousand unexpected members is not a hundred thousand
# findings, each located and rendered. The first of each kind in path order
# are listed; one more problem of kind ``truncated`` (SCHEMA.truncated, major,
# whatever the kind: a filing with that many structural defects cannot be
# relied on) says how many of that kind were left out, located at the first.
MAX_PER_KIND = 1000


def _order(p: StructuralProblem) -> tuple[Any, ...]:
    return (path_key(p.path), p.keyword)


class _FirstOfEachKind:
    """The first ``limit`` problems of each keyword in path order, kept in
    time linear in the number of problems (each list is cut back to
    ``limit`` whenever it doubles, and once cut, a problem after the last one
    kept is counted without being kept), and how many of each were left out."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kinds: dict[str, list[tuple[Any, StructuralProblem]]] = {}
        self.last_kept: dict[str, Any] = {}  # the order of the last kept, once cut
        self.omitted: dict[str, int] = {}
        self.first_omitted: dict[str, tuple[Any, StructuralProblem]] = {}

    def add(self, problem: StructuralProblem) -> None:
        keyword = problem.keyword
        order = _order(problem)
        last = self.last_kept.get(keyword)
        if last is not None and order > last:
            self._omit(keyword, [(order, problem)])
            return
        kind = self.kinds.setdefault(keyword, [])
        kind.append((order, problem))
        if len(kind) >= 2 * self.limit:
            self._cut(keyword)

    def _omit(self, keyword: str, left: list[tuple[Any, StructuralProblem]]) -> None:
        self.omitted[keyword] = self.omitted.get(keyword, 0) + len(left)
        first = self.first_omitted.get(keyword)
        if first is None or left[0][0] < first[0]:
            self.first_omitted[keyword] = left[0]

    def _cut(self, keyword: str) -> None:
        kind = self.kinds[keyword]
        kind.sort(key=lambda entry: entry[0])
        left = kind[self.limit:]
        if left:
            self._omit(keyword, left)
            del kind[self.limit:]
            self.last_kept[keyword] = kind[-1][0]

    def problems(self) -> list[StructuralProblem]:
        for keyword in list(self.kinds):
            if len(self.kinds[keyword]) > self.limit:
                self._cut(keyword)
        return [p for kind in self.kinds.values() for _, p in kind]

    def summaries(self) -> list[StructuralProblem]:
        return [StructuralProblem(
            "truncated", self.first_omitted[keyword][1].path,
            {"kind": keyword, "more": f"{self.omitted[keyword]:,}", "shown": str(self.limit)},
            f"{self.omitted[keyword]} more problems of kind {keyword}")
            for keyword in sorted(self.omitted)]


def _once_per_source(doc: Any, problems: list[StructuralProblem]) -> list[StructuralProblem]:
    """The problems of an adapted filing, one for each source value: those whose
    canonical places were read from the same source value, with the same keyword
    and parameters, are one problem (the first, in path order)."""
    return once_per_source(doc, problems, lambda p: p.path,
                           lambda p: (p.keyword, tuple(sorted(p.params.items()))))


T = TypeVar("T")


def once_per_source(doc: Any, items: list[T], path_of: Callable[[T], JsonPath],
                    kind_of: Callable[[T], Hashable]) -> list[T]:
    """``items`` (problems found at canonical paths of ``doc``) without repeats:
    in a filing read from an industry format, items of the same kind whose paths
    were read from the same source value are one, the first kept. Other
    documents' items are returned as they are."""
    adapted = adapted_for(doc)
    if adapted is None or len(items) < 2:
        return items
    seen: set[tuple[Hashable, JsonPath]] = set()
    out: list[T] = []
    for item in items:
        key = (kind_of(item), adapted.source_of(path_of(item))[0])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def path_key(path: JsonPath) -> tuple[tuple[int, int, str], ...]:
    """Sort key for JSON paths: array indexes numerically, names alphabetically."""
    return tuple((0, k, "") if isinstance(k, int) else (1, 0, k) for k in path)
