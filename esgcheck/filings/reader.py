"""Reading a file into a canonical filing: format sniffing, type detection, locations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from esgcheck.engine.build import pointer
from esgcheck.engine.filing_types import FilingType, Registry
from esgcheck.engine.findings import Location
from esgcheck.filings import jsonlocate, jsonread
from esgcheck.filings.adapters import Adapted, adapt, reader_for, recognise
from esgcheck.filings.errors import InputError, Key
from esgcheck.filings.limits import Limits
from esgcheck.filings.paths import read_regular

JsonPath = tuple[str | int, ...]
PCF_TYPE = "product-carbon-footprint"


@dataclass
class Filing:
    file: str
    format: Literal["json", "xml"]
    filing_type: FilingType
    doc: Any
    _json: jsonlocate.JsonLocator | None = None
    _xml: dict[JsonPath, tuple[int, str]] = field(default_factory=dict)
    adapted: Adapted | None = None  # read from an industry format into the canonical form
    valid: bool | None = None  # whether the document fits its schema, once that is known
    # each place located once: the findings of a filing read the same values
    # (their proofs share facts), and a location is not changed once made
    _located: dict[JsonPath, Location] = field(default_factory=dict, repr=False, compare=False)

    @property
    def read_as(self) -> str | None:
        return self.adapted.format if self.adapted is not None else None

    def location(self, path: JsonPath) -> Location:
        found = self._located.get(path)
        if found is None:
            found = self._located[path] = self._location(path)
        return found

    def _location(self, path: JsonPath) -> Location:
        if self.adapted is not None and self._json is not None:
            source, exact = self.adapted.source_of(path)
            line, column, exists = self._json.locate(source)
            return Location(file=self.file, pointer=pointer(source), line=line, column=column,
                            exists=exists and exact)
        if self._json is not None:
            line, column, exists = self._json.locate(path)
            return Location(file=self.file, pointer=pointer(path), line=line, column=column,
                            exists=exists)
        cut = len(path)
        while cut and path[:cut] not in self._xml:
            cut -= 1
        line, xpath = self._xml.get(path[:cut], (0, "/"))
        return Location(file=self.file, pointer=pointer(path), line=line or None, xpath=xpath,
                        exists=cut == len(path))


def sniff(data: bytes, file: str) -> str:
    """``json`` or ``xml``, from the first meaningful character."""
    head, encoding = jsonread.strip_bom(data[:4096])
    if encoding != "utf-8":
        head = head.decode(encoding, errors="ignore").encode("utf-8")
    stripped = head.lstrip()
    if not stripped:
        raise InputError("empty", file)
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<":
        return "xml"
    lowered = file.lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".xml"):
        return "xml"
    raise InputError("format", file)


def _known(registry: Registry) -> str:
    return ", ".join(t.id for t in registry) or "-"


def read_bytes(data: bytes, file: str, registry: Registry,
               forced_type: str | None = None, limits: Limits | None = None,
               started: float | None = None) -> Filing:
    """The filing in ``data``. With ``limits``, an XML document holding more
    elements and attributes than ``max_values`` is refused while it is parsed
    (a JSON document is measured after parsing: see ``limits.measure``), and
    one whose mapping runs past ``max_seconds`` from ``started`` (a
    ``time.monotonic()``) is refused then."""
    kind = sniff(data, file)
    forced = None
    if forced_type is not None:
        forced = registry.get(forced_type)
        if forced is None:
            raise InputError("unknown_type", file, value=forced_type, known=_known(registry))
    if kind == "json":
        body, encoding = jsonread.strip_bom(data)
        source: str | bytes
        parsed: jsonread.Parsed | None = None
        if encoding == "utf-8":
            parsed, source = jsonread.parse_utf8(body, file), body
            doc = parsed.doc
        else:
            source = jsonread.decode(data, file)
            doc = jsonread.parse(source, file)
        if not isinstance(doc, dict):
            raise InputError("json_root", file, 1, 1, kind=type(doc).__name__)
        if (b'"$comment"' in data if encoding == "utf-8" else '"$comment"' in source):
            doc = without_comments(doc)
        locator = jsonlocate.JsonLocator(source, doc, parsed)
        adapted = adapt(doc, forced.id if forced else None) if "filing_type" not in doc else None
        if adapted is not None:
            ft = registry.get(adapted.filing_type)
            if ft is not None:
                return Filing(file, "json", ft, adapted.doc, _json=locator, adapted=adapted)
        if "filing_type" not in doc:
            _not_a_filing(doc, file, registry, forced)
        ft = forced or _json_type(doc, file, registry)
        return Filing(file, "json", ft, doc, _json=locator)
    # lxml loads for the first XML filing only
    from esgcheck.filings import xmlparse, xmlread

    root = xmlparse.parse(data, file, limits.max_values if limits is not None else None)
    detected = _xml_type(root, file, registry, forced)
    deadline = None
    if limits is not None and started is not None:
        deadline = started + limits.max_seconds
    mapper = xmlread.XmlMapper(detected.types, deadline, file,
                               limits.max_seconds if limits is not None else 0.0)
    doc = mapper.map(root, detected.id)
    return Filing(file, "xml", detected, doc, _xml=mapper.places)


def without_comments(node: Any) -> Any:
    """A JSON document without its ``$comment`` members: comments, as JSON
    Schema writes them (``esgcheck init`` describes each field in one), which
    are not part of the filing. Other members keep their paths, so their
    locations stand."""
    if isinstance(node, dict):
        return {k: without_comments(v) for k, v in node.items() if k != "$comment"}
    if isinstance(node, list):
        return [without_comments(v) for v in node]
    return node


def _xml_type(root: Any, file: str, registry: Registry, forced: FilingType | None
              ) -> FilingType:
    """The filing type of an XML document by its root element and namespace.
    A root a filing type knows in another namespace (or in none) is refused
    naming both, with or without ``--type``: its elements would be read as
    that type's fields, or not at all, as if the document were right."""
    from esgcheck.filings import xmlread

    name, ns = xmlread.local(root.tag), xmlread.namespace(root.tag)
    line = root.sourceline
    found = ns or Key("xml_no_namespace")
    if forced is not None:
        if forced.xml_root is None or (
                forced.xml_root == name and (forced.xml_namespace or None) == (ns or None)):
            return forced
        if forced.xml_root != name:
            raise InputError("xml_root_forced", file, line, root=name, namespace=found,
                             type=forced.id, expected_root=forced.xml_root,
                             expected=forced.xml_namespace or Key("xml_no_namespace"))
        raise InputError("xml_namespace", file, line, root=name, namespace=found,
                         type=forced.id, expected=forced.xml_namespace or Key("xml_no_namespace"))
    detected = registry.by_xml(name, ns)
    if detected is not None:
        return detected
    same_root = [t for t in registry if t.xml_root == name]
    if same_root:
        raise InputError("xml_namespace", file, line, root=name, namespace=found,
                         type=same_root[0].id,
                         expected=" / ".join(t.xml_namespace or "-" for t in same_root))
    raise InputError("no_type", file, 1, known=_known(registry))


def _not_a_filing(doc: dict[str, Any], file: str, registry: Registry,
                  forced: FilingType | None) -> None:
    """Refuse, saying what it is, a document in a format esgcheck recognises but
    that the filing type asked for (or, without --type, any) does not read: a
    product carbon footprint, or an industry format of another filing type."""
    reader = reader_for(doc)
    if forced is not None and reader is not None and reader.filing_type != forced.id \
            and registry.get(reader.filing_type) is not None:
        name = reader.read(doc).format
        if forced.id == "eu-battery-cf" and reader.filing_type == PCF_TYPE:
            # a supplier's footprint given as a battery's declaration: what it is
            raise InputError("pcf_other_type", file, format=name, type=forced.id,
                             reads=PCF_TYPE)
        raise InputError("format_of_other_type", file, format=name, type=forced.id,
                         reads=reader.filing_type)
    found = recognise(doc)
    if found is not None:
        if forced is not None:
            raise InputError("pcf_not_filing_forced", file, format=found, type=forced.id,
                             known=_known(registry))
        raise InputError("pcf_not_filing", file, format=found, known=_known(registry))


def _json_type(doc: dict[str, Any], file: str, registry: Registry) -> FilingType:
    declared = doc.get("filing_type")
    if isinstance(declared, str):
        ft = registry.get(declared)
        if ft is None:
            raise InputError("unknown_type", file, value=declared, known=_known(registry))
        return ft
    schema_id = doc.get("$schema")
    for ft in registry:
        if schema_id is not None and ft.schema.get("$id") == schema_id:
            return ft
    raise InputError("no_type", file, known=_known(registry))


def file_bytes(path: Path, file: str, max_bytes: int | None = None) -> bytes:
    """A regular file's content, at most ``max_bytes`` of it; an input error
    naming the file when it cannot or may not be read (see ``paths``)."""
    return read_regular(path, file, max_bytes)
