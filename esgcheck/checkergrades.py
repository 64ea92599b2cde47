"""How a Checker grades and settles (mixed into esgcheck.checker.Checker): a
filing's grades from its findings by the policy of each rule base in force,
a grade threshold, and a report after waivers and a baseline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from esgcheck.checkerparts import summarize
from esgcheck.engine import grading
from esgcheck.engine.findings import FilingReport, Finding, Report, RuleBaseUsed
from esgcheck.engine.model import Text
from esgcheck.engine.rulebase import RuleBase

if TYPE_CHECKING:  # (imported where used: most runs have neither)
    from esgcheck.baseline import Baseline
    from esgcheck.waivers import Waivers


class Grading:
    """Grades and policies over a Checker's rule bases."""

    rulebases: list[RuleBase]

    if TYPE_CHECKING:  # (the Checker's own, see checkermany)
        @staticmethod
        def sections(rb: RuleBase) -> list[str]: ...

    def settle(self, report: Report, fail_on: str = "major", waivers: Waivers | None = None,
               today: date | None = None, baseline: Baseline | None = None) -> Report:
        """A report after the run's policy: waivers turn the findings they match
        into waived ones (and the filings are graded again), then the baseline
        leaves out the findings it knows; the summary follows."""
        filings = list(report.filings)
        update: dict[str, Any] = {}
        if waivers is not None:
            from esgcheck.waivers import apply_waivers

            waived, update["waivers"] = apply_waivers(filings, waivers, today or date.today())
            filings = [f if f is before else self.regrade(f)  # only those a waiver changed
                       for f, before in zip(waived, filings, strict=True)]
        if baseline is not None:
            from esgcheck.baseline import apply_baseline

            filings, update["baseline"] = apply_baseline(filings, baseline)
        return report.model_copy(update={
            **update, "filings": filings, "summary": summarize(filings, fail_on)})

    def regrade(self, report: FilingReport) -> FilingReport:
        """A checked filing graded again after its findings changed (waivers)."""
        if report.status != "checked":
            return report
        return report.model_copy(update=self.grade_fields(report.rulebases, report.findings))

    def grade_fields(self, used: Sequence[RuleBaseUsed], findings: Sequence[Finding]
                     ) -> dict[str, Any]:
        """A filing's grades and counts from its findings: each rule base in force
        grades its own findings and the structural ones by its policy, and the
        filing takes the worst of those grades."""
        grades: list[tuple[int, str, Text]] = []
        sections: dict[str, str] = {}
        in_force = {u.id for u in used if u.ran != "none"}
        for rb in self.rulebases:
            if rb.id not in in_force:
                continue
            scope = [f for f in findings if f.rulebase in (rb.id, "schema")]
            step_grade, label, rank = grading.grade(scope, rb.meta.grading)
            grades.append((rank, step_grade, label))
            sections.update(grading.section_grades(scope, rb.meta.grading, self.sections(rb)))
        worst = min(grades, key=lambda g: g[0]) if grades else None
        return {"grade": worst[1] if worst else None,
                "grade_label": worst[2] if worst else None,
                "section_grades": sections, "counts": grading.count(findings)}

    def grades(self) -> list[str]:
        """Every grade the loaded rule bases' policies give, worst first."""
        out: list[str] = []
        for rb in self.rulebases:
            for g in rb.meta.grading.order:
                if g not in out:
                    out.append(g)
        return out

    def fails_grade(self, report: FilingReport, threshold: str) -> bool:
        """Whether a checked filing's grade is ``threshold`` or worse, by the
        policy of the rule base that graded it."""
        if report.grade is None:
            return False
        in_force = {u.id for u in report.rulebases if u.in_force}
        for rb in self.rulebases:
            order = rb.meta.grading.order
            if rb.id in in_force and report.grade in order and threshold in order:
                return order.index(report.grade) <= order.index(threshold)
        return False
