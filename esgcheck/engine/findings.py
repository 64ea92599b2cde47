"""Findings and reports: the versioned output contract of esgcheck.

These pydantic models are the one definition of the report. The JSON renderer
dumps them, and ``esgcheck/schemas/report.schema.json`` is exported from them
(a test fails when the committed schema is stale). Everything in a report is
determined by the input and the rule base: no clock, no host, no absolute path.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from esgcheck.engine.model import Outcome, Severity, Text

REPORT_SCHEMA_VERSION = "1.1.0"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(_Model):
    """A place in a filing. JSON filings give line and column; XML filings give
    line and XPath. The JSON Pointer addresses the canonical form either way."""

    file: str
    pointer: str = Field(description="JSON Pointer into the canonical filing")
    line: int | None = None
    column: int | None = None
    xpath: str | None = None
    exists: bool = Field(True, description="false when the place is absent from the filing; "
                                           "line and column then give the enclosing object")


class Evidence(_Model):
    """One value a rule read, as it was read."""

    source: Literal["filing", "reference", "fact"]
    name: str = Field(description="JSON Pointer, reference-data column or fact name")
    value: Any = Field(None, description="the value read; exact decimals are strings; null when "
                                         "absent")
    unit: str | None = None
    display: str
    present: bool = True
    location: Location | None = None


class ProofNode(_Model):
    """A derived fact, the rules that derived it, and what they read."""

    fact: str
    entity: str = Field(description="JSON Pointer of the entity the fact belongs to")
    value: str
    rules: list[str]
    evidence: list[Evidence] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    because: list[ProofNode] = Field(default_factory=list)


class CitationOut(_Model):
    instrument: str
    instrument_title: Text | None = None
    document_number: str | None = None
    article: str | None = None
    paragraph: str | None = None
    item: str | None = None
    section: str | None = None
    text: Text = Field(description="the citation written out")


class Finding(_Model):
    rule_id: str
    rulebase: str
    rulebase_version: str
    severity: Severity
    outcome: Outcome
    section: str | None = None
    title: Text
    message: Text
    remediation: Text | None = None
    citation: CitationOut
    location: Location
    evidence: list[Evidence] = Field(default_factory=list)
    derivation: list[ProofNode] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class RuleBaseUsed(_Model):
    id: str
    version: str | None = Field(description="null when no version is in force on the as-of date")
    title: Text
    in_force: bool


class InputProblem(_Model):
    """Why a file could not be read as a filing."""

    code: str
    message: Text
    location: Location | None = None


class Counts(_Model):
    critical: int = 0
    major: int = 0
    minor: int = 0
    info: int = 0
    not_assessable: int = 0
    waived: int = 0


class FilingReport(_Model):
    file: str
    status: Literal["checked", "unreadable", "not_assessed"]
    filing_type: str | None = None
    format: Literal["json", "xml"] | None = None
    read_as: str | None = Field(None, description=(
        "the industry format the filing was read from into its canonical form "
        "(Battery Pass, Catena-X); null for canonical filings"))
    as_of: date | None = None
    as_of_source: str | None = Field(None, description="JSON Pointer the as-of date came from, "
                                                       "or 'option' for --as-of")
    rulebases: list[RuleBaseUsed] = Field(default_factory=list)
    grade: str | None = None
    grade_label: Text | None = None
    section_grades: dict[str, str] = Field(default_factory=dict)
    counts: Counts = Field(default_factory=Counts)
    rules_evaluated: int = 0
    findings: list[Finding] = Field(default_factory=list)
    error: InputProblem | None = None


class Summary(_Model):
    files: int
    checked: int
    failed: int = Field(0, description="checked filings with a breach at or above the "
                                       "--fail-on severity")
    unreadable: int
    not_assessed: int
    grades: dict[str, int]
    counts: Counts


class Tool(_Model):
    name: Literal["esgcheck"] = "esgcheck"
    version: str


class ConfigurationUsed(_Model):
    """The configuration one rule base ran with: every value, and the table rows
    a user's file supplied."""

    rulebase: str
    file: str | None = Field(None, description="the --rules-config file; null when none was given")
    sha256: str | None = Field(None, description="SHA-256 of that file")
    values: dict[str, str | None] = Field(
        description="every configuration value as text; null: not known yet")
    data: dict[str, list[dict[str, str | None]]] = Field(
        default_factory=dict, description="reference-table rows from the file, as merged")


class Report(_Model):
    schema_version: str = REPORT_SCHEMA_VERSION
    tool: Tool
    configuration: list[ConfigurationUsed] = Field(default_factory=list)
    filings: list[FilingReport]
    summary: Summary
