"""The rule-base format: pydantic models of metadata, rule files and test cases.

These models are the contract for rule authors. A file that does not fit them
fails to load with its file, line and rule id; ``esgcheck schemas export``
writes their JSON Schema so editors can validate rule files as they are typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from esgcheck.messages import message

Severity = Literal["critical", "major", "minor", "info"]
Outcome = Literal["breach", "not_assessable", "waived"]

SEVERITIES: tuple[Severity, ...] = ("critical", "major", "minor", "info")
SEVERITY_RANK: dict[str, int] = {"critical": 4, "major": 3, "minor": 2, "info": 1}

RULE_ID = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
NAME = r"^[a-z][a-z0-9_]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """The same text in Chinese and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def text(code: str, /, **params: object) -> Text:
    """One of esgcheck's own messages (esgcheck.messages) in both languages."""
    return Text(zh=message(code, "zh", **params), en=message(code, "en", **params))


class Citation(Strict):
    """Where a rule comes from in law: an instrument of the rule base, and a place in it."""

    instrument: str
    article: str | None = None
    paragraph: str | None = None
    item: str | None = None
    section: str | None = Field(None, description="a heading, for texts cited by heading")
    url: str | None = None

    def short(self) -> str:
        parts = [self.instrument]
        if self.article:
            parts.append(f"Art. {self.article}")
        if self.paragraph:
            parts.append(f"para. {self.paragraph}")
        if self.item:
            parts.append(f"item {self.item}")
        if self.section:
            parts.append(self.section)
        return ", ".join(parts)


class Instrument(Strict):
    id: str
    title: Text
    issuer: Text
    number: str | None = Field(None, description="document number, e.g. 生态环境部令第24号")
    adopted: date | None = None
    effective: date | None = None
    url: str | None = None
    notes: str | None = None


class Version(Strict):
    version: str
    effective_from: date
    effective_to: date | None = None
    notes: str | None = None


class Section(Strict):
    id: str = Field(pattern=NAME)
    title: Text


class GradeCondition(Strict):
    outcome: list[Outcome] = Field(default_factory=lambda: list[Outcome](["breach"]))
    severity: list[Severity] = Field(default_factory=lambda: list(SEVERITIES))


class GradeStep(Strict):
    grade: str
    label: Text
    when: GradeCondition


class GradingPolicy(Strict):
    """Grades in order of precedence: the first step whose condition any finding
    meets is the grade; with no such finding, the default."""

    steps: list[GradeStep] = Field(min_length=1)
    default: str
    default_label: Text

    @property
    def order(self) -> list[str]:
        """The grades this policy gives, worst first."""
        return [s.grade for s in self.steps] + [self.default]


class ConfigValue(Strict):
    value: Any
    type: str | None = Field(None, description=(
        "string, number, date, boolean or quantity[UNIT]; with a type the value may be "
        "null (not known yet) and a user's value is checked against it"))
    description: str | None = None
    source: str | None = None


class RuleBaseMeta(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: Text
    instruments: list[Instrument] = Field(min_length=1)
    versions: list[Version] = Field(min_length=1)
    filing_types: list[str] = Field(min_length=1)
    sections: list[Section] = Field(default_factory=list)
    grading: GradingPolicy
    config: dict[str, ConfigValue] = Field(default_factory=dict)
    notes: str | None = None


class Rule(Strict):
    id: str = Field(pattern=RULE_ID)
    title: Text
    citation: Citation
    kind: Literal["derive", "check"]
    severity: Severity | None = None
    entity: str = "filing"
    section: str | None = None
    when: str | None = Field(None, description="guard: the rule applies only where this holds")
    derive: str | None = Field(None, pattern=NAME, description="derive rules: the fact name")
    value: str | None = Field(None, description="derive rules: the fact's value (default true)")
    assert_: str | None = Field(None, alias="assert",
                                description="check rules: what must hold; breach when false")
    at: str | None = Field(None, description="field path (from the entity) a finding points at")
    params: dict[str, str] = Field(default_factory=dict)
    message: Text | None = None
    unknown: Text | None = Field(None, description=(
        "check rules: the message when the rule cannot decide (not assessable), such as "
        "'cannot verify item'; default: one naming the data that is missing"))
    remediation: Text | None = None
    rationale: Text | None = None
    notes: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    data_check: bool = Field(False, description=(
        "check rules: the rule tests the filing's own data for consistency (sums that add "
        "up, dates in order, check characters) rather than an obligation, so it holds whatever "
        "the date; it still runs when the filing's as-of date is before the rule base's first "
        "version. It must not read as_of"))

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _kind_fields(self) -> Rule:
        if self.kind == "check":
            missing = [n for n, v in (("assert", self.assert_), ("severity", self.severity),
                                      ("message", self.message)) if v is None]
            if missing:
                raise ValueError(f"a check rule needs {', '.join(missing)}")
            if self.derive or self.value:
                raise ValueError("'derive' and 'value' belong to derive rules")
            if self.data_check and (self.effective_from or self.effective_to):
                raise ValueError("a data check holds whatever the date: it has no effective "
                                 "window")
        else:
            if not self.derive:
                raise ValueError("a derive rule needs 'derive' (the fact name)")
            if self.assert_ or self.params or self.data_check:
                raise ValueError("'assert', 'params' and 'data_check' belong to check rules")
        return self


class RuleFile(Strict):
    filing_type: str
    section: str | None = None
    rules: list[Rule] = Field(min_length=1)


# ---------------------------------------------------------------- test cases


class ExpectedFinding(Strict):
    outcome: Outcome = "breach"
    at: str | None = Field(None, description="JSON Pointer of the finding's location")


class ExpectedFact(Strict):
    fact: str = Field(pattern=NAME)
    at: str = Field("", description="JSON Pointer of the entity the fact belongs to")
    value: Any = Field(description="the derived value; null when nothing is derived")


class TestCase(Strict):
    name: str
    filing: dict[str, Any] | None = Field(None, description="a whole filing")
    patch: dict[str, Any] | None = Field(None, description="JSON merge patch on the base filing")
    set: dict[str, Any] = Field(
        default_factory=dict, description="values to set at JSON Pointers after the patch "
                                          "(null removes); reaches into arrays")
    as_of: date | None = None
    config: dict[str, Any] = Field(
        default_factory=dict, description="configuration values to use instead of the rule base's")
    data: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict, description="reference-table rows merged into the rule base's, "
                                          "as a user's --rules-config does")
    expect: list[ExpectedFinding] = Field(
        default_factory=list, description="check rules: every finding of the rule, exactly")
    derived: list[ExpectedFact] = Field(
        default_factory=list, description="derive rules: facts and their values")


class RuleTests(Strict):
    rule: str = Field(pattern=RULE_ID)
    base: str | None = Field(None, description="a filing file, relative to the tests folder")
    cases: list[TestCase] = Field(min_length=1)


# a message's placeholders: {name}, a parameter of the rule
TEMPLATE_PARAM = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; nothing else in a template is interpreted."""
    return TEMPLATE_PARAM.sub(lambda m: values.get(m.group(1), m.group(0)), template)
