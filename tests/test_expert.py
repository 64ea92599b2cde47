"""The expert-case suite: scenarios written from the legal texts, each with the
verdict the law gives stated before esgcheck was run, and a filing written by
hand for it (tests/expert/). How to read and add a case: tests/expert/README.md.

One pytest case per entry of tests/expert/cases.yaml, named by its id. A case
fails with the scenario, each expectation not met and every finding esgcheck
reported; the table itself is checked too (unknown keys, missing filings,
too few cases, a class without a case)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from esgcheck.checker import Checker, Options
from esgcheck.engine.findings import FilingReport, Finding

from .conftest import ROOT

EXPERT = ROOT / "tests" / "expert"
TABLE = EXPERT / "cases.yaml"
FILINGS = EXPERT / "filings"

REGIMES = {"cn-eidm", "cn-listed-sustainability", "eu-battery", "green-catalogue",
           "cn-fi-disclosure"}
# The classes the suite must cover, each with at least one case; `boundary`
# holds the other threshold and date cases.
REQUIRED_CLASSES = ("units", "not-generated", "placeholder-date", "scope", "art17-20",
                    "medium", "fossil", "heuristic", "baseline")
CLASSES = {*REQUIRED_CLASSES, "boundary"}
# figures recomputed from their parts; elements of a recommended standard
CLASSES |= {"arithmetic", "recommended"}
MIN_CASES = 40

CASE_KEYS = {"id", "regime", "class", "source", "scenario", "filing", "as_of", "type", "expect"}
CASE_REQUIRED = {"id", "regime", "class", "source", "scenario", "filing", "expect"}
EXPECT_KEYS = {"status", "grade", "section_grades", "findings", "no_findings"}
PATTERN_KEYS = {"rule", "rule_prefix", "outcome", "severity", "min_severity", "at", "at_prefix",
                "section", "mentions"}
STATUSES = {"checked", "unreadable", "not_assessed"}
OUTCOMES = {"breach", "not_assessable", "waived"}
SEVERITIES = ("info", "minor", "major", "critical")  # from least to most severe
GRADES = {"A", "B", "C", "D", "N"}


def load_table() -> list[dict[str, Any]]:
    data = yaml.safe_load(TABLE.read_text("utf-8"))
    assert isinstance(data, dict) and set(data) == {"cases"}, (
        f"{TABLE.name}: the file holds one key, 'cases', a list of cases")
    cases = data["cases"]
    assert isinstance(cases, list), f"{TABLE.name}: 'cases' is a list"
    return [c if isinstance(c, dict) else {"id": f"entry {i + 1}", "_raw": c}
            for i, c in enumerate(cases)]


CASES = load_table()


# -- checking the table ---------------------------------------------------------

def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def pattern_problems(where: str, pattern: Any) -> list[str]:
    if not isinstance(pattern, dict) or not pattern:
        return [f"{where}: a pattern is a non-empty mapping of {sorted(PATTERN_KEYS)}"]
    out = [f"{where}: unknown key '{k}' (known: {', '.join(sorted(PATTERN_KEYS))})"
           for k in pattern if k not in PATTERN_KEYS]
    for key, allowed in (("outcome", OUTCOMES), ("severity", set(SEVERITIES)),
                         ("min_severity", set(SEVERITIES))):
        if key in pattern:
            values = [pattern[key]] if key == "min_severity" else as_list(pattern[key])
            out += [f"{where}: {key} '{v}' is not one of {sorted(allowed)}"
                    for v in values if v not in allowed]
    for key in ("at", "at_prefix"):
        for value in as_list(pattern.get(key, [])):
            if not isinstance(value, str) or (value and not value.startswith("/")):
                out.append(f"{where}: {key} '{value}' is not a JSON Pointer ('' or '/...')")
    for key in ("rule", "rule_prefix", "section", "mentions"):
        for value in as_list(pattern.get(key, [])):
            if not isinstance(value, str) or not value:
                out.append(f"{where}: {key} is a non-empty text or a list of them")
    return out


def expect_problems(where: str, expect: Any) -> list[str]:
    if not isinstance(expect, dict) or not expect:
        return [f"{where}: expect is a non-empty mapping of {sorted(EXPECT_KEYS)}"]
    out = [f"{where}: expect has an unknown key '{k}' (known: {', '.join(sorted(EXPECT_KEYS))})"
           for k in expect if k not in EXPECT_KEYS]
    if "status" in expect and expect["status"] not in STATUSES:
        out.append(f"{where}: status '{expect['status']}' is not one of {sorted(STATUSES)}")
    out += [f"{where}: grade '{g}' is not one of {sorted(GRADES)}"
            for g in as_list(expect.get("grade", [])) if g not in GRADES]
    sections = expect.get("section_grades", {})
    if not isinstance(sections, dict):
        out.append(f"{where}: section_grades maps a section to a grade or a list of grades")
    else:
        out += [f"{where}: section_grades.{s}: '{g}' is not one of {sorted(GRADES)}"
                for s, gs in sections.items() for g in as_list(gs) if g not in GRADES]
    for key in ("findings", "no_findings"):
        patterns = expect.get(key, [])
        if not isinstance(patterns, list):
            out.append(f"{where}: {key} is a list of patterns")
            continue
        for i, pattern in enumerate(patterns):
            out += pattern_problems(f"{where}: {key}[{i}]", pattern)
    return out


def case_problems(case: dict[str, Any]) -> list[str]:
    """What is wrong with one entry of the table, as sentences."""
    where = str(case.get("id", "a case without an id"))
    if "_raw" in case:
        return [f"{where}: a case is a mapping, not {case['_raw']!r}"]
    out = [f"{where}: unknown key '{k}' (known: {', '.join(sorted(CASE_KEYS))})"
           for k in case if k not in CASE_KEYS]
    out += [f"{where}: '{k}' is missing" for k in sorted(CASE_REQUIRED - set(case))]
    regime = case.get("regime")
    if regime not in REGIMES:
        out.append(f"{where}: regime '{regime}' is not one of {sorted(REGIMES)}")
    elif not re.fullmatch(rf"EX-{regime.upper()}-\d{{3}}", where):
        out.append(f"{where}: the id is EX-{regime.upper()}-NNN for regime {regime}")
    if case.get("class") not in CLASSES:
        out.append(f"{where}: class '{case.get('class')}' is not one of {sorted(CLASSES)}")
    for key in ("source", "scenario"):
        if key in case and (not isinstance(case[key], str) or not case[key].strip()):
            out.append(f"{where}: '{key}' is a non-empty text")
    filing = case.get("filing")
    if not isinstance(filing, str) or not (FILINGS / filing).is_file():
        out.append(f"{where}: filing '{filing}' does not exist under {FILINGS.relative_to(ROOT)}")
    if "as_of" in case and not isinstance(case["as_of"], date):
        out.append(f"{where}: as_of '{case['as_of']}' is a date written YYYY-MM-DD")
    if "type" in case and not isinstance(case["type"], str):
        out.append(f"{where}: type is a filing type, e.g. cn-eidm-annual")
    if "expect" in case:
        out += expect_problems(where, case["expect"])
    return out


def test_the_table_is_well_formed() -> None:
    problems = [p for case in CASES for p in case_problems(case)]
    ids = [str(c.get("id")) for c in CASES]
    problems += [f"{i}: the id is used more than once" for i in sorted(set(ids))
                 if ids.count(i) > 1]
    if len(CASES) < MIN_CASES:
        problems.append(f"{len(CASES)} cases; the suite holds at least {MIN_CASES}")
    classes = {c.get("class") for c in CASES}
    problems += [f"no case of class '{c}'" for c in REQUIRED_CLASSES if c not in classes]
    baselines = {c.get("regime") for c in CASES if c.get("class") == "baseline"}
    problems += [f"no baseline case for regime {r}" for r in sorted(REGIMES - baselines)]
    used = {FILINGS / str(c.get("filing")) for c in CASES}
    problems += [f"{p.relative_to(ROOT)} belongs to no case" for p in sorted(FILINGS.rglob("*"))
                 if p.is_file() and p not in used]
    assert not problems, f"{TABLE.relative_to(ROOT)} is malformed:\n  " + "\n  ".join(problems)


def test_a_malformed_entry_is_reported() -> None:
    bad = {"id": "EX-CN-EIDM-999", "regime": "cn-eidm", "class": "unit", "source": "Art. 17",
           "scenario": "late", "filing": "cn-eidm/no-such-filing.json", "note": "x",
           "expect": {"grade": "E", "verdict": "breach",
                      "findings": [{"at": "disclosed", "severty": "major"}]}}
    problems = "\n".join(case_problems(bad))
    for words in ("unknown key 'note'", "class 'unit'", "no-such-filing.json' does not exist",
                  "grade 'E'", "unknown key 'verdict'", "unknown key 'severty'",
                  "at 'disclosed' is not a JSON Pointer"):
        assert words in problems
    other_regime = {**bad, "regime": "eu-battery"}
    assert "the id is EX-EU-BATTERY-NNN" in "\n".join(case_problems(other_regime))
    assert "'expect' is missing" in "\n".join(
        case_problems({k: v for k, v in bad.items() if k != "expect"}))


# -- checking a case -------------------------------------------------------------

@dataclass(frozen=True)
class Pattern:
    """A set of findings, described by what an auditor cares about."""

    spec: dict[str, Any]

    def matches(self, f: Finding) -> bool:
        s = self.spec
        pointer = f.location.pointer
        checks = (
            ("rule", lambda v: f.rule_id == v),
            ("rule_prefix", lambda v: f.rule_id.startswith(v)),
            ("outcome", lambda v: f.outcome == v),
            ("severity", lambda v: f.severity == v),
            ("at", lambda v: pointer == v),
            ("at_prefix", lambda v: pointer == v or pointer.startswith(v.rstrip("/") + "/")),
            ("section", lambda v: f.section == v),
            ("mentions", lambda v: v in finding_text(f)),
        )
        if not all(any(test(v) for v in as_list(s[key])) for key, test in checks if key in s):
            return False
        if "min_severity" in s:
            return SEVERITIES.index(f.severity) >= SEVERITIES.index(s["min_severity"])
        return True

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}: {v}" for k, v in self.spec.items()) + "}"


def finding_text(f: Finding) -> str:
    """Everything a finding says in words: its messages and the values it read."""
    parts = [f.message.zh, f.message.en]
    for e in f.evidence:
        parts.append(e.display)
        if e.unit:
            parts.append(e.unit)
        if e.problem is not None:
            parts += [e.problem.zh, e.problem.en]
    return "\n".join(p for p in parts if p)


def unmet(expect: dict[str, Any], report: FilingReport) -> list[str]:
    """The expectations ``report`` does not meet, as sentences."""
    out = []
    status = expect.get("status", "checked")
    if report.status != status:
        out.append(f"status is {status}, but the filing is {report.status}"
                   + (f" ({report.error.message.en})" if report.error else ""))
    if "grade" in expect and report.grade not in as_list(expect["grade"]):
        out.append(f"grade is one of {as_list(expect['grade'])}, got {report.grade}")
    for section, grades in expect.get("section_grades", {}).items():
        got = report.section_grades.get(section)
        if got not in as_list(grades):
            out.append(f"section '{section}' is graded one of {as_list(grades)}, got {got}")
    for spec in expect.get("findings", []):
        if not any(Pattern(spec).matches(f) for f in report.findings):
            out.append(f"a finding matching {Pattern(spec)}: none reported")
    for spec in expect.get("no_findings", []):
        hits = [f for f in report.findings if Pattern(spec).matches(f)]
        if hits:
            out.append(f"no finding matching {Pattern(spec)}: reported "
                       + "; ".join(f"{f.rule_id} at '{f.location.pointer}'" for f in hits))
    return out


def describe(report: FilingReport) -> str:
    lines = [f"reported: status {report.status}, grade {report.grade}, "
             f"section grades {report.section_grades or '—'}"]
    lines += [f"  {f.rule_id:<22} {f.outcome:<15} {f.severity:<9} '{f.location.pointer}'"
              f"  [{f.section}] {f.message.en}" for f in report.findings]
    if not report.findings:
        lines.append("  (no findings)")
    return "\n".join(lines)


def fake_finding(pointer: str, severity: str = "minor", **kw: Any) -> Any:
    """A stand-in for a finding, with the fields patterns read."""
    return SimpleNamespace(
        rule_id=kw.get("rule_id", "CN-EIDM-PMT-003"), outcome=kw.get("outcome", "breach"),
        severity=severity, section=kw.get("section", "permits"),
        location=SimpleNamespace(pointer=pointer),
        message=SimpleNamespace(zh="浓度 8 furlongs", en="8 furlongs"), evidence=[])


def test_patterns_match_as_the_table_says() -> None:
    f = fake_finding("/pollution/outlets/1/pollutants/0/concentration", "major")
    assert Pattern({"at_prefix": "/pollution/outlets/1"}).matches(f)
    assert Pattern({"at_prefix": "/pollution/outlets/1/"}).matches(f)
    assert not Pattern({"at_prefix": "/pollution/outlets/10"}).matches(
        fake_finding("/pollution/outlets/1/code"))
    assert not Pattern({"at_prefix": "/pollution/outlets/1"}).matches(
        fake_finding("/pollution/outlets/10/code"))
    assert Pattern({"at_prefix": ""}).matches(f) and Pattern({"at": ""}).matches(fake_finding(""))
    assert not Pattern({"at": "/pollution/outlets/1"}).matches(f)
    assert Pattern({"min_severity": "major"}).matches(f)
    assert Pattern({"min_severity": "minor"}).matches(f)
    assert not Pattern({"min_severity": "critical"}).matches(f)
    assert Pattern({"severity": ["info", "major"], "outcome": "breach"}).matches(f)
    assert not Pattern({"severity": "major", "outcome": "not_assessable"}).matches(f)
    assert Pattern({"rule_prefix": ["BATT-", "CN-EIDM-PMT"], "section": "permits"}).matches(f)
    assert not Pattern({"rule": "CN-EIDM-PMT"}).matches(f)
    assert Pattern({"mentions": "furlongs"}).matches(f)
    assert not Pattern({"mentions": "ppm"}).matches(f)


@pytest.mark.parametrize("case", CASES, ids=[str(c.get("id")) for c in CASES])
def test_expert_case(checker: Checker, case: dict[str, Any]) -> None:
    problems = case_problems(case)
    assert not problems, "the case is malformed:\n  " + "\n  ".join(problems)
    path: Path = FILINGS / case["filing"]
    options = Options(as_of=case.get("as_of"), filing_type=case.get("type"))
    report = checker.check_file(path, str(path.relative_to(ROOT)), options)
    missed = unmet(case["expect"], report)
    assert not missed, (
        f"{case['id']} ({case['class']}): {' '.join(case['scenario'].split())}\n"
        f"source: {' '.join(case['source'].split())}\n"
        f"filing: {path.relative_to(ROOT)}\n"
        "expected, not met:\n  - " + "\n  - ".join(missed) + "\n" + describe(report))
