"""XML filings: hardened parsing and the schema-driven mapping to the canonical form.

The XML form of a filing type follows from its JSON Schema, so one rule serves
both formats:

* the root element is ``x-esgcheck.xml.root`` in ``x-esgcheck.xml.namespace``;
* an object property is a child element of the same name;
* an array property is an element whose children are the items (their element
  name is the item schema's ``x-xml-item``, else its ``x-entity``, else ``item``);
* a quantity (``x-quantity``) is an element whose text is the value and whose
  ``unit`` attribute is the unit: ``<annual_total unit="t">12.5</annual_total>``;
* scalars are element text, converted to the type the schema gives.

The parser never loads a DTD, never expands an entity, never touches the
network; a document with a DOCTYPE is refused outright.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from esgcheck.engine.expr.types import SchemaTypes
from esgcheck.filings.errors import InputError
from esgcheck.filings.limits import LimitExceeded

LXML_DEPTH = 256  # libxml2's nesting bound without its huge-document option

JsonPath = tuple[str | int, ...]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False,
    )


_DOCTYPE = tuple("<!DOCTYPE".encode(e) for e in ("ascii", "utf-16-le", "utf-16-be"))


def parse(data: bytes, file: str) -> etree._Element:
    """Parse XML bytes (any encoding the declaration names) with every external
    and expanding feature off. A DOCTYPE is refused before parsing starts, so
    neither an internal subset nor an external DTD is ever looked at."""
    head = data[:65536]
    if any(marker in head for marker in _DOCTYPE):
        raise InputError("xml_doctype", file, 1)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        if "Excessive depth" in (exc.msg or ""):
            raise LimitExceeded("parser_depth", file, LXML_DEPTH) from None
        raise InputError("xml_syntax", file, line, column, reason=exc.msg) from None
    except ValueError as exc:  # e.g. an unsupported encoding declaration
        raise InputError("xml_syntax", file, reason=str(exc)) from None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InputError("xml_doctype", file, 1)
    for node in root.iter(etree.Entity):
        raise InputError("xml_entity", file, _line(node), name=str(getattr(node, "name", "")))
    return root


def _line(el: Any) -> int:
    line = el.sourceline
    return line if isinstance(line, int) else 0


def local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def namespace(tag: Any) -> str | None:
    return etree.QName(tag).namespace if isinstance(tag, str) else None


def item_name(types: SchemaTypes, items: Mapping[str, Any]) -> str:
    node = types.resolve(items)
    return str(node.get("x-xml-item") or node.get("x-entity") or "item")


class XmlMapper:
    """Turns an XML filing into the canonical JSON structure, recording for every
    value the line and XPath it came from."""

    def __init__(self, types: SchemaTypes) -> None:
        self.types = types
        self.places: dict[JsonPath, tuple[int, str]] = {}

    def map(self, root: etree._Element, type_id: str) -> Any:
        xpath = f"/{local(root.tag)}"
        doc = self.element(root, self.types.schema, (), xpath)
        if isinstance(doc, dict) and "filing_type" in self.types.properties(self.types.schema):
            doc.setdefault("filing_type", type_id)
        return doc

    def element(self, el: etree._Element, node: Mapping[str, Any] | None, path: JsonPath,
                xpath: str) -> Any:
        self.places[path] = (_line(el), xpath)
        node = self.types.resolve(node) if node is not None else None
        kind = node.get("type") if node is not None else None
        children = [c for c in el if isinstance(c.tag, str)]
        if node is not None and "x-quantity" in node:
            out: dict[str, Any] = {"value": _number((el.text or "").strip())}
            for name, value in el.attrib.items():
                out[local(name)] = str(value)
                self.places[(*path, local(name))] = (_line(el), f"{xpath}/@{local(name)}")
            self.places[(*path, "value")] = (_line(el), xpath)
            return out
        if kind == "array" and node is not None:
            items = node.get("items") if isinstance(node.get("items"), Mapping) else None
            return [self.element(c, items, (*path, i), f"{xpath}/{local(c.tag)}[{i + 1}]")
                    for i, c in enumerate(children)]
        if kind == "object" or (node is None and (children or el.attrib)) or (
                node is not None and "properties" in node):
            return self.object(el, node, children, path, xpath)
        return _scalar((el.text or "").strip(), node)

    def object(self, el: etree._Element, node: Mapping[str, Any] | None,
               children: list[etree._Element], path: JsonPath, xpath: str) -> dict[str, Any]:
        props = self.types.properties(node) if node is not None else {}
        out: dict[str, Any] = {}
        for name, value in el.attrib.items():
            key = local(name)
            out[key] = _scalar(str(value), props.get(key))
            self.places[(*path, key)] = (_line(el), f"{xpath}/@{key}")
        counts: dict[str, int] = {}
        for child in children:
            key = local(child.tag)
            counts[key] = counts.get(key, 0) + 1
        seen: dict[str, int] = {}
        for child in children:
            key = local(child.tag)
            seen[key] = seen.get(key, 0) + 1
            sub_xpath = f"{xpath}/{key}" if counts[key] == 1 else f"{xpath}/{key}[{seen[key]}]"
            value = self.element(child, props.get(key), (*path, key), sub_xpath)
            if counts[key] > 1:  # a repeated element where one is expected: keep all,
                out.setdefault(key, []).append(value)  # so validation reports the type
            else:
                out[key] = value
        return out


def _number(text: str) -> Any:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    return int(value) if value == value.to_integral_value() and "." not in text and (
        "e" not in text.lower()) else value


def _scalar(text: str, node: Mapping[str, Any] | None) -> Any:
    kind = node.get("type") if node is not None else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind in ("number", "integer"):
        return _number(text)
    if kind == "boolean":
        return {"true": True, "false": False, "1": True, "0": False}.get(text, text)
    return text


# ---------------------------------------------------------------- writing


def to_xml(doc: Any, types: SchemaTypes, root: str, ns: str | None) -> bytes:
    """The XML form of a canonical filing (the inverse of ``XmlMapper``)."""
    qname = f"{{{ns}}}{root}" if ns else root
    nsmap: Any = {None: ns} if ns else None  # a default namespace has the key None
    el = etree.Element(qname, nsmap=nsmap)
    body = {k: v for k, v in doc.items() if k != "filing_type"}
    _fill(el, body, types.schema, types, ns)
    return bytes(etree.tostring(el, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _fill(el: etree._Element, value: Any, node: Mapping[str, Any] | None, types: SchemaTypes,
          ns: str | None) -> None:
    node = types.resolve(node) if node is not None else None
    if node is not None and "x-quantity" in node and isinstance(value, dict):
        el.text = _text(value.get("value"))
        for key, sub in value.items():
            if key != "value":
                el.set(key, _text(sub))
        return
    if isinstance(value, dict):
        props = types.properties(node) if node is not None else {}
        for key, sub in value.items():
            child = etree.SubElement(el, f"{{{ns}}}{key}" if ns else key)
            _fill(child, sub, props.get(key), types, ns)
    elif isinstance(value, list):
        items = node.get("items") if node is not None else None
        name = item_name(types, items) if isinstance(items, Mapping) else "item"
        for sub in value:
            child = etree.SubElement(el, f"{{{ns}}}{name}" if ns else name)
            _fill(child, sub, items if isinstance(items, Mapping) else None, types, ns)
    else:
        el.text = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)
