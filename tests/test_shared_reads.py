"""A value read once and shared by every rule of an instance stays what the
filing says: ``x ?? d`` in one rule gives that rule ``d`` for an absent ``x``
and leaves ``x`` absent for the rules after it. (The generated code reads a
member or a fact once for all rules; a ``??`` that wrote its default into that
shared name made the next rule read the default as if the filing gave it, and
a not-assessable verdict became a pass.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from esgcheck.checker import Checker

DEMO = Path(__file__).resolve().parent / "rulebases" / "demo"

# Appended to the demo's battery rules: each "first" rule defaults a value with
# ??, the "then" rule after it reads the same value on its own.
EXTRA = """
  - id: DEMO-SHARED-MEMBER-1
    kind: check
    severity: minor
    title: {zh: 默认等级, en: Class defaulted}
    citation: {instrument: demo-battery, article: "2"}
    assert: "(performance_class ?? 'A') == 'A'"
    at: performance_class
    message: {zh: 等级不是 A。, en: The class is not A.}
    notes: Test only.

  - id: DEMO-SHARED-MEMBER-2
    kind: check
    severity: minor
    title: {zh: 等级为 A, en: Class is A}
    citation: {instrument: demo-battery, article: "2"}
    assert: "performance_class == 'A'"
    at: performance_class
    message: {zh: 等级不是 A。, en: The class is not A.}
    notes: Test only.

  - id: DEMO-SHARED-FACT-1
    kind: check
    severity: minor
    title: {zh: 默认计算等级, en: Computed class defaulted}
    citation: {instrument: demo-battery, article: "2"}
    when: "(facts.performance_class ?? 'A') == 'A'"
    assert: "true"
    at: footprint
    message: {zh: 不会出现。, en: Never shown.}
    notes: Test only.

  - id: DEMO-SHARED-FACT-2
    kind: check
    severity: minor
    title: {zh: 计算等级为 A, en: Computed class is A}
    citation: {instrument: demo-battery, article: "2"}
    assert: "facts.performance_class == 'A'"
    at: footprint
    message: {zh: 计算等级不是 A。, en: The computed class is not A.}
    notes: Test only.
"""


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    folder = tmp_path_factory.mktemp("shared") / "demo"
    shutil.copytree(DEMO, folder)
    rules = folder / "rules" / "battery.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    return Checker([folder])


def outcomes(checker: Checker, **changes: object) -> dict[str, str]:
    doc = json.loads((DEMO / "tests" / "base-battery.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    report = checker.check_bytes(json.dumps(doc).encode(), "filing.json")
    return {f.rule_id: f.outcome for f in report.findings
            if f.rule_id.startswith("DEMO-SHARED")}


def test_a_default_does_not_become_the_filings_value(checker: Checker) -> None:
    # no declared class: the first rule takes 'A' and passes; the second reads
    # the class itself, which is absent: not assessable, not a pass
    found = outcomes(checker, performance_class=None)
    assert "DEMO-SHARED-MEMBER-1" not in found
    assert found.get("DEMO-SHARED-MEMBER-2") == "not_assessable"


def test_a_default_does_not_become_the_derived_fact(checker: Checker) -> None:
    # a category without a row in the table: no computed class; the first rule
    # runs on its default, the second cannot decide
    found = outcomes(checker, category="no-such-category")
    assert found.get("DEMO-SHARED-FACT-2") == "not_assessable"


def test_present_values_are_read_as_given(checker: Checker) -> None:
    found = outcomes(checker, performance_class="C")
    assert found["DEMO-SHARED-MEMBER-1"] == "breach"
    assert found["DEMO-SHARED-MEMBER-2"] == "breach"
