"""HTML for an auditor's file: one self-contained page per run.

One filing: its grade and counts first, then its findings worst first (each
with its section's name, citation, location, the values read, the remediation,
any waiver and the proof tree), a chart of findings by section and severity,
and last what the run used (tool, rule bases, configuration, waivers, baseline).

A batch: a summary first (the counts and grades of the run, a table of the
filings that sorts and filters in the page, with a totals row; the rules by
filings failed, each with its citation and remediation written once; a chart
of the batch's findings by section and severity), then each filing compactly:
its findings name their rule, whose row holds what is the same for every
finding of the rule, and proof trees are kept once in a JSON block in the page
(shared subtrees written once) and drawn when a reader opens one or prints.
That keeps a 2,000-filing page near a fifth of a page that repeats everything.

The page loads nothing: styles are inline, the chart is inline SVG, the only
script is inline and allowed by its hash, and a Content-Security-Policy forbids
every network load. Without the script every finding is still shown, and a
batch's proof trees are in its JSON block (--explain writes them all, open, as
HTML instead). Everything
taken from a filing, a rule base or a user's file is escaped (in the JSON block
too, and the script only ever sets text). It prints as a report: the proof
trees expand, the interactive parts disappear, each filing starts a page. The
same report and options give the same page, byte for byte.
"""

from __future__ import annotations

from esgcheck.engine.findings import Report
from esgcheck.report import RenderOptions, waiver_notes
from esgcheck.report.html.filing import filing_section
from esgcheck.report.html.finding import Proofs
from esgcheck.report.html.labels import GROUPS, LABELS
from esgcheck.report.html.page import Page, esc, key_of
from esgcheck.report.html.run import baseline_section, run_section, waivers_section
from esgcheck.report.html.script import SCRIPT, SCRIPT_HASH
from esgcheck.report.html.style import CSP, css
from esgcheck.report.html.summary import summary_section

__all__ = ["GROUPS", "LABELS", "SCRIPT", "key_of", "render"]


def _csp(script: bool) -> str:
    """Nothing may load; the page's own script runs only when it is there, by its hash."""
    return CSP + (f"; script-src 'sha256-{SCRIPT_HASH}'" if script else "")


def _title(page: Page, report: Report) -> str:
    title = page.label("title")
    if len(report.filings) == 1:
        title += f" — {report.filings[0].file}"
    return esc(title)


def _head(page: Page, report: Report, script: bool) -> str:
    return ('<head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_csp(script)}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="color-scheme" content="light">'
            f'<meta name="generator" content="{esc(report.tool.name)} {esc(report.tool.version)}">'
            f"<title>{_title(page, report)}</title><style>{css()}</style></head>")


def render(report: Report, options: RenderOptions) -> str:
    multi = len(report.filings) > 1
    page = Page(lang=options.lang, explain=options.explain, batch=multi,
                 fail_on=options.fail_on, fail_on_not_assessable=options.fail_on_not_assessable,
                 urls={(r.rulebase, r.id): r.url for r in report.rules if r.url})
    if multi and not options.explain:
        page.proofs = Proofs(page)
    body = [f'<header class="report"><h1>{page.lb("title")}</h1></header>']
    if multi:
        body.append(summary_section(page, report))
        body.append(f'<nav class="screen-only back"><a href="#summary">↑ {page.lb("back")}</a>'
                    "</nav>")
    body += [filing_section(page, r, n) for n, r in enumerate(report.filings, 1)]
    if report.waivers is not None:
        body.append(waivers_section(page, report.waivers,
                             [note for _, note in waiver_notes(report, options.lang)]))
    if report.baseline is not None:
        body.append(baseline_section(page, report.baseline))
    body.append(run_section(page, report))
    script = multi
    if page.proofs is not None and page.proofs.nodes:
        body.append(page.proofs.block())
    if script:
        body.append(f"<script>{SCRIPT}</script>")
    lang = "zh-CN" if options.lang == "zh" else "en"
    main_class = ' class="multi"' if multi else ""
    return (f'<!DOCTYPE html>\n<html lang="{lang}">{_head(page, report, script)}\n'
            f"<body><main{main_class}>\n" + "\n".join(body) + "\n</main></body></html>\n")
