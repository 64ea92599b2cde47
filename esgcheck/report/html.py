"""HTML for an auditor's file: one self-contained page per run.

The page puts each filing's grade up front, charts its findings by section and
severity, and then lists every finding with its citation, location, the values
read, the remediation, any waiver and the proof tree. It loads nothing: the
styles are inline, the chart is inline SVG, there is no script, and a
Content-Security-Policy forbids every network load. Everything taken from a
filing, a rule base or a user's file is escaped. It prints as a report: the
proof trees expand, the interactive parts disappear, each filing starts a page.
The same report and options give the same page, byte for byte.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from esgcheck.engine.findings import (
    BaselineUsed,
    ConfigurationUsed,
    Counts,
    Evidence,
    FilingReport,
    Finding,
    InputProblem,
    Location,
    ProofNode,
    Report,
    RuleBaseUsed,
    WaiverApplied,
    WaiverStatus,
    WaiversUsed,
)
from esgcheck.engine.model import SEVERITIES
from esgcheck.messages import message, words
from esgcheck.report import RenderOptions, waiver_notes
from esgcheck.safetext import visible

# The page's own words, (zh, en); the report's words come from esgcheck.messages.
LABELS: dict[str, tuple[str, str]] = {
    "title": ("ESG 披露合规检查报告", "ESG disclosure compliance report"),
    "tool": ("工具", "tool"),
    "schema_version": ("报告格式版本", "report schema version"),
    "configuration": ("配置", "configuration"),
    "defaults": ("默认配置（未提供配置文件）", "defaults (no configuration file given)"),
    "config_values": ("各规则库的配置取值", "configuration values of each rule base"),
    "unknown_value": ("尚未确定", "not known yet"),
    "user_rows": ("用户提供的参考数据", "reference rows from the user's file"),
    "rows": ("{n} 行", "{n} rows"),
    "waivers_file": ("豁免文件", "waivers file"),
    "expiry_judged": ("到期判断日", "expiry judged on"),
    "baseline_file": ("基线文件", "baseline file"),
    "summary": ("汇总", "summary"),
    "overall": ("总体情况", "overall"),
    "filing_type": ("申报类型", "filing type"),
    "read_as": ("原始格式", "read from"),
    "status": ("状态", "status"),
    "as_of_source": ("取自", "taken from"),
    "as_of_option": ("取自命令行选项 --as-of", "given by the --as-of option"),
    "rules_evaluated": ("已评估规则数", "rules evaluated"),
    "section": ("章节", "section"),
    "section_grades": ("各章节评级", "section grades"),
    "chart": ("按章节和严重程度统计的发现", "findings by section and severity"),
    "finding_title": ("标题", "title"),
    "rule_severity": ("规则严重程度：{severity}", "rule severity: {severity}"),
    "notes": ("备注", "notes"),
    "note": ("备注", "note"),
    "fingerprint": ("指纹", "fingerprint"),
    "name": ("名称", "name"),
    "value": ("值", "value"),
    "unit": ("单位", "unit"),
    "line": ("行", "line"),
    "location_absent": ("该位置在申报文件中不存在，行列号指向其所在对象",
                        "not in the filing; line and column give the enclosing object"),
    "error_code": ("错误代码", "error code"),
    "waiver": ("豁免", "waiver"),
    "justification": ("理由", "justification"),
    "approver": ("批准人", "approver"),
    "ticket": ("工单", "ticket"),
    "expires": ("到期日", "expires"),
    "defined_in": ("定义于", "defined in"),
    "waivers_section": ("豁免清单", "waivers"),
    "waivers_applied": ("已适用的豁免条目：{n}", "waiver entries applied: {n}"),
    "waivers_open": ("已过期或未使用的豁免条目", "expired and unused waiver entries"),
    "applied": ("已适用", "applied"),
    "expired": ("已过期", "expired"),
    "unused": ("未使用", "unused"),
    "scope": ("适用范围", "scope"),
    "matched": ("匹配的发现数", "findings matched"),
    "baseline": ("基线", "baseline"),
    "baseline_known": ("基线中已知、未列入本报告的发现：{n}",
                       "findings the baseline knew, left out of this report: {n}"),
    "baseline_fixed": ("已修复（基线中有、本次未发现）",
                       "fixed (in the baseline, no longer found)"),
    "none": ("无", "none"),
    "back": ("返回汇总", "back to the summary"),
    "chart_empty": ("没有需要统计的发现", "no findings to chart"),
}

KEYS: tuple[str, ...] = (*SEVERITIES, "not_assessable", "waived")
CHART_KEYS: tuple[str, ...] = (*SEVERITIES, "not_assessable")
NO_SECTION = "—"

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'")
_COLORS = {"critical": "#b91c1c", "major": "#a21caf", "minor": "#b45309", "info": "#1d4ed8",
           "not_assessable": "#0e7490", "waived": "#6b7280"}
_GRADE_COLORS = {"A": "#15803d", "B": "#b45309", "C": "#a21caf", "D": "#b91c1c",
                 "N": "#0e7490"}
_FONT = ('system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans CJK SC", "PingFang SC", '
         '"Microsoft YaHei", sans-serif')
_MONO = ('ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", '
         'monospace')

_CSS = """
:root { --rule: #d4d4d8; --muted: #52525b; --ink: #18181b; --paper: #fff; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f5; color: var(--ink); font: 15px/1.55 FONT; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem; }
main > header, main > section { background: var(--paper); border: 1px solid var(--rule);
  border-radius: 6px; padding: 1.25rem 1.5rem; margin-bottom: 1.25rem; }
h1 { font-size: 1.5rem; margin: 0 0 .75rem; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; overflow-wrap: anywhere; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; padding-bottom: .2rem;
  border-bottom: 1px solid var(--rule); }
h4 { font-size: .95rem; margin: 1rem 0 .25rem; }
code { font-family: MONO; font-size: .88em; overflow-wrap: anywhere; }
a { color: #1e40af; }
.muted { color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
  margin: .25rem 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
dl.meta ul, .finding ul { margin: 0; padding-left: 1.2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .92em; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--rule);
  vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; color: var(--muted); white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.k-critical { --c: COLOR_critical; } .k-major { --c: COLOR_major; }
.k-minor { --c: COLOR_minor; } .k-info { --c: COLOR_info; }
.k-not_assessable { --c: COLOR_not_assessable; } .k-waived { --c: COLOR_waived; }
.g-A { --g: GRADE_A; } .g-B { --g: GRADE_B; } .g-C { --g: GRADE_C; }
.g-D { --g: GRADE_D; } .g-N { --g: GRADE_N; }
.badge { display: inline-block; padding: 0 .45em; border-radius: 3px; background: var(--c, #3f3f46);
  color: #fff; font-size: .8em; font-weight: 600; line-height: 1.6; white-space: nowrap; }
.grade { display: inline-flex; align-items: center; gap: .75rem; margin: .75rem 0;
  padding: .35rem 1rem .35rem .35rem; border: 2px solid var(--g, #3f3f46); border-radius: 6px; }
.grade-letter { display: inline-block; min-width: 2.6rem; text-align: center; font-size: 1.8rem;
  font-weight: 700; line-height: 1.4; border-radius: 4px; background: var(--g, #3f3f46);
  color: #fff; }
.grade-label { color: var(--g, #3f3f46); font-weight: 600; font-size: 1.1rem; }
.grade-mini { display: inline-block; min-width: 1.6em; text-align: center; font-weight: 700;
  border-radius: 3px; background: var(--g, #3f3f46); color: #fff; }
ul.counts { list-style: none; display: flex; flex-wrap: wrap; gap: .35rem .9rem; padding: 0;
  margin: .25rem 0; }
.status { font-weight: 600; }
.error { color: #991b1b; font-weight: 600; }
.finding { border: 1px solid var(--rule); border-left: 4px solid var(--c, #3f3f46);
  border-radius: 4px; padding: .5rem .9rem; margin: .6rem 0; background: #fcfcfc; }
.finding > header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem; }
.finding-title { font-weight: 600; }
.finding .message { margin: .35rem 0; }
.finding dl.meta { font-size: .92em; }
.absent { font-weight: 600; color: #991b1b; }
.loc > span + span { margin-left: .75rem; }
details { margin: .4rem 0; }
summary { cursor: pointer; color: var(--muted); font-weight: 600; }
ul.proof, ul.proof ul { list-style: none; padding-left: 1.1rem; margin: .2rem 0; }
ul.proof { padding-left: 0; }
ul.proof ul > li::before { content: "└ "; color: var(--muted); }
svg.chart { display: block; width: 100%; max-width: 680px; height: auto; margin: .5rem 0; }
svg.chart text { font: 12px FONT; fill: #27272a; }
.waiver { border-top: 1px dashed var(--rule); margin-top: .4rem; padding-top: .3rem; }
@media print {
  @page { margin: 14mm; }
  body { background: #fff; color: #000; font-size: 10pt; }
  main { max-width: none; padding: 0; }
  main > header, main > section { border: 0; border-radius: 0; padding: 0; margin: 0 0 1rem; }
  main.multi > section.filing, main > section.appendix { break-before: page; }
  .screen-only { display: none !important; }
  details::details-content { content-visibility: visible; }
  summary { list-style: none; color: #000; cursor: auto; }
  summary::-webkit-details-marker { display: none; }
  a { color: #000; text-decoration: none; }
  .muted, th, dl.meta dt, .error, .absent, .grade-label, svg.chart text { color: #000; fill: #000; }
  .badge, .grade-letter, .grade-mini { background: #fff; color: #000; border: 1px solid #000; }
  .grade { border-color: #000; }
  .finding { background: #fff; border-color: #000; break-inside: avoid-page; }
  h2, h3, h4 { break-after: avoid-page; }
  svg.chart { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""


def _css() -> str:
    css = _CSS.replace("MONO", _MONO).replace("FONT", _FONT)
    for key, color in _COLORS.items():
        css = css.replace(f"COLOR_{key};", f"{color};")
    for grade, color in _GRADE_COLORS.items():
        css = css.replace(f"GRADE_{grade};", f"{color};")
    return css.strip()


def _e(value: object) -> str:
    """Text for the page: control and bidirectional characters shown as
    escapes (a value can neither reorder nor hide what the auditor reads),
    then HTML-escaped."""
    return html.escape(visible(str(value)), quote=True)


def key_of(f: Finding) -> str:
    """The group a finding is counted in: its severity when a breach, else its outcome."""
    return f.severity if f.outcome == "breach" else f.outcome


def sections_of(r: FilingReport) -> list[str]:
    """The sections holding findings: the rule bases' order first, then any
    others as they come, and findings without a section last."""
    found = [f.section or NO_SECTION for f in r.findings]
    order = [s for s in r.section_grades if s in found]
    order += [s for s in dict.fromkeys(found) if s not in order and s != NO_SECTION]
    return order + ([NO_SECTION] if NO_SECTION in found else [])


def chart_rows(r: FilingReport) -> list[tuple[str, dict[str, int]]]:
    """One row per section with a charted finding: its count per severity and
    not assessable (waived findings are not charted)."""
    rows = []
    for section in sections_of(r):
        counts = dict.fromkeys(CHART_KEYS, 0)
        for f in r.findings:
            if (f.section or NO_SECTION) == section and key_of(f) in counts:
                counts[key_of(f)] += 1
        if any(counts.values()):
            rows.append((section, counts))
    return rows


@dataclass
class _Page:
    lang: str
    explain: bool
    urls: dict[tuple[str, str], str] = field(default_factory=dict)

    def label(self, key: str, **params: object) -> str:
        """One of the page's own words (LABELS, else the tool's messages)."""
        return words(LABELS, key, self.lang, **params)

    def word(self, key: str, **params: object) -> str:
        """A word of esgcheck.messages in the page's language."""
        return message(key, self.lang, **params)

    def lb(self, key: str, **params: object) -> str:
        return _e(self.label(key, **params))

    def wd(self, key: str, **params: object) -> str:
        return _e(self.word(key, **params))

    def open_attr(self) -> str:
        return " open" if self.explain else ""


def _dl(rows: Iterable[tuple[str, str]], cls: str = "meta") -> str:
    """A definition list of (escaped label, HTML value) rows."""
    items = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return f'<dl class="{cls}">{items}</dl>'


def _badge(page: _Page, key: str) -> str:
    return f'<span class="badge k-{key}">{page.wd(key)}</span>'


def _counts(page: _Page, counts: Counts) -> str:
    items = "".join(
        f'<li data-key="{key}">{_badge(page, key)} <span class="num">{getattr(counts, key)}</span>'
        "</li>" for key in KEYS)
    return f'<ul class="counts">{items}</ul>'


def _grade_badge(page: _Page, r: FilingReport) -> str:
    if r.grade is None:
        return ""
    label = r.grade_label.get(page.lang) if r.grade_label else ""
    return (f'<div class="grade g-{_e(r.grade)}" data-grade="{_e(r.grade)}" '
            f'title="{page.wd("grade")}"><span class="grade-letter">{_e(r.grade)}</span>'
            f'<span class="grade-label">{_e(label)}</span></div>')


def _mini_grade(grade: str) -> str:
    return f'<span class="grade-mini g-{_e(grade)}" data-grade="{_e(grade)}">{_e(grade)}</span>'


# ---------------------------------------------------------------- header

def _rulebases(report: Report) -> list[RuleBaseUsed]:
    seen: dict[tuple[str, str | None], RuleBaseUsed] = {}
    for r in report.filings:
        for rb in r.rulebases:
            seen.setdefault((rb.id, rb.version), rb)
    return list(seen.values())


def _rulebase_text(page: _Page, rb: RuleBaseUsed) -> str:
    state = (_e(rb.version) if rb.in_force and rb.version
             else _e(message("data_checks", page.lang, version=rb.version))
             if rb.ran == "data_checks" else page.wd("not_in_force"))
    return f"<code>{_e(rb.id)}</code> {state} — {_e(rb.title.get(page.lang))}"


def _configuration(page: _Page, configs: list[ConfigurationUsed]) -> str:
    files = [c for c in configs if c.file is not None]
    if not files:
        return page.lb("defaults")
    return "<ul>" + "".join(
        f"<li><code>{_e(c.rulebase)}</code>: <code>{_e(c.file)}</code> "
        f'<span class="muted">SHA-256 <code>{_e(c.sha256 or "")}</code></span></li>'
        for c in files) + "</ul>"


def _config_values(page: _Page, configs: list[ConfigurationUsed]) -> str:
    if not any(c.values or c.data for c in configs):
        return ""
    parts = [f'<details class="config"{page.open_attr()}><summary>{page.lb("config_values")}'
             '</summary>']
    for c in configs:
        rows = "".join(
            f"<tr><td><code>{_e(k)}</code></td><td>"
            f"{_e(v) if v is not None else page.lb('unknown_value')}</td></tr>"
            for k, v in c.values.items())
        parts.append(f"<h4><code>{_e(c.rulebase)}</code></h4><table><thead><tr>"
                     f"<th>{page.lb('name')}</th><th>{page.lb('value')}</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table>")
        if c.data:
            tables = ", ".join(f"<code>{_e(name)}</code> ({page.lb('rows', n=len(rows_))})"
                               for name, rows_ in c.data.items())
            parts.append(f"<p>{page.lb('user_rows')}: {tables}</p>")
    parts.append("</details>")
    return "".join(parts)


def _as_of_dates(report: Report) -> list[date]:
    return sorted({r.as_of for r in report.filings if r.as_of is not None})


def _header(page: _Page, report: Report) -> str:
    rulebases = "".join(f"<li>{_rulebase_text(page, rb)}</li>" for rb in _rulebases(report))
    rows = [
        (page.lb("tool"), f"{_e(report.tool.name)} {_e(report.tool.version)}"),
        (page.lb("schema_version"), _e(report.schema_version)),
        (page.wd("as_of"), ", ".join(d.isoformat() for d in _as_of_dates(report))
         or page.lb("none")),
        (page.wd("rulebase"), f"<ul>{rulebases}</ul>" if rulebases else page.lb("none")),
        (page.lb("configuration"), _configuration(page, report.configuration)),
    ]
    if report.waivers is not None:
        rows.append((page.lb("waivers_file"), _file_and_sum(report.waivers.file,
                                                            report.waivers.sha256)))
        rows.append((page.lb("expiry_judged"), _e(report.waivers.today.isoformat())))
    if report.baseline is not None:
        rows.append((page.lb("baseline_file"), _file_and_sum(report.baseline.file,
                                                             report.baseline.sha256)))
    return (f'<header class="report"><h1>{page.lb("title")}</h1>{_dl(rows)}'
            f"{_config_values(page, report.configuration)}</header>")


def _file_and_sum(file: str, sha256: str) -> str:
    return f'<code>{_e(file)}</code> <span class="muted">SHA-256 <code>{_e(sha256)}</code></span>'


# ---------------------------------------------------------------- summary

def _summary_row(page: _Page, n: int, r: FilingReport) -> str:
    grade = _mini_grade(r.grade) if r.grade is not None else (
        f'<span class="status">{page.wd(r.status)}</span>')
    cells = "".join(f'<td class="num">{getattr(r.counts, key)}</td>' for key in KEYS)
    return (f'<tr data-status="{_e(r.status)}"><td class="num">{n}</td>'
            f'<td><a href="#filing-{n}"><code>{_e(r.file)}</code></a></td>'
            f"<td>{_e(r.filing_type or '—')}</td><td>{grade}</td>{cells}</tr>")


def _summary(page: _Page, report: Report) -> str:
    head = "".join(f'<th class="num">{_badge(page, key)}</th>' for key in KEYS)
    rows = "".join(_summary_row(page, n, r) for n, r in enumerate(report.filings, 1))
    s = report.summary
    grades = " ".join(f"{_mini_grade(g)}×{n}" for g, n in s.grades.items()) or "—"
    overall = [
        (page.wd("files"), str(s.files)),
        (page.wd("checked"), str(s.checked)),
        (page.wd("failed"), str(s.failed)),
        (page.wd("unreadable"), str(s.unreadable)),
        (page.wd("not_assessed"), str(s.not_assessed)),
        (page.wd("grade"), grades),
        (page.wd("findings"), _counts(page, s.counts)),
    ]
    return (f'<section class="summary" id="summary"><h2>{page.lb("summary")}</h2>'
            f'<table class="summary-table"><thead><tr><th class="num">#</th>'
            f"<th>{page.lb('file')}</th><th>{page.lb('filing_type')}</th>"
            f"<th>{page.wd('grade')}</th>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f'<h3>{page.lb("overall")}</h3>{_dl(overall)}</section>')


# ---------------------------------------------------------------- chart

_CHART_WIDTH = 680
_LABEL_WIDTH = 150
_BAR_SPACE = 440
_ROW = 26
_BAR = 16
_LEGEND_STEP = 130


def _chart(page: _Page, r: FilingReport, n: int) -> str:
    rows = chart_rows(r)
    if not rows:
        return f'<p class="muted">{page.lb("chart_empty")}</p>'
    biggest = max(sum(c.values()) for _, c in rows)
    height = len(rows) * _ROW + 40
    summary = "; ".join(
        f"{section}: " + ", ".join(f"{page.word(k)} {v}" for k, v in counts.items() if v)
        for section, counts in rows)
    label = f"{page.label('chart')} — {summary}"
    bars = "".join(_bar(page, i, section, counts, biggest) for i, (section, counts)
                   in enumerate(rows))
    return (f'<svg class="chart" id="chart-{n}" role="img" aria-label="{_e(label)}" '
            f'viewBox="0 0 {_CHART_WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{_e(label)}</title>{bars}{_legend(page, len(rows) * _ROW + 14)}</svg>")


def _bar(page: _Page, i: int, section: str, counts: dict[str, int], biggest: int) -> str:
    y = 6 + i * _ROW
    name = section if len(section) <= 22 else section[:21] + "…"
    parts = [f'<g class="bar" data-section="{_e(section)}">',
             f'<text x="{_LABEL_WIDTH - 8}" y="{y + 12}" text-anchor="end">{_e(name)}</text>']
    x = float(_LABEL_WIDTH)
    for key, count in counts.items():
        if not count:
            continue
        width = count / biggest * _BAR_SPACE
        parts.append(
            f'<rect class="seg" data-key="{key}" data-count="{count}" x="{x:.2f}" y="{y}" '
            f'width="{width:.2f}" height="{_BAR}" fill="{_COLORS[key]}">'
            f"<title>{_e(section)} — {page.wd(key)}: {count}</title></rect>")
        x += width
    parts.append(f'<text x="{x + 6:.2f}" y="{y + 12}">{sum(counts.values())}</text></g>')
    return "".join(parts)


def _legend(page: _Page, y: int) -> str:
    items = "".join(
        f'<g class="legend-item" data-key="{key}">'
        f'<rect x="{10 + i * _LEGEND_STEP}" y="{y}" width="12" height="12" '
        f'fill="{_COLORS[key]}"></rect>'
        f'<text x="{28 + i * _LEGEND_STEP}" y="{y + 11}">{page.wd(key)}</text></g>'
        for i, key in enumerate(CHART_KEYS))
    return f'<g class="legend">{items}</g>'


# ---------------------------------------------------------------- findings

def _location(page: _Page, loc: Location) -> str:
    parts = [f'<span class="loc-place"><code>{_e(loc.place())}</code></span>']
    if loc.xpath:
        parts.append(f'<span class="loc-xpath">XPath <code>{_e(loc.xpath)}</code></span>')
    parts.append(f'<span class="loc-pointer">JSON Pointer <code>{_e(loc.pointer or "/")}</code>'
                 "</span>")
    if not loc.exists:
        parts.append(f'<span class="loc-absent"><span class="absent">{page.wd("absent")}'
                     f'</span> <span class="muted">{page.lb("location_absent")}</span></span>')
    return f'<span class="loc">{"".join(parts)}</span>'


def _value(page: _Page, e: Evidence) -> tuple[str, str]:
    """The value as displayed, and its unit when the display does not end in it."""
    if not e.present:
        return f'<span class="absent">{page.wd("absent")}</span>', ""
    display, unit = e.display, e.unit or ""
    if unit and display.endswith(f" {unit}"):
        display = display[: -len(unit) - 1]
    elif unit and unit in display:
        unit = ""
    return _e(display), _e(unit)


def _evidence_name(e: Evidence) -> str:
    return f"facts.{e.name}" if e.source == "fact" else e.name


def _evidence_table(page: _Page, evidence: list[Evidence]) -> str:
    if not evidence:
        return ""
    rows = []
    for e in evidence:
        value, unit = _value(page, e)
        line = e.location.line if e.source != "fact" and e.location is not None else None
        rows.append(f'<tr data-source="{_e(e.source)}"><td><code>{_e(_evidence_name(e))}</code>'
                    f'</td><td>{value}</td><td>{unit}</td><td class="num">{line or ""}</td></tr>')
    return (f'<h4>{page.wd("evidence")}</h4><table class="evidence"><thead><tr>'
            f"<th>{page.lb('name')}</th><th>{page.lb('value')}</th><th>{page.lb('unit')}</th>"
            f'<th class="num">{page.lb("line")}</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _evidence_item(page: _Page, e: Evidence) -> str:
    value, unit = _value(page, e)
    text = f"<code>{_e(_evidence_name(e))}</code> = {value}{' ' + unit if unit else ''}"
    if e.source != "fact" and e.location is not None and e.location.line is not None:
        text += f' <span class="muted">({page.wd("at_line", n=e.location.line)})</span>'
    return f'<li class="proof-evidence">{text}</li>'


def _proof_node(page: _Page, node: ProofNode) -> str:
    rules = ", ".join(f"<code>{_e(rule)}</code>" for rule in node.rules) or page.wd("not_derived")
    entity = f' <span class="muted">@ <code>{_e(node.entity)}</code></span>' if node.entity else ""
    inner = [_evidence_item(page, e) for e in node.evidence]
    inner += [f'<li class="proof-note">{page.lb("note")}: {_e(note)}</li>' for note in node.notes]
    inner += [_proof_node(page, child) for child in node.because]
    below = f"<ul>{''.join(inner)}</ul>" if inner else ""
    return (f'<li class="proof-fact"><code>facts.{_e(node.fact)} = {_e(node.value)}</code>'
            f"{entity} ← {rules}{below}</li>")


def _proof(page: _Page, f: Finding) -> str:
    if not f.derivation:
        return ""
    nodes = "".join(_proof_node(page, node) for node in f.derivation)
    return (f'<details class="proof"{page.open_attr()}><summary>{page.wd("because")}</summary>'
            f'<ul class="proof">{nodes}</ul></details>')


def _waiver(page: _Page, w: WaiverApplied) -> str:
    place = w.file + (f":{w.line}" if w.line is not None else "")
    rows = [
        (page.lb("justification"), _e(w.justification)),
        (page.lb("approver"), _e(w.approver)),
        (page.lb("ticket"), _e(w.ticket or "—")),
        (page.lb("expires"), _e(w.expires.isoformat())),
        (page.lb("defined_in"), f"<code>{_e(w.id)}</code> — <code>{_e(place)}</code>"),
    ]
    return f'<div class="waiver"><h4>{page.lb("waiver")}</h4>{_dl(rows)}</div>'


def _citation(page: _Page, f: Finding) -> str:
    text = _e(f.citation.text.get(page.lang))
    url = page.urls.get((f.rulebase, f.rule_id))
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{_e(url)}" rel="noreferrer noopener">{text}</a>'
    return text


def _finding_meta(page: _Page, f: Finding) -> list[tuple[str, str]]:
    rows = [
        (page.wd("citation"), _citation(page, f)),
        (page.wd("location"), _location(page, f.location)),
        (page.wd("rulebase"), f"<code>{_e(f.rulebase)}</code> {_e(f.rulebase_version)}"),
    ]
    if f.remediation is not None:
        rows.append((page.wd("remediation"), _e(f.remediation.get(page.lang))))
    if f.notes:
        rows.append((page.lb("notes"), "<ul>" + "".join(
            f"<li>{_e(note)}</li>" for note in f.notes) + "</ul>"))
    if f.fingerprint:
        rows.append((page.lb("fingerprint"), f'<code class="muted">{_e(f.fingerprint)}</code>'))
    return rows


def _finding(page: _Page, f: Finding, ident: str) -> str:
    key = key_of(f)
    severity = ("" if f.outcome == "breach" else
                f' <span class="muted">{page.lb("rule_severity", severity=page.word(f.severity))}'
                "</span>")
    head = (f"<header>{_badge(page, key)}{severity} <code class=\"rule-id\">{_e(f.rule_id)}"
            f'</code> <span class="finding-title">{_e(f.title.get(page.lang))}</span></header>')
    waiver = _waiver(page, f.waiver) if f.waiver is not None else ""
    return (f'<article class="finding k-{key}" id="{ident}" data-key="{key}" '
            f'data-rule="{_e(f.rule_id)}" data-section="{_e(f.section or NO_SECTION)}">{head}'
            f'<p class="message">{_e(f.message.get(page.lang))}</p>'
            f"{_dl(_finding_meta(page, f))}{_evidence_table(page, f.evidence)}{waiver}"
            f"{_proof(page, f)}</article>")


def _section_findings(page: _Page, r: FilingReport, n: int, section: str) -> Iterator[str]:
    grade = r.section_grades.get(section)
    mark = f" {_mini_grade(grade)}" if grade is not None else ""
    yield (f'<h3 class="section-heading" data-section="{_e(section)}">{page.lb("section")}: '
           f"{_e(section)}{mark}</h3>")
    for key in KEYS:
        items = [(i, f) for i, f in enumerate(r.findings, 1)
                 if (f.section or NO_SECTION) == section and key_of(f) == key]
        if not items:
            continue
        yield f'<h4 class="group">{_badge(page, key)} ({len(items)})</h4>'
        for i, f in items:
            yield _finding(page, f, f"finding-{n}-{i}")


# ---------------------------------------------------------------- filings

def _as_of(page: _Page, r: FilingReport) -> str:
    if r.as_of is None:
        return "—"
    source = ""
    if r.as_of_source == "option":
        source = f' <span class="muted">({page.lb("as_of_option")})</span>'
    elif r.as_of_source:
        source = (f' <span class="muted">({page.lb("as_of_source")} '
                  f"<code>{_e(r.as_of_source)}</code>)</span>")
    return _e(r.as_of.isoformat()) + source


def _filing_meta(page: _Page, r: FilingReport) -> list[tuple[str, str]]:
    rows = [(page.lb("status"), f'<span class="status">{page.wd(r.status)}</span>')]
    if r.filing_type:
        kind = f"<code>{_e(r.filing_type)}</code>"
        if r.format:
            kind += f" ({_e(r.format.upper())})"
        rows.append((page.lb("filing_type"), kind))
    if r.read_as:
        rows.append((page.lb("read_as"), _e(r.read_as)))
    if r.status == "checked":
        rows.append((page.wd("as_of"), _as_of(page, r)))
        rows.append((page.lb("rules_evaluated"), str(r.rules_evaluated)))
    if r.baselined:
        rows.append((page.lb("baseline"),
                     f'<span class="baselined">{page.wd("baselined", n=r.baselined)}</span>'))
    if r.rulebases:
        rows.append((page.wd("rulebase"), "<ul>" + "".join(
            f"<li>{_rulebase_text(page, rb)}</li>" for rb in r.rulebases) + "</ul>"))
    return rows


def _problem(page: _Page, problem: InputProblem) -> str:
    rows = [(page.lb("error_code"), f"<code>{_e(problem.code)}</code>")]
    if problem.location is not None:
        rows.append((page.wd("location"), _location(page, problem.location)))
    return (f'<div class="problem"><p class="error">{_e(problem.message.get(page.lang))}</p>'
            f"{_dl(rows)}</div>")


def _section_grades(page: _Page, r: FilingReport) -> str:
    if not r.section_grades:
        return ""
    items = "".join(f"<li>{_e(s)} {_mini_grade(g)}</li>" for s, g in r.section_grades.items())
    return (f'<h4>{page.lb("section_grades")}</h4>'
            f'<ul class="counts section-grades">{items}</ul>')


def _filing(page: _Page, r: FilingReport, n: int, multi: bool) -> str:
    back = (f'<p class="screen-only back"><a href="#summary">↑ {page.lb("back")}</a></p>'
            if multi else "")
    parts = [f'<section class="filing" id="filing-{n}" data-status="{_e(r.status)}">',
             f"<h2><code>{_e(r.file)}</code></h2>", _grade_badge(page, r),
             _dl(_filing_meta(page, r))]
    if r.error is not None:
        parts.append(_problem(page, r.error))
    if r.status == "checked":
        parts += [f'<h4>{page.wd("findings")}</h4>', _counts(page, r.counts),
                  _section_grades(page, r), f'<h4>{page.lb("chart")}</h4>',
                  _chart(page, r, n)]
        for section in sections_of(r):
            parts.extend(_section_findings(page, r, n, section))
        if not r.findings:
            parts.append(f'<p class="no-findings">{page.wd("no_findings")}</p>')
    parts += [back, "</section>"]
    return "".join(parts)


# ---------------------------------------------------------------- baseline and waivers

def _baseline(page: _Page, b: BaselineUsed) -> str:
    rows = "".join(
        f"<tr><td><code>{_e(x.rule_id)}</code></td><td><code>{_e(x.file)}</code></td>"
        f"<td><code>{_e(x.pointer or '/')}</code></td>"
        f"<td>{_badge(page, x.severity) if x.severity else ''}</td>"
        f"<td>{_e(x.title.get(page.lang)) if x.title else ''}</td></tr>" for x in b.fixed)
    table = (f'<table class="baseline-fixed"><thead><tr><th>{page.lb("rule")}</th>'
             f"<th>{page.lb('file')}</th><th>JSON Pointer</th><th>{page.lb('severity')}</th>"
             f"<th>{page.lb('finding_title')}</th></tr></thead><tbody>{rows}</tbody></table>"
             if b.fixed else f"<p>{page.lb('none')}</p>")
    return (f'<section class="appendix" id="baseline"><h2>{page.lb("baseline")}</h2>'
            f"{_dl([(page.lb('baseline_file'), _file_and_sum(b.file, b.sha256))])}"
            f'<p class="baseline-known">{page.lb("baseline_known", n=b.known)}</p>'
            f'<h3>{page.lb("baseline_fixed")} ({len(b.fixed)})</h3>{table}</section>')


def _waiver_row(page: _Page, w: WaiverStatus) -> str:
    scope = f"<code>{_e(w.filings)}</code>" + (f" <code>{_e(w.path)}</code>" if w.path else "")
    line = f' <span class="muted">({page.wd("at_line", n=w.line)})</span>' if w.line else ""
    ticket = f' <span class="muted">{_e(w.ticket)}</span>' if w.ticket else ""
    return (f'<tr data-status="{_e(w.status)}"><td><span class="status">{page.lb(w.status)}'
            f"</span></td><td><code>{_e(w.id)}</code>{line}</td><td><code>{_e(w.rule)}</code></td>"
            f"<td>{scope}</td><td>{_e(w.justification)}</td><td>{_e(w.approver)}{ticket}</td>"
            f'<td>{_e(w.expires.isoformat())}</td><td class="num">{w.matched}</td></tr>')


def _waivers(page: _Page, w: WaiversUsed, notes: list[str]) -> str:
    applied = sum(x.status == "applied" for x in w.entries)
    open_ = [x for x in w.entries if x.status != "applied"]
    head = "".join(f"<th>{page.lb(k)}</th>" for k in (
        "status", "waiver", "rule", "scope", "justification", "approver", "expires"))
    table = (f'<table class="waivers-open"><thead><tr>{head}'
             f'<th class="num">{page.lb("matched")}</th></tr></thead><tbody>'
             + "".join(_waiver_row(page, x) for x in open_) + "</tbody></table>"
             if open_ else f"<p>{page.lb('none')}</p>")
    rows = [(page.lb("waivers_file"), _file_and_sum(w.file, w.sha256)),
            (page.lb("expiry_judged"), _e(w.today.isoformat()))]
    scope = "".join(f'<p class="waiver-scope">⚠ {_e(note)}</p>' for note in notes)
    return (f'<section class="appendix" id="waivers"><h2>{page.lb("waivers_section")}</h2>'
            f'{_dl(rows)}<p class="waivers-applied">{page.lb("waivers_applied", n=applied)}</p>'
            f'{scope}<h3>{page.lb("waivers_open")} ({len(open_)})</h3>{table}</section>')


# ---------------------------------------------------------------- page

def _title(page: _Page, report: Report) -> str:
    title = page.label("title")
    if len(report.filings) == 1:
        title += f" — {report.filings[0].file}"
    return _e(title)


def _head(page: _Page, report: Report) -> str:
    return ('<head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="color-scheme" content="light">'
            f'<meta name="generator" content="{_e(report.tool.name)} {_e(report.tool.version)}">'
            f"<title>{_title(page, report)}</title><style>{_css()}</style></head>")


def render(report: Report, options: RenderOptions) -> str:
    page = _Page(lang=options.lang, explain=options.explain,
                 urls={(r.rulebase, r.id): r.url for r in report.rules if r.url})
    multi = len(report.filings) > 1
    body = [_header(page, report)]
    if multi:
        body.append(_summary(page, report))
    body += [_filing(page, r, n, multi) for n, r in enumerate(report.filings, 1)]
    if report.waivers is not None:
        body.append(_waivers(page, report.waivers,
                             [note for _, note in waiver_notes(report, options.lang)]))
    if report.baseline is not None:
        body.append(_baseline(page, report.baseline))
    lang = "zh-CN" if options.lang == "zh" else "en"
    main_class = ' class="multi"' if multi else ""
    return (f'<!DOCTYPE html>\n<html lang="{lang}">{_head(page, report)}\n'
            f"<body><main{main_class}>\n" + "\n".join(body) + "\n</main></body></html>\n")
