"""A skeleton filing to fill in (``esgcheck init FILING-TYPE``, in
esgcheck.commands.init).

The skeleton holds every field the schema requires and every field a rule
reads (with the objects and lists around it), in the schema's order, each with
a placeholder that is valid (the schema accepts it) but plainly to be
replaced: ``TODO ...`` texts, the date 2099-12-31, zero amounts in the field's
own unit, ``XX`` where a country code goes, the first value of a list of
choices. Checking the skeleton reports findings (what the placeholders do
not say), never a structural error.

Each field is described where a user fills it in: in XML by a comment before
its element (the schema's Chinese and English title, its description, and the
rules that read it); in JSON by a ``$comment`` member opening each object,
with one line per member (esgcheck ignores ``$comment`` members, as JSON
Schema's own comments).

Which rules read a field is found from the rules' expressions: a name is read
from the rule's entity (``concentration`` in a rule over an outlet's
pollutant), from an enclosing entity (``outlet.code``), from a variable bound
by a quantifier (``o.code`` in ``any(o in pollution.outlets: ...)``) or from
the filing's root. The same map annotates the schemas (``x-rules`` on each
field a rule reads, see ``annotated``); a test checks the shipped schemas
against it, so that the annotation cannot drift from the rules.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path as PathLib
from typing import Any

from lxml import etree

from esgcheck.engine.filing_types import FilingType
from esgcheck.engine.rulebase import RuleBase

Path = tuple[str, ...]  # schema path: property names, '*' for an array's items
PLACEHOLDER_DATE = "2099-12-31"

_NAME = re.compile(r"(?<![\w.'\"$])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?!\s*\()")
_BIND = re.compile(r"\b([A-Za-z_]\w*)\s+in\s+([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NOT_FIELDS = {"facts", "config", "as_of", "true", "false", "null", "and", "or", "not",
               "if", "then", "else", "in", "any", "all", "none", "count", "sum", "is"}


# ---------------------------------------------------------------- the schema


def _resolve(ft: FilingType, node: Mapping[str, Any]) -> Mapping[str, Any]:
    return ft.types.resolve(node)


def _child(ft: FilingType, node: Mapping[str, Any], step: str) -> Mapping[str, Any] | None:
    node = _resolve(ft, node)
    if step == "*":
        items = node.get("items")
        return _resolve(ft, items) if isinstance(items, Mapping) else None
    props = node.get("properties") or {}
    sub = props.get(step)
    return _resolve(ft, sub) if isinstance(sub, Mapping) else None


def _node_at(ft: FilingType, path: Path) -> Mapping[str, Any] | None:
    node: Mapping[str, Any] | None = ft.schema
    for step in path:
        if node is None:
            return None
        node = _child(ft, node, step)
    return node


def _walk_names(ft: FilingType, base: Path, names: Sequence[str]) -> Path | None:
    """The schema path that ``names`` reach from ``base`` (an array's items
    stepped into on the way); None when a name is not a field there."""
    node = _node_at(ft, base)
    path = list(base)
    for name in names:
        while node is not None and _resolve(ft, node).get("type") == "array":
            node = _child(ft, node, "*")
            path.append("*")
        if node is None or name not in (_resolve(ft, node).get("properties") or {}):
            return None
        node = _child(ft, node, name)
        path.append(name)
    return tuple(path) if names else None


# ---------------------------------------------------------------- what rules read


def _texts(rule: Any) -> Iterable[str]:
    s = rule.spec
    for text in (s.when, s.assert_, s.value, s.derive, s.at, *s.params.values()):
        if isinstance(text, str):
            yield text


def fields_read(ft: FilingType, rulebases: Iterable[RuleBase]) -> dict[Path, list[str]]:
    """Each schema path a rule of these rule bases reads on filings of this
    type, with the ids of the rules (derive rules included), sorted."""
    out: dict[Path, set[str]] = {}
    for rb in rulebases:
        rules = rb.by_type.get(ft.id)
        if rules is None:
            continue
        for rule in [*rules.derive, *rules.check]:
            entity = rule.entity
            bases = {entity.name: list(entity.patterns)}
            for name in entity.ancestors:
                bases[name] = list(ft.entities[name].patterns)
            for text in _texts(rule):
                text = _STRING.sub("''", text)
                bound: dict[str, list[Path]] = {}
                for var, where in _BIND.findall(text):
                    found = [p for p in _resolve_name(ft, where, bases, bound) if p]
                    if found:
                        bound[var] = [(*p, "*") for p in found]
                for name in _NAME.findall(text):
                    for path in _resolve_name(ft, name, bases, bound):
                        out.setdefault(path, set()).add(rule.id)
    return {path: sorted(ids) for path, ids in sorted(out.items())}


def _resolve_name(ft: FilingType, name: str, bases: Mapping[str, list[Path]],
                  bound: Mapping[str, list[Path]]) -> list[Path]:
    parts = name.split(".")
    if parts[0] in _NOT_FIELDS:
        return []
    starts: list[tuple[Path, list[str]]] = []
    if parts[0] in bound:
        starts = [(b, parts[1:]) for b in bound[parts[0]]]
    elif parts[0] in bases and len(parts) > 1 and parts[0] != next(iter(bases)):
        starts = [(b, parts[1:]) for b in bases[parts[0]]]
    else:
        own = next(iter(bases.values()))
        starts = [(b, parts) for b in own] + [((), parts)]
    found: list[Path] = []
    for base, names in starts:
        path = _walk_names(ft, base, names)
        if path is not None:
            found.append(path)
            if base == ():
                break
    # a name read from the entity wins over the same name from the root
    return found[:1] if found and starts and starts[0][0] != () else found


def annotated(ft: FilingType, reads: Mapping[Path, list[str]]) -> dict[str, Any]:
    """The type's schema with ``x-rules`` (the ids of the rules that read the
    field) on every property a rule reads, and nowhere else."""
    schema: dict[str, Any] = json.loads(json.dumps(ft.schema))

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("x-rules", None)
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(schema)
    for path, ids in reads.items():
        holder = _raw_holder(schema, path)
        if holder is not None:
            holder["x-rules"] = ids
    return schema


def _raw_holder(schema: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """The raw schema object of a property (not its $ref target), to annotate."""
    node: Any = schema
    for step in path:
        node = _deref(schema, node)
        node = node.get("items") if step == "*" else (node.get("properties") or {}).get(step)
        if not isinstance(node, dict):
            return None
    return node if path and path[-1] != "*" else None


def _deref(schema: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith(
            "#/"):
        target: Any = schema
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


# ---------------------------------------------------------------- the skeleton


def _wanted(ft: FilingType, reads: Mapping[Path, list[str]]) -> set[Path]:
    """The paths in the skeleton: what rules read and what holds it."""
    out: set[Path] = set()
    for path in reads:
        for n in range(1, len(path) + 1):
            out.add(path[:n])
    return out


def _placeholder(ft: FilingType, node: Mapping[str, Any], title: str) -> Any:
    node = _resolve(ft, node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    if "x-quantity" in node:
        return {"value": 0, "unit": node["x-quantity"]}
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "string":
        if node.get("format") == "date":
            return PLACEHOLDER_DATE
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            m = re.fullmatch(r"\^\[A-Z\]\{(\d+)\}\$", pattern)
            if m:
                return "X" * int(m.group(1))
        return f"TODO {title}".strip()
    if kind in ("number", "integer"):
        low = node.get("minimum", node.get("exclusiveMinimum", 0))
        return low + 1 if "exclusiveMinimum" in node else max(low, 0)
    if kind == "boolean":
        return False
    return None


class _Field:
    def __init__(self, key: str, node: Mapping[str, Any], rules: list[str],
                 value: Any = None, children: list[_Field] | None = None,
                 items: list[_Field] | None = None) -> None:
        self.key, self.node, self.rules = key, node, rules
        self.value, self.children, self.items = value, children, items

    def data(self) -> Any:
        if self.children is not None:
            return {c.key: c.data() for c in self.children}
        if self.items is not None:
            return [i.data() for i in self.items]
        return self.value

    def comment(self) -> str:
        title = str(self.node.get("title") or self.key)
        text = f"{self.key}: {title}"
        if self.node.get("description"):
            text += f" \u2014 {self.node['description']}"
        if self.rules:
            text += f" \u2014 rules / \u89c4\u5219: {', '.join(self.rules)}"
        return text


def _build(ft: FilingType, path: Path, key: str, raw: Mapping[str, Any],
           wanted: set[Path], reads: Mapping[Path, list[str]]) -> _Field:
    node = _resolve(ft, raw)
    title = f"{node.get('title') or raw.get('title') or key}"
    described = {**node, **{k: v for k, v in raw.items() if k in ("title", "description")}}
    rules = reads.get(path, [])
    if "x-quantity" in node or "const" in node or "enum" in node:
        return _Field(key, described, rules, _placeholder(ft, node, title))
    if node.get("type") == "object" or "properties" in node:
        props = node.get("properties") or {}
        required = set(node.get("required") or ())
        children = [
            _build(ft, (*path, name), name, sub, wanted, reads)
            for name, sub in props.items()
            if name in required or (*path, name) in wanted]
        return _Field(key, described, rules, children=children)
    if node.get("type") == "array":
        items = node.get("items") or {}
        item = _build(ft, (*path, "*"), "*", items, wanted, reads)
        return _Field(key, described, rules, items=[item])
    return _Field(key, described, rules, _placeholder(ft, node, title))


def skeleton_fields(ft: FilingType, rulebases: Iterable[RuleBase]) -> _Field:
    reads = fields_read(ft, rulebases)
    return _build(ft, (), "", ft.schema, _wanted(ft, reads), reads)


def skeleton(ft: FilingType, rulebases: Iterable[RuleBase], fmt: str = "json") -> str:
    """The skeleton filing of a type, as JSON or XML text."""
    root = skeleton_fields(ft, rulebases)
    if fmt == "xml":
        return _xml(ft, root)
    return json.dumps(_with_comments(root), ensure_ascii=False, indent=2) + "\n"


def _with_comments(field: _Field) -> Any:
    if field.children is not None:
        lines = [c.comment() for c in field.children if c.key != "filing_type"]
        out: dict[str, Any] = {"$comment": lines} if lines else {}
        out.update({c.key: _with_comments(c) for c in field.children})
        return out
    if field.items is not None:
        return [_with_comments(i) for i in field.items]
    return field.value


def _xml(ft: FilingType, root: _Field) -> str:
    if not ft.xml_root:
        raise ValueError(f"{ft.id} has no XML form / 该申报类型没有 XML 形式")
    ns = ft.xml_namespace
    qname = f"{{{ns}}}{ft.xml_root}" if ns else ft.xml_root
    el = etree.Element(qname, nsmap={None: ns} if ns else None)  # type: ignore[dict-item]
    el.append(etree.Comment(_safe(f" {ft.title.zh} / {ft.title.en}: esgcheck init "
                                  "skeleton; replace every TODO, 2099-12-31 and 0 ")))
    for child in root.children or []:
        if child.key != "filing_type":
            _xml_field(ft, el, child, ns)
    return etree.tostring(el, xml_declaration=True, encoding="UTF-8",
                          pretty_print=True).decode("utf-8")


def _xml_field(ft: FilingType, parent: Any, field: _Field, ns: str | None,
               name: str | None = None) -> None:
    tag = name or field.key
    parent.append(etree.Comment(_safe(f" {field.comment()} ")))
    el = etree.SubElement(parent, f"{{{ns}}}{tag}" if ns else tag)
    node = _resolve(ft, field.node)
    if "x-quantity" in node and isinstance(field.value, dict):
        el.text = str(field.value["value"])
        el.set("unit", str(field.value["unit"]))
    elif field.children is not None:
        for child in field.children:
            _xml_field(ft, el, child, ns)
    elif field.items is not None:
        items = node.get("items") or {}
        from esgcheck.filings.xmlread import item_name

        for item in field.items:
            _xml_item(ft, el, item, ns, item_name(ft.types, items))
    else:
        el.text = "true" if field.value is True else "false" if field.value is False else (
            "" if field.value is None else str(field.value))


def _xml_item(ft: FilingType, parent: Any, field: _Field, ns: str | None, tag: str) -> None:
    _xml_field(ft, parent, field, ns, tag)


def _safe(text: str) -> str:
    """Text an XML comment can hold (no '--', not ending in '-')."""
    return text.replace("--", "\u2013").rstrip("-")


# ---------------------------------------------------------------- the schemas' x-rules


def schema_text(ft: FilingType, rulebases: Iterable[RuleBase], original: str) -> str:
    """The schema file's text with ``x-rules`` as the rules read it, in the
    file's own indentation."""
    lines = original.splitlines()
    indent = len(lines[1]) - len(lines[1].lstrip(" ")) if len(lines) > 1 else 2
    return json.dumps(annotated(ft, fields_read(ft, rulebases)), ensure_ascii=False,
                      indent=indent or 2) + "\n"


def schema_files() -> list[tuple[FilingType, PathLib, list[RuleBase]]]:
    """The built-in filing types' schema files, with the built-in rule bases
    of each."""
    from esgcheck.checker import Checker
    from esgcheck.engine.filing_types import PACKAGE_SCHEMAS

    checker = Checker()
    return [(ft, PACKAGE_SCHEMAS / f"{ft.id}.schema.json", checker.rulebases_for(ft))
            for ft in checker.registry
            if (PACKAGE_SCHEMAS / f"{ft.id}.schema.json").is_file()]


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-schemas"]:
        raise SystemExit("usage: python -m esgcheck.skeleton --write-schemas")
    for ft, file, rbs in schema_files():
        file.write_text(schema_text(ft, rbs, file.read_text("utf-8")), encoding="utf-8")
        print(f"wrote {file}")
