"""A filing: its grade, what was read, and its findings."""

from __future__ import annotations

from esgcheck.engine import grading
from esgcheck.engine.findings import FilingReport, InputProblem
from esgcheck.report.html.chart import chart_svg
from esgcheck.report.html.finding import findings_of, location_html
from esgcheck.report.html.page import Page, counts_list, dl, esc, grade_badge, mini_grade
from esgcheck.report.html.run import rulebase_text


def _as_of(page: Page, r: FilingReport) -> str:
    if r.as_of is None:
        return "—"
    source = ""
    if r.as_of_source == "option":
        source = f' <span class="muted">({page.lb("as_of_option")})</span>'
    elif r.as_of_source:
        source = (f' <span class="muted">({page.lb("as_of_source")} '
                  f"<code>{esc(r.as_of_source)}</code>)</span>")
    return esc(r.as_of.isoformat()) + source


def _filing_meta(page: Page, r: FilingReport) -> list[tuple[str, str]]:
    rows = [(page.lb("status"), f'<span class="status">{page.wd(r.status)}</span>')]
    if r.filing_type:
        kind = f"<code>{esc(r.filing_type)}</code>"
        if r.format:
            kind += f" ({esc(r.format.upper())})"
        rows.append((page.lb("filing_type"), kind))
    if r.read_as:
        rows.append((page.lb("read_as"), esc(r.read_as)))
    if r.status == "checked":
        rows.append((page.wd("as_of"), _as_of(page, r)))
        rows.append((page.lb("rules_evaluated"), str(r.rules_evaluated)))
    if r.baselined:
        rows.append((page.lb("baseline"),
                     f'<span class="baselined">{page.wd("baselined", n=r.baselined)}</span>'))
    if r.rulebases:
        rows.append((page.wd("rulebase"), "<ul>" + "".join(
            f"<li>{rulebase_text(page, rb)}</li>" for rb in r.rulebases) + "</ul>"))
    return rows


def _filing_line(page: Page, r: FilingReport) -> str:
    """What a batch says of a filing besides its grade and findings, on one line."""
    parts = [] if r.status == "checked" else [f'<span class="status">{page.wd(r.status)}</span>']
    if r.filing_type:
        parts.append(f"<code>{esc(r.filing_type)}</code>"
                     + (f" ({esc(r.format.upper())})" if r.format else ""))
    if r.read_as:
        parts.append(f'{page.lb("read_as")}: {esc(r.read_as)}')
    if r.status == "checked":
        parts.append(f'{page.wd("as_of")} {_as_of(page, r)}')
        parts.append(f'{page.lb("rules_evaluated")}: {r.rules_evaluated}')
    if r.baselined:
        parts.append(f'<span class="baselined">{page.wd("baselined", n=r.baselined)}</span>')
    return f'<p class="meta">{" · ".join(parts)}</p>'


def _problem(page: Page, problem: InputProblem) -> str:
    rows = [(page.lb("error_code"), f"<code>{esc(problem.code)}</code>")]
    if problem.location is not None:
        rows.append((page.wd("location"), location_html(page, problem.location)))
    return (f'<div class="problem"><p class="error">{esc(problem.message.get(page.lang))}</p>'
            f"{dl(rows)}</div>")


def _section_grades(page: Page, r: FilingReport) -> str:
    if not r.section_grades:
        return ""
    rulebases = [rb.id for rb in r.rulebases]

    def name(section: str) -> str:
        for rb in rulebases:
            shown = page.section_name(rb, section)
            if shown != section:
                return shown
        return section

    items = "".join(f'<li data-section="{esc(s)}">{esc(name(s))} {mini_grade(g)}</li>'
                    for s, g in r.section_grades.items())
    return (f'<h4>{page.lb("section_grades")}</h4>'
            f'<ul class="counts section-grades">{items}</ul>')


def fails(page: Page, r: FilingReport) -> bool:
    return grading.fails(r, page.fail_on, page.fail_on_not_assessable)


def filing_section(page: Page, r: FilingReport, n: int) -> str:
    grade = f' data-grade="{esc(r.grade)}"' if r.grade else ""
    parts = [f'<section class="filing" id="filing-{n}" data-status="{esc(r.status)}"{grade}>']
    if page.batch:
        mark = mini_grade(r.grade) + " " if r.grade else ""
        parts.append(f"<h2>{mark}<code>{esc(r.file)}</code></h2>")
    else:  # the grade and counts first, then what was read, then the findings
        parts += [f"<h2><code>{esc(r.file)}</code></h2>", grade_badge(page, r)]
        if r.status == "checked":
            parts.append(counts_list(page, r.counts))
    parts.append(_filing_line(page, r) if page.batch else dl(_filing_meta(page, r)))
    if r.error is not None:
        parts.append(_problem(page, r.error))
    if r.status == "checked":
        if not page.batch:  # a batch has the counts in its table and each group's heading
            parts += [_section_grades(page, r), f'<h4>{page.lb("chart")}</h4>',
                      chart_svg(page, r.findings, str(n))]
        if not r.findings:
            parts.append(f'<p class="no-findings">{page.wd("no_findings")}</p>')
        elif page.batch and not fails(page, r):  # a passing filing's findings, folded
            parts.append(f'<details class="findings"><summary>{page.wd("findings")} '
                         f"({len(r.findings)})</summary>{''.join(findings_of(page, r, n))}"
                         "</details>")
        else:
            parts.extend(findings_of(page, r, n))
    parts.append("</section>")
    return "".join(parts)


