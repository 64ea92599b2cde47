"""Hostile and broken input: every attack gives a clear error or a bounded
result, reads no local file, fetches nothing, and never takes another filing
down with it. The README's table of attacks points at these tests."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from esgcheck.checker import PACKAGE_RULES, Checker, Options
from esgcheck.engine.filing_types import default_registry
from esgcheck.engine.rulebase import RuleBaseError
from esgcheck.filings.errors import InputError
from esgcheck.filings.limits import Limits, schema_depth
from esgcheck.filings.reader import read_bytes
from esgcheck.filings.xmlread import to_xml

from .conftest import FIXTURES

REGISTRY = default_registry()
ANNUAL = FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json"
NS = "urn:esgcheck:cn-eidm-annual:1"
SECRET = "esgcheck-canary-7f3a"


# ---------------------------------------------------------------- helpers

class _Canary(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Canary.hits.append(self.path)
        body = f'<?xml version="1.0"?><x>{SECRET}</x>'.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    """A local web server that records every request made to it."""
    _Canary.hits = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Canary)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def annual_xml() -> str:
    ft = REGISTRY.get("cn-eidm-annual")
    assert ft is not None and ft.xml_root is not None
    doc = read_bytes(ANNUAL.read_bytes(), "f.json", REGISTRY).doc
    return to_xml(doc, ft.types, ft.xml_root, ft.xml_namespace).decode("utf-8")


def check_xml(checker: Checker, xml: str | bytes, options: Options | None = None) -> Any:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return checker.check_bytes(data, "f.xml", options or Options())


def report_text(report: Any) -> str:
    return str(report.model_dump_json())


# ---------------------------------------------------------------- XML attacks

def test_xxe_local_file(checker: Checker, secret_file: Path) -> None:
    xml = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret_file}">]>'
           f'<AnnualReport xmlns="{NS}"><cover><enterprise_name>&x;</enterprise_name></cover>'
           "</AnnualReport>")
    report = check_xml(checker, xml)
    assert report.status == "unreadable" and report.error.code == "xml_doctype"
    assert SECRET not in report_text(report)


def test_xxe_url(checker: Checker, server: str) -> None:
    xml = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{server}/xxe">]>'
           f'<AnnualReport xmlns="{NS}"><cover>&x;</cover></AnnualReport>')
    report = check_xml(checker, xml)
    assert report.error.code == "xml_doctype"
    assert _Canary.hits == []


def test_external_dtd(checker: Checker, server: str) -> None:
    xml = (f'<?xml version="1.0"?><!DOCTYPE AnnualReport SYSTEM "{server}/x.dtd">'
           f'<AnnualReport xmlns="{NS}"/>')
    assert check_xml(checker, xml).error.code == "xml_doctype"
    assert _Canary.hits == []


def test_billion_laughs(checker: Checker) -> None:
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE r [{entities}]>'
           f'<AnnualReport xmlns="{NS}"><cover>&l9;</cover></AnnualReport>')
    start = time.monotonic()
    assert check_xml(checker, xml).error.code == "xml_doctype"
    assert time.monotonic() - start < 5  # refused before anything expands


def test_quadratic_blowup(checker: Checker) -> None:
    xml = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "{"x" * 50_000}">]>'
           f'<AnnualReport xmlns="{NS}"><cover>{"&a;" * 50_000}</cover></AnnualReport>')
    assert check_xml(checker, xml).error.code == "xml_doctype"


def test_doctype_after_a_long_prolog_is_still_refused(checker: Checker) -> None:
    xml = (f'<?xml version="1.0"?><!--{"a" * 70_000}--><!DOCTYPE r [<!ENTITY a "b">]>'
           f'<AnnualReport xmlns="{NS}"><cover>&a;</cover></AnnualReport>')
    report = check_xml(checker, xml)
    assert report.status == "unreadable" and report.error.code == "xml_doctype"


def test_schema_location_is_not_fetched(checker: Checker, server: str) -> None:
    xml = annual_xml().replace(
        f'xmlns="{NS}"', f'xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                         f'xsi:schemaLocation="{NS} {server}/schema.xsd"', 1)
    report = check_xml(checker, xml)
    assert report.status == "checked"
    assert _Canary.hits == []


def test_xinclude_is_not_processed(checker: Checker, server: str, secret_file: Path) -> None:
    include = (f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret_file}" '
               'parse="text"/>'
               f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{server}/inc"/>')
    xml = annual_xml().replace("<enterprise_name>", "<enterprise_name>" + include, 1)
    report = check_xml(checker, xml)
    assert SECRET not in report_text(report)
    assert _Canary.hits == []


def test_processing_instructions_are_dropped(checker: Checker, secret_file: Path) -> None:
    xml = annual_xml().replace(
        "<enterprise_name>", f'<?xml-stylesheet href="file://{secret_file}"?><enterprise_name>',
        1)
    report = check_xml(checker, xml)
    assert report.status == "checked"
    assert SECRET not in report_text(report)


def test_huge_text_node(checker: Checker) -> None:
    xml = annual_xml().replace("<enterprise_name>", "<enterprise_name>" + "x" * 11_000_000, 1)
    report = check_xml(checker, xml)
    assert report.status in ("unreadable", "not_assessed")
    assert report.error is not None


def test_huge_text_node_within_the_byte_limit_is_refused(checker: Checker) -> None:
    xml = annual_xml().replace("<enterprise_name>", "<enterprise_name>" + "x" * 11_000_000, 1)
    report = check_xml(checker, xml, Options(limits=Limits(max_bytes=1_000_000)))
    assert report.status == "not_assessed" and report.error.code == "limit.bytes"


def test_deep_xml_nesting(checker: Checker) -> None:
    xml = f'<AnnualReport xmlns="{NS}">' + "<a>" * 5000 + "</a>" * 5000 + "</AnnualReport>"
    report = check_xml(checker, xml)
    assert report.status == "not_assessed" and report.error.code == "limit.parser_depth"


# ---------------------------------------------------------------- JSON edge cases

def compliant() -> dict[str, Any]:
    return dict(json.loads(ANNUAL.read_text(encoding="utf-8")))


@pytest.mark.parametrize("data, status, code", [
    (b"", "unreadable", "empty"),
    (b"[]", "unreadable", "json_root"),
    (b"42", "unreadable", "json_root"),
    (b'"text"', "unreadable", "json_root"),
    (b"null", "unreadable", "json_root"),
    (b'{"filing_type": "cn-eidm-annual", "x": NaN}', "unreadable", "json_constant"),
    (b'{"filing_type": "cn-eidm-annual", "x": -Infinity}', "unreadable", "json_constant"),
    (b'{"filing_type": "cn-eidm-annual", "x": "\xc3\x28"}', "unreadable", "encoding"),
    (b'{"filing_type": "cn-eidm-annual", "x": 1, "x": 2}', "unreadable", "json_duplicate_key"),
    (b'{"filing_type": "cn-eidm-annual", "x": "a\\ud800b"}', "unreadable", "json_surrogate"),
    (b'{"filing_type": "cn-eidm-annual", "x": "\\udc00"}', "unreadable", "json_surrogate"),
    (b"[" * 100_000 + b"]" * 100_000, "not_assessed", "limit.parser_depth"),
    (b'{"filing_type": "cn-eidm-annual", "x": ' + b"[" * 100 + b"]" * 100 + b"}",
     "not_assessed", "limit.depth"),
])
def test_json_edge_cases(checker: Checker, data: bytes, status: str, code: str) -> None:
    report = checker.check_bytes(data, "f.json")
    assert (report.status, report.error.code if report.error else None) == (status, code)
    assert report.error is not None and report.error.message.zh and report.error.message.en


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
    # without a mark, UTF-16 is told by its zero bytes (RFC 4627 §3); it used to be
    # refused as "not valid UTF-8", which sent the filer after the wrong problem
    ("utf-16-le", b""), ("utf-16-be", b"")])
def test_json_byte_order_marks(checker: Checker, encoding: str, bom: bytes) -> None:
    plain = checker.check_bytes(ANNUAL.read_bytes(), "f.json")
    text = ANNUAL.read_text(encoding="utf-8")
    marked = checker.check_bytes(bom + text.encode(encoding), "f.json")
    assert marked.status == "checked"
    assert [f.rule_id for f in marked.findings] == [f.rule_id for f in plain.findings]
    assert [f.location.line for f in marked.findings] == [
        f.location.line for f in plain.findings]


def test_numbers_beyond_float_precision_stay_exact(checker: Checker) -> None:
    doc = compliant()
    text = json.dumps(doc, ensure_ascii=False)
    value = doc["carbon"]["emissions_current"]["value"]
    exact = "123456789012345678901234.000000000000000001"
    text = text.replace(f'"value": {json.dumps(value)}', f'"value": {exact}', 1)
    filing = read_bytes(text.encode(), "f.json", REGISTRY)
    assert str(filing.doc["carbon"]["emissions_current"]["value"]) == exact


def test_a_duplicate_key_names_the_key_and_line(checker: Checker) -> None:
    data = b'{\n"filing_type": "cn-eidm-annual",\n"cover": {},\n"cover": {}\n}'
    with pytest.raises(InputError) as info:
        read_bytes(data, "f.json", REGISTRY)
    assert info.value.line == 4 and "cover" in info.value.describe("en")


# ---------------------------------------------------------------- limits

@pytest.mark.parametrize("limits, code", [
    (Limits(max_bytes=1000), "limit.bytes"),
    (Limits(max_depth=3), "limit.depth"),
    (Limits(max_values=50), "limit.values"),
    (Limits(max_steps=10), "limit.steps"),
    (Limits(max_seconds=1e-9), "limit.seconds"),
])
def test_each_limit_gives_a_not_assessed_report(checker: Checker, limits: Limits,
                                                code: str) -> None:
    report = checker.check_bytes(ANNUAL.read_bytes(), "f.json", Options(limits=limits))
    assert report.status == "not_assessed"
    assert report.error is not None and report.error.code == code
    assert "limit" in report.error.message.en and "上限" in report.error.message.zh


def test_a_deep_document_is_refused_though_its_schema_is_shallow(checker: Checker) -> None:
    """Only a valid document is judged by its schema's depth; this one is not
    valid (an unknown member), so it is walked and refused."""
    doc = json.loads(ANNUAL.read_text(encoding="utf-8"))
    doc["cover"]["nested"] = json.loads("[" * 100 + "]" * 100)
    report = checker.check_bytes(json.dumps(doc).encode(), "f.json")
    assert report.error is not None and report.error.code == "limit.depth"


@pytest.mark.parametrize("schema, depth", [
    ({"type": "string"}, 0),
    ({"type": "object", "additionalProperties": False}, 1),
    ({"type": "object", "properties": {"a": {"type": "array", "items": {"type": "number"}}},
      "additionalProperties": False}, 2),
    ({"type": "object"}, None),  # any member
    ({"type": "array"}, None),  # any item
    ({}, None),
    ({"enum": ["a", [["b"]]]}, 2),
    ({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}, 1),
    ({"anyOf": [{"type": "string"}, {}]}, None),
    ({"allOf": [{}, {"type": "string"}]}, 0),
    ({"$ref": "#/$defs/list", "$defs": {"list": {
        "type": "array", "items": {"$ref": "#/$defs/list"}}}}, None),  # recursive
    ({"type": "object", "patternProperties": {"^x": {"type": "string"}},
      "additionalProperties": False}, None),
])
def test_schema_depth(schema: dict[str, Any], depth: int | None) -> None:
    assert schema_depth(schema) == depth


def test_every_filing_type_bounds_its_depth() -> None:
    """The shipped schemas are closed, so a valid filing is not walked to be measured."""
    for ft in REGISTRY:
        bound = schema_depth(ft.schema)
        assert bound is not None and bound <= Limits().max_depth, ft.id


def test_limits_from_settings() -> None:
    limits = Limits().with_settings({"bytes": "10", "seconds": "0.5", "max_steps": "7"})
    assert (limits.max_bytes, limits.max_seconds, limits.max_steps) == (10, 0.5, 7)
    for bad in ({"nope": "1"}, {"bytes": "ten"}, {"depth": "0"}):
        with pytest.raises(ValueError):
            Limits().with_settings(bad)


# ---------------------------------------------------------------- rule bases from outside

@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE_RULES / "cn-eidm", tmp_path / "cn-eidm")
    return tmp_path


ID_007 = "code matches '^D[AW][0-9]{3}$'"


def with_assert(root: Path, new: str) -> None:
    path = root / "cn-eidm" / "rules" / "identifiers.yaml"
    text = path.read_text(encoding="utf-8")
    assert ID_007 in text
    path.write_text(text.replace(ID_007, new, 1), encoding="utf-8")


@pytest.mark.parametrize("expression, message", [
    ("code.__class__ == 'x'", "'__class__' is read from"),
    ("code.__class__.__mro__ == []", "'__class__' is read from"),
    ("facts.__class__ == 'x'", "__class__"),
    ("__import__('os') == 1", "unknown function '__import__'"),
    ("eval('1') == 1", "unknown function 'eval'"),
    ("open('/etc/passwd') == 'x'", "unknown function 'open'"),
    ("getattr(code, '__class__') == 1", "unknown function 'getattr'"),
    ("code matches '(?P<x>'", "invalid regular expression"),
])
def test_escapes_are_refused_at_load(rules: Path, expression: str, message: str) -> None:
    with_assert(rules, expression)
    with pytest.raises(RuleBaseError) as info:
        Checker([rules])
    assert any(message in p.message for p in info.value.problems), info.value.problems


def test_huge_numbers_are_bounded(rules: Path) -> None:
    with_assert(rules, "1e999999 * 1e999999 * 1e999999 > 0 or code matches '^D'")
    report = Checker([rules]).check_file(ANNUAL, "f.json")
    assert report.status == "checked"


def test_catastrophic_backtracking_is_bounded(rules: Path) -> None:
    with_assert(rules, "code matches '^(D|A|a|aa)+$'")
    doc = compliant()
    outlet = doc["pollution"]["outlets"][0]
    outlet["code"], outlet["medium"] = "DA" + "a" * 60 + "!", "air"
    start = time.monotonic()
    report = Checker([rules]).check_bytes(
        json.dumps(doc, ensure_ascii=False).encode(), "f.json",
        Options(limits=Limits(regex_seconds=0.05)))
    assert time.monotonic() - start < 10
    [finding] = [f for f in report.findings if f.rule_id == "CN-EIDM-ID-007"
                 and f.location.pointer.startswith("/pollution/outlets/0/")]
    assert finding.outcome == "not_assessable"


def test_recursion_through_derive_rules_is_refused(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE_RULES / "cn-eidm", tmp_path / "cn-eidm")
    path = tmp_path / "cn-eidm" / "rules" / "scope.yaml"
    text = path.read_text(encoding="utf-8")
    rule = ("\n  - id: LOOP-1\n    kind: derive\n    entity: filing\n    derive: loop_a\n"
            "    title: {zh: 甲, en: a}\n    citation: {instrument: measures, article: '7'}\n"
            "    value: facts.loop_b ?? false\n"
            "  - id: LOOP-2\n    kind: derive\n    entity: filing\n    derive: loop_b\n"
            "    title: {zh: 乙, en: b}\n    citation: {instrument: measures, article: '7'}\n"
            "    value: facts.loop_a ?? false\n")
    path.write_text(text.rstrip("\n") + "\n" + rule, encoding="utf-8")
    with pytest.raises(RuleBaseError) as info:
        Checker([tmp_path])
    assert any("cycle" in p.message for p in info.value.problems), info.value.problems


def test_surrogate_pairs_and_escaped_backslashes_are_text(checker: Checker) -> None:
    for text in (rb'"\ud83d\ude00"', rb'"\\ud800"'):  # an emoji; a backslash, then text
        data = b'{"filing_type": "cn-eidm-annual", "x": ' + text + b"}"
        assert checker.check_bytes(data, "f.json").status == "checked", text


def test_a_lone_surrogate_is_located(checker: Checker) -> None:
    data = b'{"filing_type": "cn-eidm-annual",\n "x": "ok \\ud800"}'
    report = checker.check_bytes(data, "f.json")
    assert report.error is not None and report.error.location is not None
    assert (report.error.location.line, report.error.location.column) == (2, 11)
