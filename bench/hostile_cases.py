"""Worst-case hostile inputs, as bytes, for timing the checker on them.

``CASES`` maps a name to (description, builder); each builder returns the bytes
of one input, built from the bundled compliant annual sample so that only the
hostile part differs from a real filing. A timing script checks each with
``Checker.check_bytes`` (or writes it to a file for ``esgcheck check``) and
prints the time and peak memory; ``suffix(name)`` gives the file name ending
the input needs. The YAML cases are inputs to ``--waivers``,
``--rules-config`` and rule-base files, not filings.

    python bench/hostile_cases.py            # list the cases and their sizes
    python bench/hostile_cases.py NAME OUT   # write one case to a file
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ANNUAL = ROOT / "fixtures" / "cn-eidm-annual" / "01-compliant-key-discharger"
NS = "urn:esgcheck:cn-eidm-annual:1"


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(ANNUAL.with_suffix(".json").read_text(encoding="utf-8"))
    return doc


def _xml() -> str:
    return ANNUAL.with_suffix(".xml").read_text(encoding="utf-8")


def unexpected_members(n: int) -> Callable[[], bytes]:
    """A JSON filing with ``n`` members its schema does not know, at the top."""
    def build() -> bytes:
        doc = _doc()
        for i in range(n):
            doc[f"x{i}"] = 0
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    return build


def xml_attributes(n: int) -> Callable[[], bytes]:
    """An XML filing whose cover element carries ``n`` attributes."""
    def build() -> bytes:
        attrs = " ".join(f'a{i}="0"' for i in range(n))
        return _xml().replace("<cover>", f"<cover {attrs}>", 1).encode("utf-8")
    return build


def xml_empty_elements(n: int) -> Callable[[], bytes]:
    """An XML filing whose enterprise name (a text field) holds ``n`` empty elements."""
    def build() -> bytes:
        text = _xml()
        start = text.index("<enterprise_name>") + len("<enterprise_name>")
        end = text.index("</enterprise_name>")
        return (text[:start] + "<e/>" * n + text[end:]).encode("utf-8")
    return build


def xml_elements_in_array(n: int) -> Callable[[], bytes]:
    """An XML filing with ``n`` unexpected elements directly under the root."""
    def build() -> bytes:
        text = _xml()
        cut = text.rindex("</")
        return (text[:cut] + "<e/>" * n + text[cut:]).encode("utf-8")
    return build


def deep_json(depth: int) -> Callable[[], bytes]:
    """A JSON filing with one member nested ``depth`` arrays deep."""
    def build() -> bytes:
        doc = _doc()
        raw = json.dumps(doc, ensure_ascii=False)
        return (raw[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}").encode("utf-8")
    return build


def huge_total() -> bytes:
    """Every annual total of the sample written as 1e999999."""
    raw = json.dumps(_doc(), ensure_ascii=False, indent=1)
    out = []
    for line in raw.splitlines():
        if '"value":' in line:
            line = line.split('"value":')[0] + '"value": 1e999999' + (
                "," if line.rstrip().endswith(",") else "")
        out.append(line)
    return "\n".join(out).encode("utf-8")


def far_dates() -> bytes:
    """Every date of the sample written as 9999-12-31."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and len(node) == 10 and node[4] == "-" and node[7] == "-":
            return "9999-12-31"
        return node
    return json.dumps(walk(_doc()), ensure_ascii=False, indent=1).encode("utf-8")


def doctype_after(pad: int, encoding: str = "utf-8") -> Callable[[], bytes]:
    """An XML filing whose DOCTYPE (an external parameter entity naming
    /dev/zero) follows a comment of ``pad`` characters."""
    def build() -> bytes:
        head = f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
        body = (f"<!--{'a' * pad}-->"
                '<!DOCTYPE r [<!ENTITY % x SYSTEM "/dev/zero"> %x;]>'
                + _xml().split("?>", 1)[1])
        bom = "\ufeff" if encoding.startswith("utf-16") else ""
        return (bom + head + body).encode(encoding)
    return build


def yaml_aliases(levels: int = 9, width: int = 9) -> bytes:
    """Nested anchors and aliases: each level lists the one before ``width``
    times, so the last names width**levels values in a few hundred bytes."""
    lines = ['a0: &a0 ["x"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return ("\n".join(lines) + "\n").encode("utf-8")


CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "json-members-10k": ("JSON, 10,000 unexpected top-level members (about 120 KB)",
                         unexpected_members(10_000)),
    "json-members-100k": ("JSON, 100,000 unexpected top-level members (about 1.3 MB)",
                          unexpected_members(100_000)),
    "xml-attributes-100k": ("XML, 100,000 attributes on one element (about 1 MB)",
                            xml_attributes(100_000)),
    "xml-empty-elements-16m": ("XML, 16 million empty elements in a text field (61 MiB)",
                               xml_empty_elements(16_000_000)),
    "xml-elements-under-root-1m": ("XML, 1 million unexpected elements under the root",
                                   xml_elements_in_array(1_000_000)),
    "json-deep-256": ("JSON nested 256 deep", deep_json(256)),
    "json-deep-1000": ("JSON nested 1,000 deep", deep_json(1000)),
    "json-huge-totals": ("JSON, every total 1e999999", huge_total),
    "json-far-dates": ("JSON, every date 9999-12-31", far_dates),
    "xml-doctype-after-70k": ("XML, DOCTYPE naming /dev/zero after a 70,000-character comment",
                              doctype_after(70_000)),
    "xml-doctype-after-70k-utf16": ("the same in UTF-16 with a byte-order mark",
                                    doctype_after(70_000, "utf-16")),
    "yaml-aliases": ("YAML, nine levels of nine aliases (a billion values in 500 bytes)",
                     yaml_aliases),
}


def suffix(name: str) -> str:
    return "." + name.split("-", 1)[0]


def main(argv: list[str]) -> int:
    if len(argv) == 2:
        Path(argv[1]).write_bytes(CASES[argv[0]][1]())
        return 0
    for name, (description, build) in CASES.items():
        print(f"{name:32} {len(build()):>12,} bytes  {description}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
