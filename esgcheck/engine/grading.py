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


def _reaches(filing: FilingReport, fail_on: str, outcome: str) -> bool:
    if fail_on == "never":
        return False
    threshold = SEVERITY_RANK[fail_on]
    return any(f.outcome == outcome and SEVERITY_RANK[f.severity] >= threshold
               for f in filing.findings)


def fails(filing: FilingReport, fail_on: str, not_assessable: bool = True) -> bool:
    """Whether a checked filing fails the gate: a breach at or above
    ``fail_on``, or, unless ``not_assessable`` is false, a finding at or above
    it that could not be assessed (a check that could not run is not a pass).
    Waived findings never fail."""
    return _reaches(filing, fail_on, "breach") or (
        not_assessable and _reaches(filing, fail_on, "not_assessable"))


def fails_not_assessable(filing: FilingReport, fail_on: str,
                         not_assessable: bool = True) -> bool:
    """Whether a checked filing fails the gate only because something at or
    above ``fail_on`` could not be assessed (no breach reaches it)."""
    return (not_assessable and not _reaches(filing, fail_on, "breach")
            and _reaches(filing, fail_on, "not_assessable"))


def exit_code(filings: Sequence[FilingReport], fail_on: str,
              not_assessable: bool = True) -> int:
    """2 when any file was unreadable or not assessed, else 1 when a filing
    fails the gate (see ``fails``), else 0: the worst over all filings."""
    if any(f.status != "checked" for f in filings):
        return EXIT_INPUT
    return (EXIT_FINDINGS if any(fails(f, fail_on, not_assessable) for f in filings)
            else EXIT_OK)
