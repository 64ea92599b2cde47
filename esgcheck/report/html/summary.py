"""A batch's summary: counts and grades, the filings table, rules by filings failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from esgcheck.engine.findings import FilingReport, Finding, Report
from esgcheck.report.html.chart import chart_svg
from esgcheck.report.html.finding import citation_html
from esgcheck.report.html.labels import KEYS
from esgcheck.report.html.page import (
    GRADE_ORDER,
    SEVERITY_ORDER,
    Page,
    counts_list,
    dl,
    esc,
    mini_grade,
    rule_anchor,
    severity_badge,
)


def _grade_rank(r: FilingReport) -> int:
    """Where a filing sorts by grade, worst first: unreadable, not assessed,
    then the grades from D to A."""
    if r.grade is None:
        return 0 if r.status == "unreadable" else 1
    index = GRADE_ORDER.find(r.grade)
    return 2 + (index if index >= 0 else len(GRADE_ORDER))


def _summary_row(page: Page, n: int, r: FilingReport) -> str:
    grade = (f'<span class="grade-mini g-{esc(r.grade)}">{esc(r.grade)}</span>'
             if r.grade is not None else f'<span class="status">{page.wd(r.status)}</span>')
    cells = "".join(f"<td>{getattr(r.counts, key)}</td>" for key in KEYS)
    status = "" if r.status == "checked" else f' data-status="{esc(r.status)}"'
    return (f'<tr{status} data-grade="{esc(r.grade or r.status)}">'
            f'<td>{n}</td><td><a href="#filing-{n}">{esc(r.file)}</a></td>'
            f"<td>{esc(r.filing_type or '—')}</td><td data-v=\"{_grade_rank(r)}\">{grade}</td>"
            f"{cells}</tr>")


def _sort_button(page: Page, text: str, kind: str) -> str:
    return (f'<button type="button" class="sort" data-type="{kind}" '
            f'title="{page.lb("sort_by")}">{text}</button>')


def _filter(page: Page, report: Report) -> str:
    grades = list(dict.fromkeys(
        sorted((r.grade or r.status for r in report.filings),
               key=lambda g: (GRADE_ORDER.find(g) if g in GRADE_ORDER else -1, g))))
    options = "".join(
        f'<option value="{esc(g)}">{esc(g) if len(g) == 1 else page.wd(g)}</option>'
        for g in grades)
    shown = len(report.filings)
    return (f'<p class="filter screen-only"><label>{page.lb("filter")} '
            f'<input type="search" id="filter" placeholder="{page.lb("filter_hint")}" '
            f'autocomplete="off"></label> <label>{page.wd("grade")} <select id="grade-filter">'
            f'<option value="">{page.lb("all_grades")}</option>{options}</select></label> '
            f'<output id="shown" data-template="{page.lb("shown", n="{n}", total="{total}")}">'
            f'{page.lb("shown", n=shown, total=shown)}</output></p>')


def _summary_table(page: Page, report: Report) -> str:
    head = "".join(f"<th>{_sort_button(page, severity_badge(page, key), 'num')}</th>"
                   for key in KEYS)
    rows = "".join(_summary_row(page, n, r) for n, r in enumerate(report.filings, 1))
    totals = "".join(f"<td>{getattr(report.summary.counts, key)}</td>" for key in KEYS)
    return (f'{_filter(page, report)}<table class="summary-table"><thead><tr>'
            f"<th>{_sort_button(page, '#', 'num')}</th>"
            f"<th>{_sort_button(page, page.lb('file'), 'text')}</th>"
            f"<th>{_sort_button(page, page.lb('filing_type'), 'text')}</th>"
            f"<th>{_sort_button(page, page.wd('grade'), 'num')}</th>{head}</tr></thead>"
            f"<tbody>{rows}</tbody><tfoot><tr><th></th><th>{page.lb('totals')}</th><th></th>"
            f"<th></th>{totals}</tr></tfoot></table>")


@dataclass
class RuleRow:
    """A rule's findings over a batch."""

    first: Finding
    failed: set[int] = field(default_factory=set)
    filings: set[int] = field(default_factory=set)
    findings: int = 0


def rules_by_filings_failed(report: Report, fail_on: str,
                            not_assessable: bool = True) -> list[RuleRow]:
    """Every rule with a finding in the batch: the filings in which it fails the
    gate (a breach, or unless told otherwise a finding not assessable, at or
    above ``fail_on``), the filings with any finding of it, and its findings;
    most filings failed first."""
    threshold = None if fail_on == "never" else SEVERITY_ORDER[fail_on]
    rows: dict[tuple[str, str], RuleRow] = {}
    for n, r in enumerate(report.filings):
        for f in r.findings:
            row = rows.setdefault((f.rulebase, f.rule_id), RuleRow(first=f))
            row.findings += 1
            row.filings.add(n)
            gate = f.outcome == "breach" or (not_assessable and f.outcome == "not_assessable")
            if threshold is not None and gate and SEVERITY_ORDER[f.severity] >= threshold:
                row.failed.add(n)
    return sorted(rows.values(), key=lambda row: (-len(row.failed), -len(row.filings),
                                                  row.first.rule_id, row.first.rulebase))


def _rules_table(page: Page, report: Report) -> str:
    rows = []
    for row in rules_by_filings_failed(report, page.fail_on, page.fail_on_not_assessable):
        f = row.first
        remediation = (f'<div class="muted">{page.wd("remediation")}: '
                       f"{esc(f.remediation.get(page.lang))}</div>" if f.remediation else "")
        rows.append(
            f'<tr id="{esc(rule_anchor(f))}" data-rule="{esc(f.rule_id)}"><td><code>'
            f"{esc(f.rule_id)}</code></td><td>{severity_badge(page, f.severity)}</td>"
            f'<td><span class="finding-title">{esc(f.title.get(page.lang))}</span>'
            f'<div class="cite">{page.wd("citation")}: {citation_html(page, f)}</div>{remediation}'
            f'</td><td class="num">{len(row.failed)}</td><td class="num">{len(row.filings)}</td>'
            f'<td class="num">{row.findings}</td></tr>')
    if not rows:
        return ""
    return (f'<h3>{page.lb("rules_failed")}</h3><table class="rules-table"><thead><tr>'
            f"<th>{page.lb('rule')}</th><th>{page.lb('severity')}</th>"
            f"<th>{page.lb('finding_title')}</th><th class=\"num\">{page.lb('filings_failed')}</th>"
            f'<th class="num">{page.lb("filings_with")}</th>'
            f'<th class="num">{page.wd("findings")}</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def summary_section(page: Page, report: Report) -> str:
    s = report.summary
    grades = " ".join(f"{mini_grade(g)}×{n}" for g, n in s.grades.items()) or "—"
    overall = [
        (page.wd("files"), str(s.files)),
        (page.wd("checked"), str(s.checked)),
        (page.wd("failed"), str(s.failed)),
        (page.wd("unreadable"), str(s.unreadable)),
        (page.wd("not_assessed"), str(s.not_assessed)),
        (page.wd("grade"), grades),
        (page.wd("findings"), counts_list(page, s.counts)),
    ]
    findings = [f for r in report.filings for f in r.findings]
    return (f'<section class="summary" id="summary"><h2>{page.lb("summary")}</h2>'
            f"{dl(overall)}{_summary_table(page, report)}{_rules_table(page, report)}"
            f'<h3>{page.lb("chart")}</h3>{chart_svg(page, findings, "all")}</section>')


