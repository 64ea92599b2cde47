"""Grades and exit codes: pure functions over findings and a rule base's policy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from esgcheck.engine.findings import Counts, FilingReport, Finding
from esgcheck.engine.model import SEVERITY_RANK, GradingPolicy, Text


def grade(findings: Sequence[Finding], policy: GradingPolicy) -> tuple[str, Text, int]:
    """The grade, its label, and its step's precedence (lower is worse)."""
    if not findings:
        return policy.default, policy.default_label, len(policy.steps)
    for index, step in enumerate(policy.steps):
        cond = step.when
        if any(f.outcome in cond.outcome and f.severity in cond.severity for f in findings):
            return step.grade, step.label, index
    return policy.default, policy.default_label, len(policy.steps)


def section_grades(findings: Sequence[Finding], policy: GradingPolicy,
                   sections: Iterable[str]) -> dict[str, str]:
    """The grade of each section, in the order of ``sections``."""
    return {
        section: grade([f for f in findings if f.section == section], policy)[0]
        for section in sections
    }


def count(findings: Iterable[Finding]) -> Counts:
    counts = Counts()
    for f in findings:
        if f.outcome == "breach":
            setattr(counts, f.severity, getattr(counts, f.severity) + 1)
        elif f.outcome == "not_assessable":
            counts.not_assessable += 1
        else:
            counts.waived += 1
    return counts


EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2


def fails(filing: FilingReport, fail_on: str) -> bool:
    """Whether a checked filing has a breach at or above ``fail_on``."""
    if fail_on == "never":
        return False
    threshold = SEVERITY_RANK[fail_on]
    return any(f.outcome == "breach" and SEVERITY_RANK[f.severity] >= threshold
               for f in filing.findings)


def exit_code(filings: Sequence[FilingReport], fail_on: str) -> int:
    """2 when any file was unreadable or not assessed, else 1 when a breach
    reaches ``fail_on``, else 0: the worst over all filings."""
    if any(f.status != "checked" for f in filings):
        return EXIT_INPUT
    return EXIT_FINDINGS if any(fails(f, fail_on) for f in filings) else EXIT_OK
