"""Reading filings: encodings, formats, type detection, locations, hardened XML."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from esgcheck.engine.expr.values import to_number
from esgcheck.engine.filing_types import default_registry
from esgcheck.filings.errors import InputError
from esgcheck.filings.jsonlocate import JsonLocator
from esgcheck.filings.reader import read_bytes
from esgcheck.filings.xmlread import to_xml

from .conftest import FIXTURES, all_paths

REGISTRY = default_registry()


def exact(node: Any) -> Any:
    """A document with every number as the exact value the engine reads."""
    if isinstance(node, dict):
        return {k: exact(v) for k, v in node.items()}
    if isinstance(node, list):
        return [exact(v) for v in node]
    number = to_number(node)
    return node if number is None else number
COMPLIANT = (FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json").read_bytes()


def read(data: bytes, name: str = "f.json", forced: str | None = None):  # type: ignore[no-untyped-def]
    return read_bytes(data, name, REGISTRY, forced)


@pytest.mark.parametrize("encode", [
    lambda t: t.encode("utf-8"),
    lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    lambda t: t.encode("utf-16"),  # with BOM
    lambda t: b"\xff\xfe" + t.encode("utf-16-le"),
    lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
])
def test_json_encodings_give_the_same_document(encode) -> None:  # type: ignore[no-untyped-def]
    text = COMPLIANT.decode("utf-8")
    filing = read(encode(text))
    assert filing.doc == read(COMPLIANT).doc
    assert filing.doc["cover"]["enterprise_name"] == "南粤精细化工股份有限公司"


def test_json_locations_are_line_and_column() -> None:
    filing = read(COMPLIANT)
    loc = filing.location(("basic_info", "uscc"))
    lines = COMPLIANT.decode("utf-8").splitlines()
    assert lines[loc.line - 1][loc.column - 1:].startswith('"91110000600037341L"')
    assert loc.pointer == "/basic_info/uscc" and loc.exists
    absent = filing.location(("basic_info", "nothing"))
    assert not absent.exists and absent.pointer == "/basic_info/nothing"


def test_decimals_stay_exact() -> None:
    doc = json.loads(COMPLIANT)
    doc["carbon"]["emissions_current"]["value"] = 0.1
    text = json.dumps(doc).replace("0.1", "12345678901234567890.123456789")
    filing = read(text.encode())
    assert str(filing.doc["carbon"]["emissions_current"]["value"]) == (
        "12345678901234567890.123456789")


@pytest.mark.parametrize("written", ["1.5E2", "150E0", "1.50e+2", "150.000000000000000000001"])
def test_exponents_and_long_decimals_are_read_exactly(written: str) -> None:
    """The fast parser's output is refused when the text is not its shortest form;
    the exact parser then gives every number of the file as the written decimal."""
    doc = json.loads(COMPLIANT)
    doc["carbon"]["emissions_current"]["value"] = 7.25
    text = json.dumps(doc).replace("7.25", written)
    value = read(text.encode()).doc["carbon"]["emissions_current"]["value"]
    assert value == Decimal(written) and str(value) == str(Decimal(written))


def test_one_source_value_in_two_canonical_places_is_one_problem() -> None:
    """An industry payload's footprint is the declaration's and the passport's: the
    schema finds its defect twice in the canonical filing, validation reports it
    once, at its source; a canonical filing's two defects stay two."""
    from esgcheck.filings.validate import validate

    bp = {"batteryCarbonFootprint": "n/a", "carbonFootprintStudy": "https://cf.example.org/s",
          "carbonFootprintPerformanceClass": 7}
    filing = read(json.dumps(bp, indent=1).encode())
    assert filing.adapted is not None
    problems = validate(filing.filing_type, filing.doc)
    sources = [(p.keyword, filing.location(p.path).pointer) for p in problems]
    assert sorted(sources) == [("type", "/batteryCarbonFootprint"),
                               ("type", "/carbonFootprintPerformanceClass")]
    canonical = {"filing_type": "eu-battery-cf", "passport": {"carbon_footprint": {
        "performance_class": 7}}, "declarations": [{"carbon_footprint": {
            "performance_class": 7}}]}
    filing = read(json.dumps(canonical).encode())
    assert len(validate(filing.filing_type, filing.doc)) == 2


@pytest.mark.parametrize("data, code, line", [
    (b"", "empty", None),
    (b"   \n", "empty", None),
    (b'{"filing_type": "cn-eidm-annual",\n "a": }', "json_syntax", 2),
    (b'{"filing_type": "cn-eidm-annual",\n "a": 1,\n "a": 2}', "json_duplicate_key", 3),
    (b'{"filing_type": "cn-eidm-annual", "a": NaN}', "json_constant", None),
    (b"[1, 2]", "json_root", 1),
    (b'{"filing_type": "no-such-type"}', "unknown_type", None),
    (b'{"a": 1}', "no_type", None),
    (b'{"pcfValues": {"sharesPerStage": {}}}', "pcf_not_filing", None),
    # a PACT footprint is read (product-carbon-footprint); Catena-X PCF 8.x is not
    (b'{"specVersion": "urn:io.catenax.pcf:datamodel:version:8.0.0", "companyIds": [],'
     b' "pcf": {}}', "pcf_not_filing", None),
    (b"\xff\xfe{\x00", "json_syntax", 1),
    (b'{"a": "\xff"}', "encoding", None),
    (b"hello", "json_syntax", 1),  # named .json, read as JSON
    (b"<AnnualReport><cover>", "xml_syntax", 1),
    (b"<Unknown xmlns='urn:x'/>", "no_type", 1),
])
def test_unreadable_input_is_a_located_input_error(data: bytes, code: str,
                                                   line: int | None) -> None:
    with pytest.raises(InputError) as info:
        read(data)
    assert info.value.code == code
    assert info.value.line == line
    assert info.value.describe("zh") and info.value.describe("en").startswith("f.json")


def test_unknown_format() -> None:
    with pytest.raises(InputError) as info:
        read(b"hello", "f.txt")
    assert info.value.code == "format"


def test_forced_type_overrides_detection() -> None:
    doc = json.loads(COMPLIANT)
    del doc["filing_type"]
    filing = read(json.dumps(doc).encode(), forced="cn-eidm-annual")
    assert filing.filing_type.id == "cn-eidm-annual"
    with pytest.raises(InputError):
        read(json.dumps(doc).encode(), forced="nope")


def test_a_forced_type_does_not_read_what_it_cannot() -> None:
    """--type names the filing type expected; a product carbon footprint, or a
    passport another type reads, is refused saying what it is."""
    pcf = b'{"pcfValues": {"sharesPerStage": {}}}'
    with pytest.raises(InputError) as info:
        read(pcf, forced="eu-battery-cf")
    assert info.value.code == "pcf_not_filing_forced"
    assert "PcfForBatteryComponentSupplier" in info.value.describe("en")
    passport = b'{"batteryPassportIdentifier": "urn:x", "batteryCategory": "ev"}'
    with pytest.raises(InputError) as info:
        read(passport, forced="cn-eidm-annual")
    assert info.value.code == "format_of_other_type"
    assert "eu-battery-cf" in info.value.describe("zh")
    assert read(passport, forced="eu-battery-cf").read_as == (
        "Battery Pass GeneralProductInformation 1.2.0")


def test_xml_maps_onto_the_canonical_structure() -> None:
    ft = REGISTRY.get("cn-eidm-annual")
    assert ft is not None and ft.xml_root is not None
    json_filing = read(COMPLIANT)
    xml = to_xml(json_filing.doc, ft.types, ft.xml_root, ft.xml_namespace)
    xml_filing = read(xml, "f.xml")
    assert xml_filing.format == "xml"
    assert exact(xml_filing.doc) == exact(json_filing.doc)
    loc = xml_filing.location(("pollution", "outlets", 1, "pollutants", 0, "concentration"))
    assert loc.xpath == (
        "/AnnualReport/pollution/outlets/outlet[2]/pollutants/pollutant[1]/concentration")
    assert loc.line is not None and b"<concentration" in xml.splitlines()[loc.line - 1]


def test_xml_in_gb18030_is_read() -> None:
    ft = REGISTRY.get("cn-eidm-annual")
    assert ft is not None and ft.xml_root is not None
    xml = to_xml(read(COMPLIANT).doc, ft.types, ft.xml_root, ft.xml_namespace).decode("utf-8")
    xml = xml.replace("encoding='UTF-8'", "encoding='GB18030'")
    filing = read(xml.encode("gb18030"), "f.xml")
    assert filing.doc["cover"]["enterprise_name"] == "南粤精细化工股份有限公司"


@pytest.mark.parametrize("xml, code", [
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<AnnualReport xmlns="urn:esgcheck:cn-eidm-annual:1"><cover>&x;</cover></AnnualReport>',
     "xml_doctype"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
     b'<AnnualReport xmlns="urn:esgcheck:cn-eidm-annual:1">&b;</AnnualReport>', "xml_doctype"),
    (b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.invalid/x.dtd">'
     b'<AnnualReport xmlns="urn:esgcheck:cn-eidm-annual:1"/>', "xml_doctype"),
])
def test_xml_with_a_doctype_is_refused(xml: bytes, code: str) -> None:
    with pytest.raises(InputError) as info:
        read(xml, "f.xml")
    assert info.value.code == code


def test_fixture_files_are_read() -> None:
    for folder in ("cn-eidm-annual", "cn-eidm-temporary"):
        for path in sorted((FIXTURES / folder).glob("*.*")):
            if path.suffix in (".json", ".xml"):
                assert read(path.read_bytes(), path.name).filing_type.id == folder


LAYOUTS: dict[str, Any] = {
    "compact": lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":")),
    "spaced": lambda d: json.dumps(d, ensure_ascii=False),
    "indented": lambda d: json.dumps(d, ensure_ascii=False, indent=2),
    "tabs-crlf": lambda d: json.dumps(d, ensure_ascii=False, indent="\t").replace("\n", "\r\n"),
    # an escape the compact form writes otherwise
    "escaped": lambda d: json.dumps(d, ensure_ascii=False, indent=1).replace("a b", "a\\u0020b"),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_value_is_located_alike_in_every_layout(layout: str) -> None:
    """Compact text is located arithmetically, other layouts by scanning; both
    must give the line and column where each value's text starts."""
    doc = json.loads((FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json")
                     .read_text(encoding="utf-8"))
    doc["extra"] = {"空": {}, "list": [[], [1, "二"], {"k": None, "a b": "a b [1] {x: 2}"}]}
    dumps = LAYOUTS[layout]
    text = dumps(doc)
    filing = read_bytes(text.encode("utf-8"), "f.json", default_registry(), "cn-eidm-annual")
    assert filing._json is not None
    assert (filing._json._compact is not None) == (layout == "compact")
    lines = text.replace("\r\n", "\n").split("\n")
    for path in all_paths(doc):
        loc = filing.location(path)
        assert loc.exists, path
        assert loc.line is not None and loc.column is not None
        rest = lines[loc.line - 1][loc.column - 1:]
        node: Any = doc
        for key in path:
            node = node[key]
        written = dumps(node) if not isinstance(node, dict | list) else dumps(node)[:1]
        assert rest.startswith(written) or (layout == "escaped" and "\\u0020" in rest), (
            path, rest[:20])
    missing = filing.location(("extra", "list", 1, 5))
    present = filing.location(("extra", "list", 1))
    assert not missing.exists
    assert (missing.line, missing.column) == (present.line, present.column)


@pytest.mark.parametrize(("decoy", "from_end"), [
    ({}, True),
    ({"zz": {"violations": {"violations": [1]}}}, False),  # the name nested after it
    ({"zz": "violations"}, False),  # the name as a string value, found last
    ({"zz": ['"violations": {', {"k": '\\"violations\\": 1'}]}, True),  # inside strings
    ({"zz": 1.50}, True),  # an exact decimal, read by the exact parser
])
def test_late_members_are_located_as_by_scanning(decoy: dict[str, Any], from_end: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Members in the second half of the filing are found from the end of the
    text; whatever the members after them hold, every location is the
    scanner's, and a decoy that could mislead the search sends it back to the
    scanner."""
    doc = json.loads((FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json")
                     .read_text(encoding="utf-8"))
    doc["pollution"]["padding"] = ["x" * 80] * 200  # the bulk before the late members
    doc["violations"] = doc.pop("violations", {"status": "none"})
    doc["violations"]["note"] = '"violations": []'
    doc.update(decoy)
    text = json.dumps(doc, ensure_ascii=False, indent=2).replace("1.5\n", "1.50\n")
    data = text.encode("utf-8")
    paths = list(all_paths(doc))
    fast = read_bytes(data, "f.json", default_registry(), "cn-eidm-annual")
    assert fast._json is not None
    assert (fast._json._late_member("violations") is not None) == from_end
    found = [fast.location(p) for p in paths]
    monkeypatch.setattr(JsonLocator, "_late_member", lambda self, key: None)
    scanned = read_bytes(data, "f.json", default_registry(), "cn-eidm-annual")
    assert found == [scanned.location(p) for p in paths]


XML_COMPLIANT = (FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.xml").read_bytes()
XML_NS = b'xmlns="urn:esgcheck:cn-eidm-annual:1"'


@pytest.mark.parametrize(("xmlns", "found"), [
    (b'xmlns="urn:esgcheck:cn-eidm-annual:2"', "urn:esgcheck:cn-eidm-annual:2"),
    (b'xmlns="urn:example:annual"', "urn:example:annual"),
    (b"", "(none)"),
])
@pytest.mark.parametrize("forced", [None, "cn-eidm-annual"])
def test_a_known_root_in_another_namespace_is_refused_naming_both(
        xmlns: bytes, found: str, forced: str | None) -> None:
    """The root element a filing type knows, in a namespace it does not: the
    message names the root, the namespace found and the one expected, and the
    document is not read as that type, with --type or without."""
    data = XML_COMPLIANT.replace(XML_NS, xmlns)
    with pytest.raises(InputError) as info:
        read(data, "f.xml", forced=forced)
    assert info.value.code == "xml_namespace"
    en = info.value.describe("en")
    assert "<AnnualReport>" in en and found in en
    assert "expects <AnnualReport> in namespace urn:esgcheck:cn-eidm-annual:1" in en
    zh = info.value.describe("zh")
    assert "urn:esgcheck:cn-eidm-annual:1" in zh and "命名空间" in zh


def test_a_forced_type_refuses_xml_of_another_root() -> None:
    with pytest.raises(InputError) as info:
        read(XML_COMPLIANT, "f.xml", forced="green-finance")
    assert info.value.code == "xml_root_forced"
    en = info.value.describe("en")
    assert "<AnnualReport>" in en and "<GreenFinanceSubmission>" in en
    assert read(XML_COMPLIANT, "f.xml", forced="cn-eidm-annual").filing_type.id == (
        "cn-eidm-annual")


def test_xml_in_a_wrong_namespace_is_not_assessed_with_exit_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from esgcheck.cli import main

    path = tmp_path / "f.xml"
    path.write_bytes(XML_COMPLIANT.replace(XML_NS, b'xmlns="urn:example:annual"'))
    for extra in ([], ["--type", "cn-eidm-annual"]):
        result = CliRunner().invoke(main, ["check", "--lang", "en", "--format", "json",
                                           *extra, str(path)])
        assert result.exit_code == 2, result.output
        report = json.loads(result.stdout)
        (filing,) = report["filings"]
        assert filing["status"] == "unreadable" and filing["findings"] == []
        assert filing["error"]["code"] == "xml_namespace"
        assert "urn:example:annual" in filing["error"]["message"]["en"]
