"""Where a finding is, as SARIF locations: artifact URIs relative to the
project root (%SRCROOT%), regions, related locations."""

from __future__ import annotations

import re
from urllib.parse import quote

from esgcheck.engine.findings import Finding, Location
from esgcheck.report.sarif.text import Json

SRCROOT = "%SRCROOT%"
ABSOLUTE = re.compile(r"^(/|[A-Za-z]:/)")


def artifact_location(file: str) -> Json:
    """A filing's name as a URI: relative to the source root, or a file URI when
    the name is absolute (a file outside the working directory)."""
    if ABSOLUTE.match(file):
        path = file if file.startswith("/") else f"/{file}"
        return {"uri": "file://" + quote(path, safe="/:")}
    return {"uri": quote(file, safe="/"), "uriBaseId": SRCROOT}


def physical(file: str, line: int | None, column: int | None) -> Json:
    physical: Json = {"artifactLocation": artifact_location(file)}
    if line is not None and line >= 1:
        region: Json = {"startLine": line}
        if column is not None and column >= 1:
            region["startColumn"] = column
        physical["region"] = region
    return physical


def location(loc: Location) -> Json:
    logical: list[Json] = [{"fullyQualifiedName": loc.pointer, "kind": "value"}]
    if loc.xpath:
        logical.append({"fullyQualifiedName": loc.xpath, "kind": "element"})
    out: Json = {"physicalLocation": physical(loc.file, loc.line, loc.column),
                 "logicalLocations": logical}
    if not loc.exists:
        out["properties"] = {"exists": False}
    return out


def related_locations(f: Finding) -> list[Json]:
    """The filing values a finding rests on, its own and those its derived facts
    came from, each where it was read, once."""
    out: list[Json] = []
    seen: set[str] = set()
    for e in f.all_evidence():
        if e.source != "filing" or e.location is None or e.name in seen:
            continue
        seen.add(e.name)
        related = location(e.location)
        related["id"] = len(out) + 1
        related["message"] = {"text": f"{e.name} = {e.display if e.present else '—'}"}
        out.append(related)
    return out


# -- rules

