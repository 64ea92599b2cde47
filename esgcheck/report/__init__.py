"""Renderers: one small module per output format over the same report object.

Each module ``esgcheck.report.<format>`` has ``render(report, options) -> str``;
the output is determined by the report and the options alone.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from esgcheck.messages import message

if TYPE_CHECKING:  # the models load with the first renderer, not with the format names
    from esgcheck.engine.findings import Report, WaiverApplied, WaiverStatus


@dataclass(frozen=True)
class RenderOptions:
    lang: str = "en"
    color: bool = False
    explain: bool = False
    fail_on: str = "major"  # breaches this severe or worse fail (JUnit failures)
    # findings at or above fail_on that could not be assessed fail too
    fail_on_not_assessable: bool = True
    # the run's exit code, when known before rendering (SARIF invocations)
    exit_code: int | None = None
    # the run's start and end (UTC, ISO 8601), only when asked for: outputs are
    # otherwise the same bytes for the same input
    start_time: str | None = None
    end_time: str | None = None
    # markdown: the most characters to write (a pull-request comment holds 65,536)
    max_chars: int = 65536


Renderer = Callable[["Report", RenderOptions], str]

# format name -> module under esgcheck.report
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_out",
    "sarif": "sarif",
    "junit": "junit",
    "markdown": "markdown",
    "html": "html",
}


def renderer(name: str) -> Renderer:
    module = importlib.import_module(f"esgcheck.report.{FORMATS[name]}")
    render: Renderer = module.render
    return render


def failed_not_assessable(report: Report, options: RenderOptions) -> int:
    """The checked filings that fail the gate only because something at or
    above --fail-on could not be assessed."""
    from esgcheck.engine import grading

    return sum(r.status == "checked" and grading.fails_not_assessable(
        r, options.fail_on, options.fail_on_not_assessable) for r in report.filings)


def failed_text(report: Report, options: RenderOptions) -> str:
    """The run's failed count, naming those that failed as not assessable:
    ``3 failed (1 not assessable)``."""
    lang = options.lang
    text = f"{report.summary.failed} {message('failed', lang)}"
    n = failed_not_assessable(report, options)
    if n:
        inner = message("failed_not_assessable", lang, n=n)
        text += f"（{inner}）" if lang == "zh" else f" ({inner})"
    return text


def waiver_text(v: WaiverApplied, lang: str) -> str:
    """The waiver of a waived finding, in one sentence."""
    return message("waiver", lang, id=v.id, justification=v.justification,
                   approver=v.approver, ticket=f", {v.ticket}" if v.ticket else "",
                   expires=v.expires.isoformat())


def waiver_notes(report: Report, lang: str) -> list[tuple[WaiverStatus, str]]:
    """What a reader of the report must know about the scope of each waiver:
    one that waived findings in filings other than the one it names (a
    ``filings_glob``), with those filings; one whose ``filings`` reads like a
    pattern, matched no filing by name, and would have matched some as a glob
    (a waiver file written when ``filings`` was a glob)."""
    if report.waivers is None:
        return []
    reached: dict[str, set[str]] = {}
    for filing in report.filings:
        for f in filing.findings:
            if f.waiver is not None and f.waiver.file == report.waivers.file:
                reached.setdefault(f.waiver.id, set()).add(filing.file)
    names = [r.file for r in report.filings]
    notes: list[tuple[WaiverStatus, str]] = []
    for e in report.waivers.entries:
        files = sorted(reached.get(e.id, ()))
        if files and files != [e.filings]:
            notes.append((e, message("waiver_wide", lang, id=e.id, rule=e.rule, line=e.line,
                                     filings=e.filings, n=len(files),
                                     files=", ".join(files))))
        elif (e.status == "unused" and any(c in e.filings for c in "*?[")
              and e.filings not in names
              and any(fnmatch.fnmatchcase(n, e.filings) for n in names)):
            notes.append((e, message("waiver_literal", lang, id=e.id, rule=e.rule,
                                     line=e.line, filings=e.filings)))
    return notes


def selection_lines(report: Report, lang: str) -> list[str]:
    """What the report says of the configuration file and the rule selection:
    the file, the selectors, and every check rule switched off, by id (a rule
    switched off is never silently gone)."""
    sel = report.selection
    if sel is None:
        return []
    out = []
    if sel.config is not None:
        out.append(message("selection_config", lang, file=sel.config))
    given = [f"{name} {', '.join(items)}" for name, items in (
        ("select", sel.select), ("extend-select", sel.extend_select), ("ignore", sel.ignore))
        if items]
    if given:
        out.append(message("selection_rules", lang, rules=" · ".join(given)))
    if sel.deselected:
        out.append(message("selection_off", lang, n=len(sel.deselected),
                           ids=", ".join(sel.deselected)))
    return out
