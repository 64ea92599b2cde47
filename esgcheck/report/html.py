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

import base64
import functools
import hashlib
import html
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from esgcheck.engine import grading
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
from esgcheck.report import RenderOptions, selection_lines, waiver_notes
from esgcheck.safetext import visible

# The page's own words, (zh, en); the report's words come from esgcheck.messages.
LABELS: dict[str, tuple[str, str]] = {
    "title": ("ESG 披露合规检查报告", "ESG disclosure compliance report"),
    "tool": ("工具", "tool"),
    "schema_version": ("报告格式版本", "report schema version"),
    "configuration": ("配置", "configuration"),
    "selection": ("配置文件与规则选择", "configuration file and rule selection"),
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
    "run": ("本次检查所用", "what this run used"),
    "rules_failed": ("按未通过申报数排列的规则", "rules by filings failed"),
    "filings_failed": ("未通过的申报", "filings failed"),
    "filings_with": ("有发现的申报", "filings with a finding"),
    "filter": ("筛选", "filter"),
    "filter_hint": ("文件名、类型或等级", "file name, type or grade"),
    "all_grades": ("全部", "all"),
    "shown": ("显示 {n} / {total}", "{n} of {total} shown"),
    "totals": ("合计", "totals"),
    "sort_by": ("按此列排序", "sort by this column"),
}

KEYS: tuple[str, ...] = (*SEVERITIES, "not_assessable", "waived")
CHART_KEYS: tuple[str, ...] = (*SEVERITIES, "not_assessable")
# the order findings are listed in, worst first (as the grades go: D, C, N, B)
GROUPS: tuple[str, ...] = ("critical", "major", "not_assessable", "minor", "info", "waived")
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
details { margin: .4rem 0; }
summary { cursor: pointer; color: var(--muted); font-weight: 600; }
ul.proof, ul.proof ul { list-style: none; padding-left: 1.1rem; margin: .2rem 0; }
ul.proof { padding-left: 0; }
ul.proof ul > li::before { content: "└ "; color: var(--muted); }
svg.chart { display: block; width: 100%; max-width: 680px; height: auto; margin: .5rem 0; }
svg.chart text { font: 12px FONT; fill: #27272a; }
.waiver { border-top: 1px dashed var(--rule); margin-top: .4rem; padding-top: .3rem; }
.section-name { font-size: .85em; }
.finding p.loc { margin: .2rem 0; font-size: .92em; overflow-wrap: anywhere; }
nav.back { position: fixed; right: 1rem; bottom: 1rem; background: var(--paper);
  border: 1px solid var(--rule); border-radius: 4px; padding: .2rem .6rem; }
p.meta { margin: .2rem 0; font-size: .92em; color: var(--muted); }
ul.evidence { margin: .2rem 0; padding-left: 1.2rem; font-size: .92em; }
.cite { font-size: .9em; }
.filter { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
.filter input { min-width: 16rem; }
table.summary-table td:first-child, table.summary-table td:nth-child(n+5),
table.summary-table tfoot td { text-align: right; font-variant-numeric: tabular-nums; }
table.summary-table tfoot th, table.summary-table tfoot td { font-weight: 700;
  border-top: 2px solid var(--ink); }
button.sort { all: unset; cursor: pointer; }
button.sort:focus-visible { outline: 2px solid #1e40af; }
th[aria-sort=ascending] button.sort::after { content: " \\25B2"; }
th[aria-sort=descending] button.sort::after { content: " \\25BC"; }
@media print {
  @page { margin: 14mm; }
  body { background: #fff; color: #000; font-size: 10pt; }
  main { max-width: none; padding: 0; }
  main > header, main > section { border: 0; border-radius: 0; padding: 0; margin: 0 0 1rem; }
  main.multi > section.filing, main > section.appendix, main > section.run {
    break-before: page; }
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




# ---------------------------------------------------------------- helpers

def _e(value: object) -> str:
    """Text for the page: control and bidirectional characters shown as
    escapes (a value can neither reorder nor hide what the auditor reads),
    then HTML-escaped."""
    return html.escape(visible(str(value)), quote=True)


def key_of(f: Finding) -> str:
    """The group a finding is counted in: its severity when a breach, else its outcome."""
    return f.severity if f.outcome == "breach" else f.outcome


def worst_first(findings: Iterable[tuple[int, Finding]]) -> list[tuple[int, Finding]]:
    """Findings in the order of GROUPS (the grades' order: a critical or major
    breach, then what could not be assessed, then lesser breaches, then the
    rest); not-assessable ones by their rule's severity; otherwise as found."""
    return sorted(findings, key=lambda item: (
        GROUPS.index(key_of(item[1])), -_SEVERITY_ORDER.get(item[1].severity, 0)
        if item[1].outcome == "not_assessable" else 0))


_SEVERITY_ORDER: dict[str, int] = {s: len(SEVERITIES) - i for i, s in enumerate(SEVERITIES)}
# the grades worst first, for sorting the summary table (unknown letters last)
_GRADE_ORDER = "DCNBA"
_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


@functools.cache
def bundled_sections() -> dict[str, list[tuple[str, str, str]]]:
    """The sections of each rule base shipped with esgcheck, in their order:
    rule-base id -> [(section id, Chinese name, English name)]. The report
    names a finding's section by id; the page shows its name."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for meta in sorted(_RULES_DIR.glob("*/rulebase.yaml")):
        data = yaml.safe_load(meta.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            continue
        rows = []
        for s in data.get("sections") or []:
            title = s.get("title") or {} if isinstance(s, dict) else {}
            if isinstance(s, dict) and isinstance(s.get("id"), str) and isinstance(title, dict):
                rows.append((s["id"], str(title.get("zh") or s["id"]),
                             str(title.get("en") or s["id"])))
        out[data["id"]] = rows
    return out


def _section_key(f: Finding) -> tuple[str, str]:
    return (f.rulebase, f.section or NO_SECTION)


def section_order(keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(rule base, section) pairs in the rule bases' order of sections, others
    as they come, findings without a section last."""
    known = bundled_sections()
    found = list(dict.fromkeys(keys))

    def rank(key: tuple[str, str]) -> tuple[int, int, int]:
        rb, section = key
        if section == NO_SECTION:
            return (2, 0, found.index(key))
        ids = [s[0] for s in known.get(rb, [])]
        if section in ids:
            return (0, list(known).index(rb), ids.index(section))
        return (1, 0, found.index(key))

    return sorted(found, key=rank)


def sections_of(r: FilingReport) -> list[str]:
    """The sections holding findings of a filing, in the rule bases' order."""
    return list(dict.fromkeys(s for _, s in section_order(_section_key(f) for f in r.findings)))


def chart_rows(findings: Iterable[Finding]) -> list[tuple[tuple[str, str], dict[str, int]]]:
    """One row per (rule base, section) with a charted finding: its count per
    severity and not assessable (waived findings are not charted)."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for f in findings:
        if key_of(f) in CHART_KEYS:
            row = counts.setdefault(_section_key(f), dict.fromkeys(CHART_KEYS, 0))
            row[key_of(f)] += 1
    return [(key, counts[key]) for key in section_order(counts)]


@dataclass
class _Page:
    lang: str
    explain: bool
    batch: bool = False
    fail_on: str = "major"
    fail_on_not_assessable: bool = True
    urls: dict[tuple[str, str], str] = field(default_factory=dict)
    proofs: _Proofs | None = None

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

    def section_name(self, rulebase: str, section: str) -> str:
        """A section's name in the page's language; its id when unknown."""
        for ident, zh, en in bundled_sections().get(rulebase, []):
            if ident == section:
                return zh if self.lang == "zh" else en
        return section


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
    """The configuration values of the rule bases used, collapsed (a reader
    opens it when needed; print shows it)."""
    if not any(c.values or c.data for c in configs):
        return ""
    parts = [f'<details class="config"><summary>{page.lb("config_values")}</summary>']
    for c in configs:
        rows = "".join(
            f"<tr><td><code>{_e(k)}</code></td><td>"
            f"{_e(v) if v is not None else page.lb('unknown_value')}</td></tr>"
            for k, v in c.values.items())
        parts.append(f'<h4 data-rulebase="{_e(c.rulebase)}"><code>{_e(c.rulebase)}</code></h4>'
                     f"<table><thead><tr><th>{page.lb('name')}</th><th>{page.lb('value')}</th>"
                     f"</tr></thead><tbody>{rows}</tbody></table>")
        if c.data:
            tables = ", ".join(f"<code>{_e(name)}</code> ({page.lb('rows', n=len(rows_))})"
                               for name, rows_ in c.data.items())
            parts.append(f"<p>{page.lb('user_rows')}: {tables}</p>")
    parts.append("</details>")
    return "".join(parts)


def _as_of_dates(report: Report) -> list[date]:
    return sorted({r.as_of for r in report.filings if r.as_of is not None})


def _run(page: _Page, report: Report) -> str:
    """What the run used: tool, rule bases, as-of dates, configuration (only
    of the rule bases that ran), waivers and baseline files."""
    used = _used_rulebases(report)
    configs = [c for c in report.configuration if c.rulebase in used]
    rulebases = "".join(f"<li>{_rulebase_text(page, rb)}</li>" for rb in _rulebases(report))
    rows = [
        (page.lb("tool"), f"{_e(report.tool.name)} {_e(report.tool.version)}"),
        (page.lb("schema_version"), _e(report.schema_version)),
        (page.wd("as_of"), ", ".join(d.isoformat() for d in _as_of_dates(report))
         or page.lb("none")),
        (page.wd("rulebase"), f"<ul>{rulebases}</ul>" if rulebases else page.lb("none")),
        (page.lb("configuration"), _configuration(page, configs)),
    ]
    selected = selection_lines(report, page.lang)
    if selected:
        rows.append((page.lb("selection"), "<br>".join(_e(line) for line in selected)))
    if report.waivers is not None:
        rows.append((page.lb("waivers_file"), _file_and_sum(report.waivers.file,
                                                            report.waivers.sha256)))
        rows.append((page.lb("expiry_judged"), _e(report.waivers.today.isoformat())))
    if report.baseline is not None:
        rows.append((page.lb("baseline_file"), _file_and_sum(report.baseline.file,
                                                             report.baseline.sha256)))
    return (f'<section class="run" id="run"><h2>{page.lb("run")}</h2>{_dl(rows)}'
            f"{_config_values(page, configs)}</section>")


def _file_and_sum(file: str, sha256: str) -> str:
    return f'<code>{_e(file)}</code> <span class="muted">SHA-256 <code>{_e(sha256)}</code></span>'


# ---------------------------------------------------------------- summary of a batch

def _grade_rank(r: FilingReport) -> int:
    """Where a filing sorts by grade, worst first: unreadable, not assessed,
    then the grades from D to A."""
    if r.grade is None:
        return 0 if r.status == "unreadable" else 1
    index = _GRADE_ORDER.find(r.grade)
    return 2 + (index if index >= 0 else len(_GRADE_ORDER))


def _summary_row(page: _Page, n: int, r: FilingReport) -> str:
    grade = (f'<span class="grade-mini g-{_e(r.grade)}">{_e(r.grade)}</span>'
             if r.grade is not None else f'<span class="status">{page.wd(r.status)}</span>')
    cells = "".join(f"<td>{getattr(r.counts, key)}</td>" for key in KEYS)
    status = "" if r.status == "checked" else f' data-status="{_e(r.status)}"'
    return (f'<tr{status} data-grade="{_e(r.grade or r.status)}">'
            f'<td>{n}</td><td><a href="#filing-{n}">{_e(r.file)}</a></td>'
            f"<td>{_e(r.filing_type or '—')}</td><td data-v=\"{_grade_rank(r)}\">{grade}</td>"
            f"{cells}</tr>")


def _sort_button(page: _Page, text: str, kind: str) -> str:
    return (f'<button type="button" class="sort" data-type="{kind}" '
            f'title="{page.lb("sort_by")}">{text}</button>')


def _filter(page: _Page, report: Report) -> str:
    grades = list(dict.fromkeys(
        sorted((r.grade or r.status for r in report.filings),
               key=lambda g: (_GRADE_ORDER.find(g) if g in _GRADE_ORDER else -1, g))))
    options = "".join(
        f'<option value="{_e(g)}">{_e(g) if len(g) == 1 else page.wd(g)}</option>' for g in grades)
    shown = len(report.filings)
    return (f'<p class="filter screen-only"><label>{page.lb("filter")} '
            f'<input type="search" id="filter" placeholder="{page.lb("filter_hint")}" '
            f'autocomplete="off"></label> <label>{page.wd("grade")} <select id="grade-filter">'
            f'<option value="">{page.lb("all_grades")}</option>{options}</select></label> '
            f'<output id="shown" data-template="{page.lb("shown", n="{n}", total="{total}")}">'
            f'{page.lb("shown", n=shown, total=shown)}</output></p>')


def _summary_table(page: _Page, report: Report) -> str:
    head = "".join(f"<th>{_sort_button(page, _badge(page, key), 'num')}</th>" for key in KEYS)
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
    threshold = None if fail_on == "never" else _SEVERITY_ORDER[fail_on]
    rows: dict[tuple[str, str], RuleRow] = {}
    for n, r in enumerate(report.filings):
        for f in r.findings:
            row = rows.setdefault((f.rulebase, f.rule_id), RuleRow(first=f))
            row.findings += 1
            row.filings.add(n)
            gate = f.outcome == "breach" or (not_assessable and f.outcome == "not_assessable")
            if threshold is not None and gate and _SEVERITY_ORDER[f.severity] >= threshold:
                row.failed.add(n)
    return sorted(rows.values(), key=lambda row: (-len(row.failed), -len(row.filings),
                                                  row.first.rule_id, row.first.rulebase))


def _rule_anchor(f: Finding) -> str:
    return f"rule-{f.rulebase}-{f.rule_id}"


def _rules_table(page: _Page, report: Report) -> str:
    rows = []
    for row in rules_by_filings_failed(report, page.fail_on, page.fail_on_not_assessable):
        f = row.first
        remediation = (f'<div class="muted">{page.wd("remediation")}: '
                       f"{_e(f.remediation.get(page.lang))}</div>" if f.remediation else "")
        rows.append(
            f'<tr id="{_e(_rule_anchor(f))}" data-rule="{_e(f.rule_id)}"><td><code>'
            f"{_e(f.rule_id)}</code></td><td>{_badge(page, f.severity)}</td>"
            f'<td><span class="finding-title">{_e(f.title.get(page.lang))}</span>'
            f'<div class="cite">{page.wd("citation")}: {_citation(page, f)}</div>{remediation}'
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


def _summary(page: _Page, report: Report) -> str:
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
    findings = [f for r in report.filings for f in r.findings]
    return (f'<section class="summary" id="summary"><h2>{page.lb("summary")}</h2>'
            f"{_dl(overall)}{_summary_table(page, report)}{_rules_table(page, report)}"
            f'<h3>{page.lb("chart")}</h3>{_chart(page, findings, "all")}</section>')


# ---------------------------------------------------------------- chart

_CHART_WIDTH = 680
_LABEL_WIDTH = 150
_BAR_SPACE = 440
_ROW = 26
_BAR = 16
_LEGEND_STEP = 130


def _chart(page: _Page, findings: list[Finding], ident: str) -> str:
    rows = [(page.section_name(*key), key[1], counts) for key, counts in chart_rows(findings)]
    if not rows:
        return f'<p class="muted">{page.lb("chart_empty")}</p>'
    biggest = max(sum(c.values()) for _, _, c in rows)
    height = len(rows) * _ROW + 40
    summary = "; ".join(
        f"{name}: " + ", ".join(f"{page.word(k)} {v}" for k, v in counts.items() if v)
        for name, _, counts in rows)
    label = f"{page.label('chart')} — {summary}"
    bars = "".join(_bar(page, i, name, section, counts, biggest)
                   for i, (name, section, counts) in enumerate(rows))
    return (f'<svg class="chart" id="chart-{ident}" role="img" aria-label="{_e(label)}" '
            f'viewBox="0 0 {_CHART_WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{_e(label)}</title>{bars}{_legend(page, len(rows) * _ROW + 14)}</svg>")


def _bar(page: _Page, i: int, name: str, section: str, counts: dict[str, int],
         biggest: int) -> str:
    y = 6 + i * _ROW
    short = name if len(name) <= 22 else name[:21] + "…"
    parts = [f'<g class="bar" data-section="{_e(section)}">',
             f'<text x="{_LABEL_WIDTH - 8}" y="{y + 12}" text-anchor="end">{_e(short)}</text>']
    x = float(_LABEL_WIDTH)
    for key, count in counts.items():
        if not count:
            continue
        width = count / biggest * _BAR_SPACE
        parts.append(
            f'<rect class="seg" data-key="{key}" data-count="{count}" x="{x:.2f}" y="{y}" '
            f'width="{width:.2f}" height="{_BAR}" fill="{_COLORS[key]}">'
            f"<title>{_e(name)} — {page.wd(key)}: {count}</title></rect>")
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

def _location(page: _Page, loc: Location, filing: str | None = None) -> str:
    """Where a finding is; without the file name when it is ``filing``'s."""
    place = loc.place()
    if filing is not None and loc.file == filing:
        place = place[len(filing) + 1:]
    parts = [f'<code class="loc-place">{_e(place)}</code>' if place else ""]
    if loc.xpath:
        parts.append(f' · XPath <code class="loc-xpath">{_e(loc.xpath)}</code>')
    parts.append(f"{' · ' if place else ''}JSON Pointer <code>{_e(loc.pointer or '/')}</code>")
    if not loc.exists:
        parts.append(f' <span class="loc-absent"><span class="absent">{page.wd("absent")}'
                     f'</span> <span class="muted">{page.lb("location_absent")}</span></span>')
    return "".join(parts)


def _value_text(page: _Page, e: Evidence) -> tuple[str | None, str]:
    """The value as displayed (None when absent), and its unit when the
    display does not end in it."""
    if not e.present:
        return None, ""
    display, unit = e.display, e.unit or ""
    if unit and display.endswith(f" {unit}"):
        display = display[: -len(unit) - 1]
    elif unit and unit in display:
        unit = ""
    return display, unit


def _value(page: _Page, e: Evidence) -> tuple[str, str]:
    display, unit = _value_text(page, e)
    if display is None:
        return f'<span class="absent">{page.wd("absent")}</span>', ""
    return _e(display), _e(unit)


def _evidence_name(e: Evidence) -> str:
    return f"facts.{e.name}" if e.source == "fact" else e.name


def _evidence_line(e: Evidence) -> int | None:
    return e.location.line if e.source != "fact" and e.location is not None else None


def _evidence_table(page: _Page, evidence: list[Evidence]) -> str:
    if not evidence:
        return ""
    if page.batch:
        return ('<ul class="evidence">'
                + "".join(_evidence_item(page, e) for e in evidence) + "</ul>")
    rows = []
    for e in evidence:
        value, unit = _value(page, e)
        rows.append(f'<tr data-source="{_e(e.source)}"><td><code>{_e(_evidence_name(e))}</code>'
                    f'</td><td>{value}</td><td>{unit}</td>'
                    f'<td class="num">{_evidence_line(e) or ""}</td></tr>')
    return (f'<h4>{page.wd("evidence")}</h4><table class="evidence"><thead><tr>'
            f"<th>{page.lb('name')}</th><th>{page.lb('value')}</th><th>{page.lb('unit')}</th>"
            f'<th class="num">{page.lb("line")}</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _evidence_item(page: _Page, e: Evidence) -> str:
    value, unit = _value(page, e)
    text = f"<code>{_e(_evidence_name(e))}</code> = {value}{' ' + unit if unit else ''}"
    line = _evidence_line(e)
    if line is not None:
        text += f' <span class="muted">({page.wd("at_line", n=line)})</span>'
    return f"<li>{text}</li>"


def _proof_node(page: _Page, node: ProofNode) -> str:
    rules = ", ".join(f"<code>{_e(rule)}</code>" for rule in node.rules) or page.wd("not_derived")
    entity = f' <span class="muted">@ <code>{_e(node.entity)}</code></span>' if node.entity else ""
    inner = [_evidence_item(page, e) for e in node.evidence]
    inner += [f'<li class="proof-note">{page.lb("note")}: {_e(note)}</li>' for note in node.notes]
    inner += [_proof_node(page, child) for child in node.because]
    below = f"<ul>{''.join(inner)}</ul>" if inner else ""
    return (f'<li class="proof-fact"><code>facts.{_e(node.fact)} = {_e(node.value)}</code>'
            f"{entity} ← {rules}{below}</li>")


class _Proofs:
    """Proof trees kept once for the page: every distinct node (a fact with its
    values and the nodes it rests on) is one entry of a table, a tree is the
    indices of its roots. A batch repeats the same derivations (the report
    year, the discloser's scope) filing after filing; each is written once."""

    def __init__(self, page: _Page) -> None:
        self.page = page
        self.nodes: list[list[Any]] = []
        self.index: dict[str, int] = {}

    def add(self, node: ProofNode) -> int:
        kids = [self.add(child) for child in node.because]
        evidence = []
        for e in node.evidence:
            display, unit = _value_text(self.page, e)
            value = None if display is None else display + (f" {unit}" if unit else "")
            evidence.append([_evidence_name(e), value, _evidence_line(e)])
        entry = [node.fact, node.value, node.entity, node.rules, evidence, node.notes, kids]
        key = json.dumps(entry, ensure_ascii=False)
        if key not in self.index:
            self.index[key] = len(self.nodes)
            self.nodes.append(entry)
        return self.index[key]

    def block(self) -> str:
        """The table as a JSON data block: every string shown as the page
        shows text (control characters as escapes), and '<', '>', '&' as
        JSON escapes, so nothing in it can end the block."""
        page = self.page
        data = {"n": _visible_json(self.nodes),
                "w": {"absent": page.word("absent"), "line": page.word("at_line", n="{n}"),
                      "none": page.word("not_derived"), "note": page.label("note")}}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return f'<script type="application/json" id="proof-data">{text}</script>'


def _visible_json(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, list):
        return [_visible_json(v) for v in value]
    return value


def _proof(page: _Page, f: Finding) -> str:
    if not f.derivation:
        return ""
    summary = f"<summary>{page.wd('because')}</summary>"
    if page.proofs is not None and not page.explain:
        roots = " ".join(str(page.proofs.add(node)) for node in f.derivation)
        return f'<details class="proof" data-proof="{roots}">{summary}</details>'
    nodes = "".join(_proof_node(page, node) for node in f.derivation)
    return (f'<details class="proof"{page.open_attr()}>{summary}'
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
        rows.append((page.lb("notes"), _notes(f)))
    if f.fingerprint:
        rows.append((page.lb("fingerprint"), f'<code class="muted">{_e(f.fingerprint)}</code>'))
    return rows


def _notes(f: Finding) -> str:
    return "<ul>" + "".join(f"<li>{_e(note)}</li>" for note in f.notes) + "</ul>"


def _finding(page: _Page, f: Finding, ident: str, filing: str) -> str:
    key = key_of(f)
    severity = ("" if f.outcome == "breach" else
                f'<span class="muted">{page.lb("rule_severity", severity=page.word(f.severity))}'
                "</span> ")
    rule = _e(f.rule_id)
    if page.batch:  # the rule's citation and remediation are in its row of the rules table
        rule = f'<a href="#{_e(_rule_anchor(f))}">{rule}</a>'
    section = _e(page.section_name(*_section_key(f)))
    # a batch writes the severity in the group's heading and the title in the rule's row
    badge = "" if page.batch else f"{_badge(page, key)} "
    title = ("" if page.batch else
             f'<span class="finding-title">{_e(f.title.get(page.lang))}</span> ')
    head = (f'<header>{badge}{severity}<code class="rule-id">{rule}</code> {title}'
            f'<span class="section-name muted">{section}</span></header>')
    if page.batch:
        body = f'<p class="loc">{_location(page, f.location, filing)}</p>'
        if f.notes:
            body += _notes(f)
    else:
        body = _dl(_finding_meta(page, f))
    waiver = _waiver(page, f.waiver) if f.waiver is not None else ""
    return (f'<article class="finding k-{key}" id="{ident}" data-key="{key}" '
            f'data-rule="{_e(f.rule_id)}" data-section="{_e(f.section or NO_SECTION)}">{head}'
            f'<p class="message">{_e(f.message.get(page.lang))}</p>'
            f"{body}{_evidence_table(page, f.evidence)}{waiver}{_proof(page, f)}</article>")


def _findings(page: _Page, r: FilingReport, n: int) -> Iterator[str]:
    """The findings of a filing worst first, under a heading per kind."""
    ordered = worst_first(enumerate(r.findings, 1))
    for key in GROUPS:
        items = [(i, f) for i, f in ordered if key_of(f) == key]
        if not items:
            continue
        yield f'<h4 class="group" data-key="{key}">{_badge(page, key)} ({len(items)})</h4>'
        for i, f in items:
            yield _finding(page, f, f"finding-{n}-{i}", r.file)


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


def _filing_line(page: _Page, r: FilingReport) -> str:
    """What a batch says of a filing besides its grade and findings, on one line."""
    parts = [] if r.status == "checked" else [f'<span class="status">{page.wd(r.status)}</span>']
    if r.filing_type:
        parts.append(f"<code>{_e(r.filing_type)}</code>"
                     + (f" ({_e(r.format.upper())})" if r.format else ""))
    if r.read_as:
        parts.append(f'{page.lb("read_as")}: {_e(r.read_as)}')
    if r.status == "checked":
        parts.append(f'{page.wd("as_of")} {_as_of(page, r)}')
        parts.append(f'{page.lb("rules_evaluated")}: {r.rules_evaluated}')
    if r.baselined:
        parts.append(f'<span class="baselined">{page.wd("baselined", n=r.baselined)}</span>')
    return f'<p class="meta">{" · ".join(parts)}</p>'


def _problem(page: _Page, problem: InputProblem) -> str:
    rows = [(page.lb("error_code"), f"<code>{_e(problem.code)}</code>")]
    if problem.location is not None:
        rows.append((page.wd("location"), _location(page, problem.location)))
    return (f'<div class="problem"><p class="error">{_e(problem.message.get(page.lang))}</p>'
            f"{_dl(rows)}</div>")


def _section_grades(page: _Page, r: FilingReport) -> str:
    if not r.section_grades:
        return ""
    rulebases = [rb.id for rb in r.rulebases]

    def name(section: str) -> str:
        for rb in rulebases:
            shown = page.section_name(rb, section)
            if shown != section:
                return shown
        return section

    items = "".join(f'<li data-section="{_e(s)}">{_e(name(s))} {_mini_grade(g)}</li>'
                    for s, g in r.section_grades.items())
    return (f'<h4>{page.lb("section_grades")}</h4>'
            f'<ul class="counts section-grades">{items}</ul>')


def _fails(page: _Page, r: FilingReport) -> bool:
    return grading.fails(r, page.fail_on, page.fail_on_not_assessable)


def _filing(page: _Page, r: FilingReport, n: int) -> str:
    grade = f' data-grade="{_e(r.grade)}"' if r.grade else ""
    parts = [f'<section class="filing" id="filing-{n}" data-status="{_e(r.status)}"{grade}>']
    if page.batch:
        mark = _mini_grade(r.grade) + " " if r.grade else ""
        parts.append(f"<h2>{mark}<code>{_e(r.file)}</code></h2>")
    else:  # the grade and counts first, then what was read, then the findings
        parts += [f"<h2><code>{_e(r.file)}</code></h2>", _grade_badge(page, r)]
        if r.status == "checked":
            parts.append(_counts(page, r.counts))
    parts.append(_filing_line(page, r) if page.batch else _dl(_filing_meta(page, r)))
    if r.error is not None:
        parts.append(_problem(page, r.error))
    if r.status == "checked":
        if not page.batch:  # a batch has the counts in its table and each group's heading
            parts += [_section_grades(page, r), f'<h4>{page.lb("chart")}</h4>',
                      _chart(page, r.findings, str(n))]
        if not r.findings:
            parts.append(f'<p class="no-findings">{page.wd("no_findings")}</p>')
        elif page.batch and not _fails(page, r):  # a passing filing's findings, folded
            parts.append(f'<details class="findings"><summary>{page.wd("findings")} '
                         f"({len(r.findings)})</summary>{''.join(_findings(page, r, n))}"
                         "</details>")
        else:
            parts.extend(_findings(page, r, n))
    parts.append("</section>")
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

# The page's one script: sorting and filtering of the summary table, with its
# totals row following the filter, and proof trees drawn from the JSON block
# when opened or printed. It only ever sets text, never markup.
SCRIPT = """(() => {
const $ = (s, e = document) => e.querySelector(s);
const $$ = (s, e = document) => [...e.querySelectorAll(s)];
const table = $('table.summary-table');
if (table) {
  const body = table.tBodies[0], rows = [...body.rows], foot = table.tFoot.rows[0];
  const text = $('#filter'), grade = $('#grade-filter'), shown = $('#shown');
  const value = (row, i, type) => {
    const cell = row.cells[i];
    return type === 'num' ? Number(cell.dataset.v ?? cell.textContent) : cell.textContent;
  };
  $$('button.sort', table).forEach((button, i) => button.addEventListener('click', () => {
    const th = button.parentElement, type = button.dataset.type;
    const up = th.getAttribute('aria-sort') !== 'ascending';
    $$('th[aria-sort]', table.tHead).forEach(h => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
    const sign = up ? 1 : -1;
    rows.sort((a, b) => {
      const x = value(a, i, type), y = value(b, i, type);
      const c = type === 'num' ? x - y : x.localeCompare(y);
      return sign * c || value(a, 0, 'num') - value(b, 0, 'num');
    });
    body.append(...rows);
  }));
  const filter = () => {
    const terms = text.value.toLowerCase().split(/\\s+/).filter(Boolean), g = grade.value;
    const sums = new Array(foot.cells.length).fill(0);
    let n = 0;
    for (const row of rows) {
      const words = [1, 2, 3].map(i => row.cells[i].textContent).join(' ').toLowerCase();
      const keep = (!g || row.dataset.grade === g) && terms.every(t => words.includes(t));
      row.hidden = !keep;
      if (!keep) continue;
      n += 1;
      for (let i = 4; i < sums.length; i++) sums[i] += Number(row.cells[i].textContent);
    }
    for (let i = 4; i < sums.length; i++) foot.cells[i].textContent = String(sums[i]);
    shown.textContent = shown.dataset.template.replace('{n}', n).replace('{total}', rows.length);
  };
  text.addEventListener('input', filter);
  grade.addEventListener('change', filter);
}
const block = $('#proof-data');
if (block) {
  const data = JSON.parse(block.textContent), w = data.w;
  const el = (tag, cls, content) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (content !== undefined) e.textContent = content;
    return e;
  };
  const evidence = ([name, value, line]) => {
    const li = el('li');
    li.append(el('code', null, name), ' = ');
    li.append(value === null ? el('span', 'absent', w.absent) : value);
    if (line !== null) li.append(' ', el('span', 'muted', '(' + w.line.replace('{n}', line) + ')'));
    return li;
  };
  const node = i => {
    const [fact, value, entity, rules, ev, notes, kids] = data.n[i];
    const li = el('li', 'proof-fact');
    li.append(el('code', null, 'facts.' + fact + ' = ' + value));
    if (entity) {
      const at = el('span', 'muted', '@ ');
      at.append(el('code', null, entity));
      li.append(' ', at);
    }
    li.append(' ← ');
    if (rules.length) rules.forEach((r, k) => li.append(k ? ', ' : '', el('code', null, r)));
    else li.append(w.none);
    const items = [...ev.map(evidence),
                   ...notes.map(t => el('li', 'proof-note', w.note + ': ' + t)),
                   ...kids.map(node)];
    if (items.length) { const ul = el('ul'); ul.append(...items); li.append(ul); }
    return li;
  };
  const draw = d => {
    if ($('ul.proof', d)) return;
    const ul = el('ul', 'proof');
    ul.append(...d.dataset.proof.split(' ').map(Number).map(node));
    d.append(ul);
  };
  document.addEventListener('toggle', e => {
    const d = e.target;
    if (d.matches && d.matches('details.proof[data-proof]') && d.open) draw(d);
  }, true);
  window.addEventListener('beforeprint', () => $$('details.proof[data-proof]').forEach(draw));
}
})();"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()


def _csp(script: bool) -> str:
    """Nothing may load; the page's own script runs only when it is there, by its hash."""
    return _CSP + (f"; script-src 'sha256-{_SCRIPT_HASH}'" if script else "")


def _title(page: _Page, report: Report) -> str:
    title = page.label("title")
    if len(report.filings) == 1:
        title += f" — {report.filings[0].file}"
    return _e(title)


def _head(page: _Page, report: Report, script: bool) -> str:
    return ('<head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_csp(script)}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="color-scheme" content="light">'
            f'<meta name="generator" content="{_e(report.tool.name)} {_e(report.tool.version)}">'
            f"<title>{_title(page, report)}</title><style>{_css()}</style></head>")


def render(report: Report, options: RenderOptions) -> str:
    multi = len(report.filings) > 1
    page = _Page(lang=options.lang, explain=options.explain, batch=multi,
                 fail_on=options.fail_on, fail_on_not_assessable=options.fail_on_not_assessable,
                 urls={(r.rulebase, r.id): r.url for r in report.rules if r.url})
    if multi and not options.explain:
        page.proofs = _Proofs(page)
    body = [f'<header class="report"><h1>{page.lb("title")}</h1></header>']
    if multi:
        body.append(_summary(page, report))
        body.append(f'<nav class="screen-only back"><a href="#summary">↑ {page.lb("back")}</a>'
                    "</nav>")
    body += [_filing(page, r, n) for n, r in enumerate(report.filings, 1)]
    if report.waivers is not None:
        body.append(_waivers(page, report.waivers,
                             [note for _, note in waiver_notes(report, options.lang)]))
    if report.baseline is not None:
        body.append(_baseline(page, report.baseline))
    body.append(_run(page, report))
    script = multi
    if page.proofs is not None and page.proofs.nodes:
        body.append(page.proofs.block())
    if script:
        body.append(f"<script>{SCRIPT}</script>")
    lang = "zh-CN" if options.lang == "zh" else "en"
    main_class = ' class="multi"' if multi else ""
    return (f'<!DOCTYPE html>\n<html lang="{lang}">{_head(page, report, script)}\n'
            f"<body><main{main_class}>\n" + "\n".join(body) + "\n</main></body></html>\n")
