"""SARIF and JUnit output: valid against their schemas, faithful to the report,
stable across runs."""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from email.message import Message
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import esgcheck
from esgcheck.checker import Checker
from esgcheck.engine.findings import (
    FilingReport,
    Finding,
    Report,
    WaiverApplied,
    WaiverStatus,
    WaiversUsed,
)
from esgcheck.report import RenderOptions, junit, renderer, sarif

from .conftest import FIXTURES
from .external import ExternalError, junit_xsd
from .sarif_schema import check_sarif, sarif_errors

ANNUAL = FIXTURES / "cn-eidm-annual"
BATTERY = FIXTURES / "eu-battery-cf"
TEMPORARY = FIXTURES / "cn-eidm-temporary"
LATE = "04-late-annual-report"
LEVEL_OF = {"critical": "error", "major": "error", "minor": "warning", "info": "none"}
WAIVER = WaiverApplied(id="W-7", justification="deadline extended by the bureau's notice",
                       approver="Li Wei", ticket="ESG-42", expires=date(2024, 12, 31),
                       file="waivers.yaml", line=3)


# -- reports, built once

@pytest.fixture(scope="module")
def battery(checker: Checker) -> Report:
    return checker.check_paths([BATTERY])


@pytest.fixture(scope="module")
def mixed(checker: Checker, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Two filing types, a compliant filing, a breach, a not-assessable finding
    and a file that is not JSON."""
    bad = tmp_path_factory.mktemp("mixed") / "bad input.json"
    bad.write_text('{"filing_type": ', encoding="utf-8")
    return checker.check_paths([TEMPORARY / "01-penalty-on-time.json",
                                ANNUAL / "01-compliant-key-discharger.json",
                                ANNUAL / f"{LATE}.json", ANNUAL / "13-receipt-date-missing.json",
                                bad])


def junit_schema() -> etree.XMLSchema:
    try:
        path = junit_xsd()
    except ExternalError as exc:
        pytest.fail(f"cannot get the JUnit schema junit-10.xsd: {exc}", pytrace=False)
    return etree.XMLSchema(etree.parse(str(path)))


# -- helpers

def sarif_run(report: Report, lang: str = "en", explain: bool = False,
              **options: Any) -> dict[str, Any]:
    log = check_sarif(sarif.render(report, RenderOptions(lang=lang, explain=explain,
                                                         **options)))
    assert len(log["runs"]) == 1
    run: dict[str, Any] = log["runs"][0]
    return run


def invocation_of(report: Report) -> dict[str, Any]:
    invocation: dict[str, Any] = sarif_run(report)["invocations"][0]
    return invocation


def junit_root(report: Report, lang: str = "en") -> etree._Element:
    return etree.fromstring(junit.render(report, RenderOptions(lang=lang)).encode("utf-8"))


def filing(report: Report, name: str) -> FilingReport:
    (found,) = [r for r in report.filings if r.file.endswith(name)]
    return found


def findings(report: Report) -> list[Finding]:
    return [f for r in report.filings for f in r.findings]


def result_for(run: dict[str, Any], report: Report, name: str, rule_id: str
               ) -> dict[str, Any]:
    """The result of ``rule_id`` on the filing ending with ``name``; results come
    in report order."""
    pairs: list[tuple[dict[str, Any], Finding]] = list(
        zip(run["results"], findings(report), strict=True))
    (found,) = [res for res, f in pairs
                if f.location.file.endswith(name) and f.rule_id == rule_id]
    return found


def suite(root: etree._Element, name: str) -> etree._Element:
    (found,) = [s for s in root.iter("testsuite") if s.get("name", "").endswith(name)]
    return found


def case(suite_el: etree._Element, rule_id: str) -> etree._Element:
    (found,) = [c for c in suite_el.iter("testcase")
                if c.get("name", "").startswith(f"{rule_id}:")]
    return found


def waived(report: Report, name: str, rule_id: str) -> Report:
    copy = report.model_copy(deep=True)
    target = filing(copy, name)
    target.findings = [
        f.model_copy(update={"outcome": "waived", "waiver": WAIVER})
        if f.rule_id == rule_id else f for f in target.findings]
    return copy


# -- SARIF

@pytest.mark.parametrize("which", ["annual_samples", "battery", "mixed"])
def test_sarif_validates_against_the_official_schema(
        which: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(which)
    for lang in ("en", "zh"):
        for code in (None, 0, 1, 2):
            options = RenderOptions(lang=lang, explain=True, exit_code=code,
                                    start_time="2024-05-01T08:00:00Z",
                                    end_time="2024-05-01T08:00:03Z")
            assert sarif_errors(json.loads(sarif.render(report, options))) == []
        log = check_sarif(sarif.render(report, RenderOptions(lang=lang, explain=True)))
        assert log["version"] == "2.1.0"
        assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
        assert len(log["runs"]) == 1
        assert len(log["runs"][0]["results"]) == len(findings(report))


def test_renderers_are_found_by_format_name(annual_samples: Report) -> None:
    options = RenderOptions()
    assert renderer("sarif")(annual_samples, options) == sarif.render(annual_samples, options)
    assert renderer("junit")(annual_samples, options) == junit.render(annual_samples, options)


def test_sarif_levels_follow_severity(annual_samples: Report) -> None:
    run = sarif_run(annual_samples)
    late = result_for(run, annual_samples, f"{LATE}.json", "CN-EIDM-ANN-002")
    assert (late["level"], late["kind"]) == ("error", "fail")
    assert late["properties"]["severity"] == "major"
    assert late["properties"]["outcome"] == "breach"
    for res, f in zip(run["results"], findings(annual_samples), strict=True):
        assert res["properties"]["severity"] == f.severity
        if f.outcome == "not_assessable":
            assert (res["kind"], res["level"]) == ("review", "none")
        elif f.severity == "info":
            assert (res["kind"], res["level"]) == ("informational", "none")
        else:
            assert (res["kind"], res["level"]) == ("fail", LEVEL_OF[f.severity])
    kinds = {(res["kind"], res["level"]) for res in run["results"]}
    assert kinds == {("fail", "error"), ("fail", "warning"), ("informational", "none"),
                     ("review", "none")}
    for rule in run["tool"]["driver"]["rules"]:
        severity = rule["properties"]["severity"]
        assert rule["defaultConfiguration"]["level"] == LEVEL_OF[severity]


@pytest.mark.parametrize("which", ["annual_samples", "battery", "mixed"])
def test_every_result_names_its_rule_by_id_and_index(
        which: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(which)
    run = sarif_run(report)
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    assert {info.id for info in report.rules} <= set(ids)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_rules_only_findings_name_are_listed(battery: Report) -> None:
    run = sarif_run(battery)
    assert "SCHEMA.format" not in {info.id for info in battery.rules}
    (rule,) = [r for r in run["tool"]["driver"]["rules"] if r["id"] == "SCHEMA.format"]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert "eu-battery-cf" in rule["fullDescription"]["text"]


def test_rule_metadata_carries_title_help_and_citation(annual_samples: Report) -> None:
    run = sarif_run(annual_samples)
    info = next(r for r in annual_samples.rules if r.id == "CN-EIDM-ANN-002")
    (rule,) = [r for r in run["tool"]["driver"]["rules"] if r["id"] == info.id]
    assert rule["shortDescription"]["text"] == info.title.en
    assert rule["fullDescription"]["text"].endswith(f"{info.citation.text.en})")
    assert info.help is not None
    assert rule["help"]["text"].startswith(info.help.en)
    assert info.citation.text.en in rule["help"]["text"]
    assert rule["helpUri"] == info.url
    assert rule["properties"]["citation"] == info.citation.text.en
    assert rule["properties"]["article"] == info.citation.article
    assert rule["properties"]["tags"][:2] == [info.rulebase, info.section]


def test_regions_carry_lines_for_json_and_xml(annual_samples: Report) -> None:
    run = sarif_run(annual_samples)
    seen = set()
    for res, f in zip(run["results"], findings(annual_samples), strict=True):
        (where,) = res["locations"]
        physical = where["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == f.location.file
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        region = physical["region"]
        assert region["startLine"] == f.location.line
        names = [loc["fullyQualifiedName"] for loc in where["logicalLocations"]]
        assert names[0] == f.location.pointer
        if f.location.file.endswith(".xml"):
            assert "startColumn" not in region
            assert names[1] == f.location.xpath
        else:
            assert region["startColumn"] == f.location.column
        assert res["message"]["text"].endswith(f"{f.citation.text.en})")
        seen.add(f.location.file.rsplit(".", 1)[1])
    assert seen == {"json", "xml"}


def test_fingerprints_survive_reruns_and_line_shifts(checker: Checker, tmp_path: Path) -> None:
    source = ANNUAL / f"{LATE}.json"
    shifted = tmp_path / source.name
    shifted.write_text("\n\n\n" + source.read_text(encoding="utf-8"), encoding="utf-8")

    def fingerprints(path: Path) -> dict[str, tuple[str, int]]:
        run = sarif_run(checker.check_paths([path]))
        return {res["ruleId"]: (res["partialFingerprints"]["esgcheck/v1"],
                                res["locations"][0]["physicalLocation"]["region"]["startLine"])
                for res in run["results"]}

    first, again, moved = fingerprints(source), fingerprints(source), fingerprints(shifted)
    assert first == again
    assert set(first) == set(moved) and first
    for rule_id, (print_, line) in first.items():
        assert moved[rule_id] == (print_, line + 3)


def test_rendering_is_deterministic(checker: Checker) -> None:
    paths = [ANNUAL / f"{LATE}.json", ANNUAL / f"{LATE}.xml", BATTERY / "02-per-capacity-unit.xml"]
    one, two = checker.check_paths(paths), checker.check_paths(paths)
    for lang in ("en", "zh"):
        options = RenderOptions(lang=lang, explain=True)
        assert sarif.render(one, options) == sarif.render(two, options)
        assert junit.render(one, options) == junit.render(two, options)
    text = sarif.render(one, RenderOptions())
    assert "startTimeUtc" not in text and "endTimeUtc" not in text
    assert "timestamp" not in junit.render(one, RenderOptions())


def test_waived_finding_is_a_suppressed_result(annual_samples: Report) -> None:
    report = waived(annual_samples, f"{LATE}.json", "CN-EIDM-ANN-002")
    run = sarif_run(report)
    res = result_for(run, report, f"{LATE}.json", "CN-EIDM-ANN-002")
    (suppression,) = res["suppressions"]
    assert suppression["kind"] == "external"
    assert suppression["status"] == "accepted"
    assert suppression["justification"] == WAIVER.justification
    assert suppression["properties"] == {"waiver": "W-7", "approver": "Li Wei",
                                         "expires": "2024-12-31", "ticket": "ESG-42"}
    assert res["properties"]["outcome"] == "waived"
    assert res["properties"]["severity"] == "major"
    # a waived breach is still a failure, but one that was accepted: level note,
    # so that a viewer that ignores suppressions does not fail a pull request on it
    assert (res["kind"], res["level"]) == ("fail", "note")
    assert sum("suppressions" in r for r in run["results"]) == 1
    assert not any("suppressions" in r for r in sarif_run(annual_samples)["results"])


def test_expired_and_unused_waivers_are_configuration_warnings(annual_samples: Report) -> None:
    entries = [WaiverStatus(id=f"W-{status}", rule="CN-EIDM-ANN-002", filings="elsewhere.json",
                            justification="j", approver="a", expires=date(2024, 1, 1),
                            line=n, status=status, matched=1)
               for n, status in enumerate(("applied", "expired", "unused"), start=1)]
    report = annual_samples.model_copy(update={"waivers": WaiversUsed(
        file="waivers.yaml", sha256="0" * 64, today=date(2024, 6, 1), entries=entries)})
    notes = sarif_run(report)["invocations"][0]["toolConfigurationNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["waiver.expired", "waiver.unused"]
    assert {n["level"] for n in notes} == {"warning"}
    assert "W-expired" in notes[0]["message"]["text"]
    assert notes[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_chinese_and_english_differ(annual_samples: Report) -> None:
    zh, en = sarif_run(annual_samples, "zh"), sarif_run(annual_samples, "en")
    assert (zh["language"], en["language"]) == ("zh-CN", "en-US")
    zh_late = result_for(zh, annual_samples, f"{LATE}.json", "CN-EIDM-ANN-002")
    en_late = result_for(en, annual_samples, f"{LATE}.json", "CN-EIDM-ANN-002")
    assert zh_late["message"]["text"] != en_late["message"]["text"]
    assert "依据" in zh_late["message"]["text"]
    assert zh_late["partialFingerprints"] == en_late["partialFingerprints"]
    zh_titles = [r["shortDescription"]["text"] for r in zh["tool"]["driver"]["rules"]]
    en_titles = [r["shortDescription"]["text"] for r in en["tool"]["driver"]["rules"]]
    assert all(a != b for a, b in zip(zh_titles, en_titles, strict=True))


def test_unreadable_file_is_an_execution_notification(mixed: Report,
                                                     annual_samples: Report) -> None:
    bad = filing(mixed, "bad input.json")
    assert bad.status == "unreadable" and bad.error is not None
    invocation = sarif_run(mixed)["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["descriptor"]["id"] == bad.error.code
    assert note["message"]["text"] == f"{bad.file}: {bad.error.message.en}"
    uri = note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("/bad%20input.json")
    assert invocation_of(annual_samples) == {"executionSuccessful": True}


def test_explain_adds_the_derivation(annual_samples: Report) -> None:
    late = next(f for f in findings(annual_samples)
                if f.location.file.endswith(f"{LATE}.json") and f.rule_id == "CN-EIDM-ANN-002")
    assert late.derivation
    explained = result_for(sarif_run(annual_samples, explain=True), annual_samples, f"{LATE}.json",
                           "CN-EIDM-ANN-002")
    assert explained["properties"]["derivation"] == [
        node.model_dump(mode="json") for node in late.derivation]
    assert late.derivation[0].rules[0] in explained["message"]["markdown"]
    plain = result_for(sarif_run(annual_samples), annual_samples, f"{LATE}.json", "CN-EIDM-ANN-002")
    assert "derivation" not in plain["properties"]
    assert "markdown" not in plain["message"]


def test_info_findings_are_informational_and_raise_no_alert(annual_samples: Report) -> None:
    run = sarif_run(annual_samples)
    pairs = list(zip(run["results"], findings(annual_samples), strict=True))
    info = [(res, f) for res, f in pairs if f.severity == "info" and f.outcome == "breach"]
    assert info, "the samples hold info findings (the Art. 16 'not generated' statements)"
    for res, _ in info:
        assert (res["kind"], res["level"]) == ("informational", "none")
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for _, f in info:
        assert rules[f.rule_id]["defaultConfiguration"]["level"] == "none"
    # only breaches at a severity above info fail, by their severity
    failing = {res["level"] for res, f in pairs if res["kind"] == "fail"}
    assert failing == {"error", "warning"}


def test_invocation_carries_the_exit_code_and_whether_the_run_was_usable(
        annual_samples: Report, mixed: Report) -> None:
    for code, usable in ((0, True), (1, True), (2, False)):
        (invocation,) = sarif_run(annual_samples, exit_code=code)["invocations"]
        assert (invocation["exitCode"], invocation["executionSuccessful"]) == (code, usable)
    assert "exitCode" not in invocation_of(annual_samples)  # not known: not written
    (invocation,) = sarif_run(mixed, exit_code=2)["invocations"]
    assert invocation["executionSuccessful"] is False


def test_times_are_written_only_when_asked_for(annual_samples: Report) -> None:
    plain = sarif.render(annual_samples, RenderOptions(exit_code=1))
    assert plain == sarif.render(annual_samples, RenderOptions(exit_code=1))
    assert "startTimeUtc" not in plain and "endTimeUtc" not in plain
    (invocation,) = sarif_run(annual_samples, start_time="2024-05-01T08:00:00Z",
                              end_time="2024-05-01T08:00:03Z")["invocations"]
    assert invocation["startTimeUtc"] == "2024-05-01T08:00:00Z"
    assert invocation["endTimeUtc"] == "2024-05-01T08:00:03Z"
    with pytest.raises(AssertionError, match="startTimeUtc"):  # not SARIF's form of a time
        sarif.render(annual_samples, RenderOptions(start_time="1 May 2024"))


def test_a_filing_not_assessed_is_a_notification_naming_it_in_the_chosen_language(
        mixed: Report) -> None:
    report = mixed.model_copy(deep=True)
    target = filing(report, f"{LATE}.json")
    target.status, target.error, target.findings = "not_assessed", None, []
    for lang, words in (("en", "not assessed"), ("zh", "未评估")):
        (invocation,) = sarif_run(report, lang, exit_code=2)["invocations"]
        notes = [n for n in invocation["toolExecutionNotifications"]
                 if n["descriptor"]["id"] == "not_assessed"]
        (note,) = notes
        assert note["level"] == "error"
        assert note["message"]["text"].startswith(target.file)
        assert words in note["message"]["text"]
        uri = note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.endswith(f"{LATE}.json")
        assert invocation["executionSuccessful"] is False


def test_driver_names_the_version_and_the_address(annual_samples: Report) -> None:
    driver = sarif_run(annual_samples)["tool"]["driver"]
    assert driver["name"] == "esgcheck"
    assert driver["version"] == driver["semanticVersion"] == esgcheck.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", driver["semanticVersion"])
    expected = sarif.information_uri(metadata.metadata("esgcheck"))
    assert driver.get("informationUri") == expected


def test_information_uri_is_the_package_s_own_address() -> None:
    meta = Message()
    meta["Name"] = "esgcheck"
    meta["Project-URL"] = "Repository, https://example.org/esgcheck.git"
    meta["Project-URL"] = "Homepage, https://example.org/esgcheck"
    assert sarif.information_uri(meta) == "https://example.org/esgcheck"  # type: ignore[arg-type]
    del meta["Project-URL"]
    meta["Project-URL"] = "Documentation, https://example.org/esgcheck/docs"
    assert sarif.information_uri(meta) == "https://example.org/esgcheck/docs"  # type: ignore[arg-type]
    del meta["Project-URL"]
    meta["Project-URL"] = "Homepage, not an address"
    assert sarif.information_uri(meta) is None  # type: ignore[arg-type]
    assert sarif.information_uri(None) is None


@pytest.mark.parametrize("which", ["annual_samples", "battery", "mixed"])
def test_every_rule_has_descriptions_and_help_in_the_chosen_language(
        which: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(which)
    runs = {lang: sarif_run(report, lang) for lang in ("en", "zh")}
    infos = {info.id: info for info in report.rules}
    for lang, run in runs.items():
        basis = "依据" if lang == "zh" else "Basis"
        for rule in run["tool"]["driver"]["rules"]:
            assert rule["shortDescription"]["text"].strip()
            assert rule["fullDescription"]["text"].startswith(rule["shortDescription"]["text"])
            assert rule["help"]["text"].strip() and rule["help"]["markdown"].strip()
            assert basis in rule["help"]["markdown"]
            info = infos.get(rule["id"])
            if info is not None:
                cited = info.citation.text.get(lang)
                assert cited in rule["fullDescription"]["text"]
                assert cited in rule["help"]["text"]
                if info.help is not None:  # what the rule checks, in the chosen language
                    assert rule["help"]["text"].startswith(info.help.get(lang))
    en_help = [r["help"]["text"] for r in runs["en"]["tool"]["driver"]["rules"]]
    zh_help = [r["help"]["text"] for r in runs["zh"]["tool"]["driver"]["rules"]]
    assert all(a != b for a, b in zip(en_help, zh_help, strict=True))


def test_every_sarif_the_tests_render_is_validated(annual_samples: Report) -> None:
    """conftest wraps the renderer for the whole session; no test module can
    bind the unwrapped function before that."""
    assert getattr(sarif.render, "validates_sarif", False)
    text = sarif.render(annual_samples, RenderOptions())
    log = json.loads(text)
    log["runs"][0]["results"][0].update(kind="informational", level="error")
    with pytest.raises(AssertionError, match=r"3\.27\.10"):
        check_sarif(json.dumps(log))
    del log["runs"][0]["tool"]
    with pytest.raises(AssertionError, match="tool"):
        check_sarif(json.dumps(log))
    for source in sorted(Path(__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "esgcheck.report.sarif":
                names = {alias.name for alias in node.names}
                assert "render" not in names and "*" not in names, (
                    f"{source.name}: call sarif.render so that its output is validated")


# -- JUnit

@pytest.mark.parametrize("which", ["annual_samples", "battery", "mixed"])
def test_junit_validates_against_junit_10_xsd(which: str, request: pytest.FixtureRequest
                                              ) -> None:
    report: Report = request.getfixturevalue(which)
    schema = junit_schema()
    for lang in ("en", "zh"):
        text = junit.render(report, RenderOptions(lang=lang))
        assert text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<testsuites ")
        root = etree.fromstring(text.encode("utf-8"))
        assert schema.validate(root), schema.error_log
        assert len(root.findall("testsuite")) == len(report.filings)


@pytest.mark.parametrize("which", ["annual_samples", "battery", "mixed"])
def test_junit_counts_match_the_cases(which: str, request: pytest.FixtureRequest) -> None:
    root = junit_root(request.getfixturevalue(which))
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for s in root.iter("testsuite"):
        cases = s.findall("testcase")
        counted = {"tests": len(cases),
                   "failures": sum(c.find("failure") is not None for c in cases),
                   "errors": sum(c.find("error") is not None for c in cases),
                   "skipped": sum(c.find("skipped") is not None for c in cases)}
        assert {k: int(s.get(k, "-1")) for k in counted} == counted
        for k in totals:
            totals[k] += counted[k]
    assert {k: int(root.get(k, "-1")) for k in totals} == totals


def test_breach_fails_with_location_and_citation(annual_samples: Report) -> None:
    root = junit_root(annual_samples)
    for name in (f"{LATE}.json", f"{LATE}.xml"):
        f = next(x for x in filing(annual_samples, name).findings if x.rule_id == "CN-EIDM-ANN-002")
        loc = f.location
        el = case(suite(root, name), "CN-EIDM-ANN-002")
        assert el.get("name") == f"CN-EIDM-ANN-002: {f.title.en}"
        classname = el.get("classname", "")
        assert classname.startswith("cn-eidm.")
        assert classname.endswith(".cn-eidm-annual." + name.replace(".", "_"))
        (failure,) = el.findall("failure")
        assert failure.get("type") == "major"
        assert failure.get("message") == f.message.en
        text = failure.text or ""
        place = f"{loc.file}:{loc.line}" + (f":{loc.column}" if loc.column else "")
        assert place in text
        assert f.citation.text.en in text
        assert (loc.xpath or loc.pointer) in text


def test_compliant_filing_passes_every_rule(mixed: Report) -> None:
    clean = filing(mixed, "01-penalty-on-time.json")
    assert clean.findings == []
    applicable = [r for r in mixed.rules if r.applies_to(clean)]
    assert len(applicable) == clean.rules_evaluated > 0
    s = suite(junit_root(mixed), "01-penalty-on-time.json")
    assert [c.get("name") for c in s.iter("testcase")] == [
        f"{r.id}: {r.title.en}" for r in applicable]
    assert (s.get("failures"), s.get("errors"), s.get("skipped")) == ("0", "0", "0")
    assert all(len(c) == 0 for c in s.iter("testcase"))


def failures_of(report: Report, file: str, fail_on: str) -> list[tuple[str, str | None]]:
    root = etree.fromstring(junit.render(report, RenderOptions(fail_on=fail_on)).encode())
    return [(c.get("name", "").split(":")[0], failure.get("type"))
            for c in suite(root, file).iter("testcase") for failure in c.findall("failure")]


def test_breaches_below_fail_on_pass_as_observations(mixed: Report) -> None:
    report = filing(mixed, "01-compliant-key-discharger.json")
    assert report.grade == "A"
    s = suite(junit_root(mixed), "01-compliant-key-discharger.json")
    assert s.get("tests") == str(report.rules_evaluated)
    assert s.get("failures") == "0"
    out = case(s, "CN-EIDM-ANN-016").findtext("system-out") or ""
    assert "Art. 16" in out
    file = "01-compliant-key-discharger.json"
    assert failures_of(mixed, file, "major") == []
    assert failures_of(mixed, file, "info") == [("CN-EIDM-ANN-016", "info")]
    late = "04-late-annual-report.json"
    assert failures_of(mixed, late, "major") == [("CN-EIDM-ANN-002", "major")]
    assert failures_of(mixed, late, "never") == []


def test_not_assessable_rule_is_skipped(mixed: Report) -> None:
    s = suite(junit_root(mixed), "13-receipt-date-missing.json")
    assert s.get("skipped") == "2" and s.get("failures") == "0"
    (skipped,) = case(s, "CN-EIDM-TMP-002").findall("skipped")
    assert skipped.get("message", "").startswith("not assessable: ")
    assert "listed_since" in (skipped.text or "")


def test_unreadable_file_is_an_error_case(mixed: Report) -> None:
    bad = filing(mixed, "bad input.json")
    assert bad.error is not None
    s = suite(junit_root(mixed), "bad input.json")
    (only,) = s.findall("testcase")
    (error,) = only.findall("error")
    assert error.get("type") == bad.error.code
    assert error.get("message") == bad.error.message.en
    assert (s.get("tests"), s.get("errors")) == ("1", "1")


def test_waived_finding_passes_with_a_note(annual_samples: Report) -> None:
    report = waived(annual_samples, f"{LATE}.json", "CN-EIDM-ANN-002")
    el = case(suite(junit_root(report), f"{LATE}.json"), "CN-EIDM-ANN-002")
    assert el.find("failure") is None
    out = el.findtext("system-out") or ""
    assert WAIVER.justification in out and "W-7" in out and "ESG-42" in out


def test_junit_speaks_the_chosen_language(annual_samples: Report) -> None:
    rule = next(r for r in annual_samples.rules if r.id == "CN-EIDM-ANN-002")
    zh = case(suite(junit_root(annual_samples, "zh"), f"{LATE}.json"), rule.id)
    en = case(suite(junit_root(annual_samples, "en"), f"{LATE}.json"), rule.id)
    assert zh.get("name") == f"{rule.id}: {rule.title.zh}"
    assert en.get("name") == f"{rule.id}: {rule.title.en}"
    assert "依据" in (zh.findtext("failure") or "")


def test_junit_survives_control_characters(annual_samples: Report) -> None:
    report = annual_samples.model_copy(deep=True)
    f = report.filings[0].findings[0]
    f.message = f.message.model_copy(update={"en": "bell \x07 and nul \x00"})
    root = junit_root(report)
    assert "bell \\x07 and nul \\x00" in etree.tostring(root, encoding="unicode")


def test_a_finding_on_a_derived_fact_names_the_values_it_came_from(annual_samples: Report) -> None:
    run = sarif_run(annual_samples)
    late = next(r for r in run["results"] if r["ruleId"] == "CN-EIDM-ANN-002")
    related = {loc["logicalLocations"][0]["fullyQualifiedName"]: loc
               for loc in late["relatedLocations"]}
    # the deadline is derived from the reporting period; the fine brought the filer in scope
    assert {"/submission/date", "/reporting_period/end",
            "/discloser/art8_events/0/fine_amount"} <= set(related)
    end = related["/reporting_period/end"]
    assert end["message"]["text"] == "/reporting_period/end = 2023-12-31"
    assert end["physicalLocation"]["region"]["startLine"] == 5
    assert sorted(loc["id"] for loc in late["relatedLocations"]) == list(
        range(1, len(related) + 1))
