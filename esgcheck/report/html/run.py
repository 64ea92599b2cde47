"""What a run used (tool, rule bases, configuration), its waivers and baseline."""

from __future__ import annotations

from datetime import date

from esgcheck.engine.findings import (
    BaselineUsed,
    ConfigurationUsed,
    Report,
    RuleBaseUsed,
    WaiverStatus,
    WaiversUsed,
)
from esgcheck.messages import message
from esgcheck.report import selection_lines
from esgcheck.report.html.page import Page, dl, esc, severity_badge

# ---------------------------------------------------------------- what the run used

def _rulebases(report: Report) -> list[RuleBaseUsed]:
    seen: dict[tuple[str, str | None], RuleBaseUsed] = {}
    for r in report.filings:
        for rb in r.rulebases:
            seen.setdefault((rb.id, rb.version), rb)
    return list(seen.values())


def _used_rulebases(report: Report) -> set[str]:
    """The rule bases that ran on some filing of the report."""
    return {rb.id for r in report.filings for rb in r.rulebases if rb.ran != "none"}


def rulebase_text(page: Page, rb: RuleBaseUsed) -> str:
    state = (esc(rb.version) if rb.in_force and rb.version
             else esc(message("data_checks", page.lang, version=rb.version))
             if rb.ran == "data_checks" else page.wd("not_in_force"))
    return f"<code>{esc(rb.id)}</code> {state} — {esc(rb.title.get(page.lang))}"


def _configuration(page: Page, configs: list[ConfigurationUsed]) -> str:
    files = [c for c in configs if c.file is not None]
    if not files:
        return page.lb("defaults")
    return "<ul>" + "".join(
        f"<li><code>{esc(c.rulebase)}</code>: <code>{esc(c.file)}</code> "
        f'<span class="muted">SHA-256 <code>{esc(c.sha256 or "")}</code></span></li>'
        for c in files) + "</ul>"


def _config_values(page: Page, configs: list[ConfigurationUsed]) -> str:
    """The configuration values of the rule bases used, collapsed (a reader
    opens it when needed; print shows it)."""
    if not any(c.values or c.data for c in configs):
        return ""
    parts = [f'<details class="config"><summary>{page.lb("config_values")}</summary>']
    for c in configs:
        rows = "".join(
            f"<tr><td><code>{esc(k)}</code></td><td>"
            f"{esc(v) if v is not None else page.lb('unknown_value')}</td></tr>"
            for k, v in c.values.items())
        parts.append(f'<h4 data-rulebase="{esc(c.rulebase)}"><code>{esc(c.rulebase)}</code></h4>'
                     f"<table><thead><tr><th>{page.lb('name')}</th><th>{page.lb('value')}</th>"
                     f"</tr></thead><tbody>{rows}</tbody></table>")
        if c.data:
            tables = ", ".join(f"<code>{esc(name)}</code> ({page.lb('rows', n=len(rows_))})"
                               for name, rows_ in c.data.items())
            parts.append(f"<p>{page.lb('user_rows')}: {tables}</p>")
    parts.append("</details>")
    return "".join(parts)


def _as_of_dates(report: Report) -> list[date]:
    return sorted({r.as_of for r in report.filings if r.as_of is not None})


def run_section(page: Page, report: Report) -> str:
    """What the run used: tool, rule bases, as-of dates, configuration (only
    of the rule bases that ran), waivers and baseline files."""
    used = _used_rulebases(report)
    configs = [c for c in report.configuration if c.rulebase in used]
    rulebases = "".join(f"<li>{rulebase_text(page, rb)}</li>" for rb in _rulebases(report))
    rows = [
        (page.lb("tool"), f"{esc(report.tool.name)} {esc(report.tool.version)}"),
        (page.lb("schema_version"), esc(report.schema_version)),
        (page.wd("as_of"), ", ".join(d.isoformat() for d in _as_of_dates(report))
         or page.lb("none")),
        (page.wd("rulebase"), f"<ul>{rulebases}</ul>" if rulebases else page.lb("none")),
        (page.lb("configuration"), _configuration(page, configs)),
    ]
    selected = selection_lines(report, page.lang)
    if selected:
        rows.append((page.lb("selection"), "<br>".join(esc(line) for line in selected)))
    if report.waivers is not None:
        rows.append((page.lb("waivers_file"), file_and_sum(report.waivers.file,
                                                            report.waivers.sha256)))
        rows.append((page.lb("expiry_judged"), esc(report.waivers.today.isoformat())))
    if report.baseline is not None:
        rows.append((page.lb("baseline_file"), file_and_sum(report.baseline.file,
                                                             report.baseline.sha256)))
    return (f'<section class="run" id="run"><h2>{page.lb("run")}</h2>{dl(rows)}'
            f"{_config_values(page, configs)}</section>")


def file_and_sum(file: str, sha256: str) -> str:
    return f'<code>{esc(file)}</code> <span class="muted">SHA-256 <code>{esc(sha256)}</code></span>'



# ---------------------------------------------------------------- baseline and waivers

def baseline_section(page: Page, b: BaselineUsed) -> str:
    rows = "".join(
        f"<tr><td><code>{esc(x.rule_id)}</code></td><td><code>{esc(x.file)}</code></td>"
        f"<td><code>{esc(x.pointer or '/')}</code></td>"
        f"<td>{severity_badge(page, x.severity) if x.severity else ''}</td>"
        f"<td>{esc(x.title.get(page.lang)) if x.title else ''}</td></tr>" for x in b.fixed)
    table = (f'<table class="baseline-fixed"><thead><tr><th>{page.lb("rule")}</th>'
             f"<th>{page.lb('file')}</th><th>JSON Pointer</th><th>{page.lb('severity')}</th>"
             f"<th>{page.lb('finding_title')}</th></tr></thead><tbody>{rows}</tbody></table>"
             if b.fixed else f"<p>{page.lb('none')}</p>")
    return (f'<section class="appendix" id="baseline"><h2>{page.lb("baseline")}</h2>'
            f"{dl([(page.lb('baseline_file'), file_and_sum(b.file, b.sha256))])}"
            f'<p class="baseline-known">{page.lb("baseline_known", n=b.known)}</p>'
            f'<h3>{page.lb("baseline_fixed")} ({len(b.fixed)})</h3>{table}</section>')


def _waiver_row(page: Page, w: WaiverStatus) -> str:
    scope = f"<code>{esc(w.filings)}</code>" + (f" <code>{esc(w.path)}</code>" if w.path else "")
    line = f' <span class="muted">({page.wd("at_line", n=w.line)})</span>' if w.line else ""
    ticket = f' <span class="muted">{esc(w.ticket)}</span>' if w.ticket else ""
    return (f'<tr data-status="{esc(w.status)}"><td><span class="status">{page.lb(w.status)}'
            f"</span></td><td><code>{esc(w.id)}</code>{line}</td><td><code>{esc(w.rule)}</code></td>"
            f"<td>{scope}</td><td>{esc(w.justification)}</td><td>{esc(w.approver)}{ticket}</td>"
            f'<td>{esc(w.expires.isoformat())}</td><td class="num">{w.matched}</td></tr>')


def waivers_section(page: Page, w: WaiversUsed, notes: list[str]) -> str:
    applied = sum(x.status == "applied" for x in w.entries)
    open_ = [x for x in w.entries if x.status != "applied"]
    head = "".join(f"<th>{page.lb(k)}</th>" for k in (
        "status", "waiver", "rule", "scope", "justification", "approver", "expires"))
    table = (f'<table class="waivers-open"><thead><tr>{head}'
             f'<th class="num">{page.lb("matched")}</th></tr></thead><tbody>'
             + "".join(_waiver_row(page, x) for x in open_) + "</tbody></table>"
             if open_ else f"<p>{page.lb('none')}</p>")
    rows = [(page.lb("waivers_file"), file_and_sum(w.file, w.sha256)),
            (page.lb("expiry_judged"), esc(w.today.isoformat()))]
    scope = "".join(f'<p class="waiver-scope">⚠ {esc(note)}</p>' for note in notes)
    return (f'<section class="appendix" id="waivers"><h2>{page.lb("waivers_section")}</h2>'
            f'{dl(rows)}<p class="waivers-applied">{page.lb("waivers_applied", n=applied)}</p>'
            f'{scope}<h3>{page.lb("waivers_open")} ({len(open_)})</h3>{table}</section>')


