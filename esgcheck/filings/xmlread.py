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

Parsing, hardened against hostile documents, is ``xmlparse``'s.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from esgcheck.engine.expr.types import SchemaTypes
from esgcheck.filings.limits import LimitExceeded
from esgcheck.filings.xmlparse import element_line

JsonPath = tuple[str | int, ...]


def local(tag: Any) -> str:
    """The local name of a tag or attribute name in Clark notation ({ns}name)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace(tag: Any) -> str | None:
    """The namespace of a name in Clark notation; None when it has none."""
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:tag.index("}")]
    return None


def item_name(types: SchemaTypes, items: Mapping[str, Any]) -> str:
    node = types.resolve(items)
    return str(node.get("x-xml-item") or node.get("x-entity") or "item")


# attributes that say how to process the document, never what it says: the
# schema-instance hints (xsi:schemaLocation, xsi:type, ...) and xml:lang, xml:space
IGNORED_ATTRIBUTE_NAMESPACES = frozenset({
    "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/XML/1998/namespace",
})


class XmlMapper:
    """Turns an XML filing into the canonical JSON structure, recording for every
    value the line and XPath it came from.

    Only elements in the filing's namespace (the root's) are read as its
    fields. An element in another namespace (``<uscc xmlns="urn:evil">``), or
    in none inside a filing that has one, keeps its namespace in its name
    (``{urn:evil}uscc``, ``{}uscc``): no field of the filing has such a name,
    so validation reports it as an unexpected field naming both, and the
    filing's own field of that local name is neither replaced nor supplied by
    it. An attribute in a namespace is treated alike, except the schema-
    instance and ``xml:`` attributes, which are processing hints and are
    ignored. A scalar field (text, number, date, or a quantity's value) that
    holds elements or attributes is read as an object, so validation reports
    the wrong type instead of its content being dropped."""

    def __init__(self, types: SchemaTypes, deadline: float | None = None,
                 file: str = "", max_seconds: float = 0.0) -> None:
        self.types = types
        self.places: dict[JsonPath, tuple[int, str]] = {}
        self.ns: str | None = None
        self._keys: dict[str, str] = {}  # by tag
        self._steps: dict[str, str] = {}  # by tag
        # the seconds limit, which covers reading: checked every few thousand elements
        self.deadline = deadline
        self.file = file
        self.max_seconds = max_seconds
        self.mapped = 0

    def map(self, root: etree._Element, type_id: str) -> Any:
        self.ns = namespace(root.tag)
        xpath = f"/{local(root.tag)}"
        doc = self.element(root, self.types.schema, (), xpath)
        if isinstance(doc, dict) and "filing_type" in self.types.properties(self.types.schema):
            doc.setdefault("filing_type", type_id)
        return doc

    def key(self, tag: str) -> str:
        """The member name of a child element: its local name in the filing's
        namespace, else its name with the namespace it is really in."""
        known = self._keys.get(tag)
        if known is None:
            name, ns = local(tag), namespace(tag)
            known = self._keys[tag] = name if ns == self.ns else f"{{{ns or ''}}}{name}"
        return known

    def attribute_key(self, name: str) -> str | None:
        """The member name of an attribute (unprefixed attributes are in no
        namespace, whatever the default); None for one that is ignored."""
        ns = namespace(name)
        if ns is None:
            return local(name)
        if ns in IGNORED_ATTRIBUTE_NAMESPACES:
            return None
        return f"{{{ns}}}{local(name)}"

    def step(self, xpath: str, tag: str) -> str:
        """The XPath of a child element of the element at ``xpath``."""
        known = self._steps.get(tag)
        if known is None:
            ns = namespace(tag)
            known = self._steps[tag] = (
                f"/{local(tag)}" if ns == self.ns
                else f"/*[namespace-uri()='{ns or ''}' and local-name()='{local(tag)}']")
        return xpath + known

    def element(self, el: etree._Element, node: Mapping[str, Any] | None, path: JsonPath,
                xpath: str) -> Any:
        self.places[path] = (element_line(el), xpath)
        self.mapped += 1
        if self.deadline is not None and not self.mapped & 4095 and (
                time.monotonic() > self.deadline):
            raise LimitExceeded("seconds", self.file, self.max_seconds, "limit.seconds_filing")
        node = self.types.resolve(node) if node is not None else None
        kind = node.get("type") if node is not None else None
        children = [c for c in el if isinstance(c.tag, str)]
        attributes = [(key, value) for name, value in _attributes(el)
                      if (key := self.attribute_key(name)) is not None]
        if node is not None and "x-quantity" in node and not children:
            out: dict[str, Any] = {"value": _number((el.text or "").strip())}
            for key, value in attributes:
                out[key] = value
                self.places[(*path, key)] = (element_line(el), f"{xpath}/@{key}")
            self.places[(*path, "value")] = (element_line(el), xpath)
            return out
        if kind == "array" and node is not None:
            items = node.get("items") if isinstance(node.get("items"), Mapping) else None
            out_items: list[Any] = []
            for i, c in enumerate(children):
                step = self.step(xpath, c.tag) + f"[{i + 1}]"
                if namespace(c.tag) == self.ns:
                    out_items.append(self.element(c, items, (*path, i), step))
                else:  # not an item of the filing: an object that names what it is
                    self.places[(*path, i)] = (element_line(c), step)
                    out_items.append({self.key(c.tag): self.element(
                        c, None, (*path, i, self.key(c.tag)), step)})
            return out_items
        if kind == "object" or children or attributes or (
                node is not None and "properties" in node):
            return self.object(el, node, children, attributes, path, xpath)
        return _scalar((el.text or "").strip(), node)

    def object(self, el: etree._Element, node: Mapping[str, Any] | None,
               children: list[etree._Element], attributes: list[tuple[str, str]],
               path: JsonPath, xpath: str) -> dict[str, Any]:
        props = self.types.properties(node) if node is not None else {}
        out: dict[str, Any] = {}
        keys = [self.key(child.tag) for child in children]
        counts: dict[str, int] = {}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
        for key, value in attributes:
            scalar = _scalar(value, props.get(key))
            if key in counts:  # an attribute and an element of one name: neither hides
                out[key] = [scalar]  # the other; validation reports the repeat
                counts[key] += 1
            else:
                out[key] = scalar
            self.places[(*path, key)] = (element_line(el), f"{xpath}/@{key}")
        seen: dict[str, int] = {}
        for child, key in zip(children, keys, strict=True):
            seen[key] = seen.get(key, 0) + 1
            step = self.step(xpath, child.tag)
            sub_xpath = step if counts[key] == 1 else f"{step}[{seen[key]}]"
            value = self.element(child, props.get(key), (*path, key), sub_xpath)
            if counts[key] > 1:  # a repeated element where one is expected: keep all,
                out.setdefault(key, []).append(value)  # so validation reports the type
            else:
                out[key] = value
        return out


_ALL_ATTRIBUTES = etree.XPath("@*")


def _attributes(el: etree._Element) -> list[tuple[str, str]]:
    """An element's attributes (names in Clark notation) in document order, in
    time linear in their number: lxml's ``attrib.items()`` looks each value up
    by name, which for a hundred thousand attributes on one element takes
    minutes; the XPath answer carries each name with its value."""
    names = el.keys()
    if not names:
        return []
    if len(names) <= 16:
        return [(str(name), str(value)) for name, value in el.items()]
    found: Any = _ALL_ATTRIBUTES(el)
    return [(str(a.attrname), str(a)) for a in found]


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
