"""Findings and reports: the versioned output contract of esgcheck.

These pydantic models are the one definition of the report. The JSON renderer
dumps them, and ``esgcheck/schemas/report.schema.json`` is exported from them
(a test fails when the committed schema is stale). Everything in a report is
determined by the input and the rule base: no clock, no host, no absolute path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from esgcheck.engine.model import Outcome, Severity, Text

REPORT_SCHEMA_VERSION = "1.4.0"


def fingerprint(rulebase: str, rule_id: str, pointer: str) -> str:
    """A finding's identity across runs: the rule and the place, not the line."""
    return hashlib.sha256(f"{rulebase}\0{rule_id}\0{pointer}".encode()).hexdigest()[:32]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def canonical(value: dict[str, Any]) -> dict[str, Any]:
    """A mapping of the report in its one order, by key, whatever built it: a
    check, a journal or store read back, another tool's JSON. Reports that are
    equal are then written byte for byte the same. (A filing's section grades
    follow the rule bases' order of sections instead, which the checker puts
    them in wherever a report comes from: see Checker.in_order.)"""
    return value if _in_order(value) else dict(sorted(value.items()))


def _in_order(value: dict[str, Any]) -> bool:
    return all(a < b for a, b in pairwise(value))


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

    def place(self, column: bool = True) -> str:
        """``file:line:column`` (or ``file:line``) as far as known."""
        out = self.file
        if self.line is not None:
            out += f":{self.line}"
            if column and self.column is not None:
                out += f":{self.column}"
        return out


class Evidence(_Model):
    """One value a rule read, as it was read."""

    source: Literal["filing", "reference", "fact"]
    name: str = Field(description="JSON Pointer, reference-data column or fact name")
    value: Any = Field(None, description="the value read; exact decimals are strings; null when "
                                         "absent")
    unit: str | None = None
    display: str
    present: bool = True
    problem: Text | None = Field(None, description=(
        "set when the value is present but could not be read as its field's type (a unit "
        "of another dimension or unknown, an impossible date): what was found and what was "
        "expected; value and unit are then the filing's own"))
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


class WaiverApplied(_Model):
    """The waiver that turned a finding into ``waived``."""

    id: str
    justification: str
    approver: str
    ticket: str | None = None
    expires: date
    file: str
    line: int | None = None


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
    fingerprint: str = Field("", description=(
        "hash of rule base, rule id and JSON Pointer: the same finding in the same place "
        "keeps it across runs and line shifts"))
    waiver: WaiverApplied | None = Field(None, description="set when the outcome is waived")

    def all_evidence(self, false_facts: bool = True) -> Iterator[Evidence]:
        """Every value the finding rests on: its own evidence, then that of the
        derived facts it read, depth first; without ``false_facts``, not the
        values read by rules that tried a true/false fact and found it false."""
        yield from self.evidence
        nodes = list(reversed(self.derivation))
        while nodes:
            node = nodes.pop()
            if not false_facts and node.value == "false":
                continue
            yield from node.evidence
            nodes.extend(reversed(node.because))


class RuleBaseUsed(_Model):
    id: str
    version: str | None = Field(description=(
        "the version whose rules ran; null when none did (no version in force on the "
        "as-of date)"))
    title: Text
    in_force: bool
    ran: Literal["all", "data_checks", "none"] = Field("all", description=(
        "which rules ran: all of the version in force; only the data checks of the first "
        "version (the consistency of the filing's own data), when the as-of date is before "
        "it; or none"))


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
    baselined: int = Field(0, description="findings left out because the baseline knows them")
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

    @field_validator("grades")
    @classmethod
    def _canonical_grades(cls, value: dict[str, int]) -> dict[str, int]:
        return canonical(value)

    @field_serializer("grades")
    def _grades_in_order(self, value: dict[str, int]) -> dict[str, int]:
        return canonical(value)


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

    @field_validator("values", "data")
    @classmethod
    def _canonical_tables(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _canonical_config(value)

    @field_serializer("values", "data")
    def _tables_in_order(self, value: dict[str, Any]) -> dict[str, Any]:
        return _canonical_config(value)


def _canonical_config(value: dict[str, Any]) -> dict[str, Any]:
    """Configuration values, or tables whose rows are mappings too, in order."""
    return canonical({k: [canonical(row) for row in v] if isinstance(v, list) else v
                      for k, v in value.items()})


class SelectionUsed(_Model):
    """The project's configuration file and the rule selection of the run
    (esgcheck.selection): which check rules were switched off, by id."""

    config: str | None = Field(None, description=(
        "the configuration file (esgcheck.toml or pyproject.toml), relative to the working "
        "directory; null: none was used"))
    select: list[str] = Field(default_factory=list, description=(
        "selectors of the rules that run (rule ids, id prefixes, severity:LEVEL, ALL); "
        "empty: every rule"))
    extend_select: list[str] = Field(default_factory=list,
                                     description="selectors added to select")
    ignore: list[str] = Field(default_factory=list,
                              description="selectors of rules switched off; ignore wins")
    deselected: list[str] = Field(default_factory=list, description=(
        "ids of the check rules for the run's filing types that were switched off"))


class RuleInfo(_Model):
    """A check rule of a rule base the run used: what SARIF lists as a rule and
    JUnit as a test case."""

    id: str
    rulebase: str
    filing_type: str
    severity: Severity
    section: str | None = None
    title: Text
    help: Text | None = Field(None, description="why the rule exists, or how to fix a breach")
    citation: CitationOut
    url: str | None = Field(None, description="the instrument's or article's public address")
    effective_from: date | None = None
    effective_to: date | None = None

    def applies_to(self, filing: FilingReport) -> bool:
        """Whether the rule ran on ``filing``: its type, its rule base in force on
        the filing's as-of date, and its own window."""
        if filing.status != "checked" or filing.filing_type != self.filing_type:
            return False
        if not any(rb.id == self.rulebase and rb.in_force for rb in filing.rulebases):
            return False
        day = filing.as_of
        return day is None or ((self.effective_from is None or self.effective_from <= day)
                               and (self.effective_to is None or day <= self.effective_to))


class WaiverStatus(_Model):
    id: str
    rule: str
    filings: str = Field(description="glob over filing names")
    path: str | None = Field(None, description="JSON Pointer prefix; null: anywhere in the filing")
    justification: str
    approver: str
    ticket: str | None = None
    expires: date
    line: int | None = None
    status: Literal["applied", "expired", "unused"]
    matched: int = Field(description="findings it matched (for an expired waiver: would have)")


class WaiversUsed(_Model):
    file: str
    sha256: str
    today: date = Field(description="the day expiry was judged on (--today)")
    entries: list[WaiverStatus]


class BaselineEntry(_Model):
    rule_id: str
    file: str
    fingerprint: str
    pointer: str = ""
    severity: Severity | None = None
    title: Text | None = None


class BaselineUsed(_Model):
    file: str
    sha256: str
    known: int = Field(description="findings the baseline knew, left out of the report")
    fixed: list[BaselineEntry] = Field(
        default_factory=list, description="baseline findings no longer found")


class Report(_Model):
    schema_version: str = REPORT_SCHEMA_VERSION
    tool: Tool
    configuration: list[ConfigurationUsed] = Field(default_factory=list)
    selection: SelectionUsed | None = Field(None, description=(
        "the configuration file and rule selection; null: neither was used"))
    rules: list[RuleInfo] = Field(default_factory=list, description=(
        "the check rules for the filing types of this run"))
    waivers: WaiversUsed | None = None
    baseline: BaselineUsed | None = None
    filings: list[FilingReport]
    summary: Summary
