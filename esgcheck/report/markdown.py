"""Markdown: a summary fit for a pull-request or merge-request comment.

The verdict comes first (one line with a mark, the grades and the counts), then
a table of the filings, then each filing's findings in a collapsed section, so
that a long batch stays readable in a comment box. With ``--explain`` each
finding carries its proof tree and remediation.

The output fits where it is posted: at most ``RenderOptions.max_chars``
(``--markdown-limit``; 65,536 by default, what a GitHub pull-request comment
holds; a step summary holds 1 MiB). GitHub counts the characters of a comment
and the bytes of a step summary; this module counts UTF-8 bytes, never fewer
than either (a Chinese character is three). A report over the limit keeps the
verdict and counts, the rules that fired on most filings, the failed filings
(worst first, each with its findings while there is room) and says how many
filings and findings it left out and how to get the whole report.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from esgcheck.engine import grading
from esgcheck.engine.findings import FilingReport, Finding, Location, ProofNode, Report
from esgcheck.engine.model import SEVERITIES
from esgcheck.messages import words
from esgcheck.report import RenderOptions, selection_lines, waiver_notes, waiver_text
from esgcheck.safetext import visible

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("esgcheck 检查结果", "esgcheck results"),
    "type": ("类型", "type"),
    "message": ("说明", "message"),
    "pass": ("未发现达到失败阈值的问题", "no breach at the failure threshold"),
    "fail": ("{n} 个文件未通过", "{n} file(s) failed"),
    "problem": ("{n} 个文件无法读取或未评估", "{n} file(s) unreadable or not assessed"),
    "top_rules": ("触发最多的规则", "Rules that fired most"),
    "failed_filings": ("未通过的文件", "Failed filings"),
    "rule": ("规则", "rule"),
    "severity": ("严重程度", "severity"),
    "title_col": ("名称", "title"),
    "filings": ("文件数", "filings"),
    "findings_col": ("问题数", "findings"),
    "cut": ("⚠️ **报告已截短，以不超过 {limit} 个字符**（按 UTF-8 字节计）：列出 {failed} 个未通过"
            "或无法使用的文件中的 {shown} 个，其中 {detailed} 个附问题明细；另有 {passed} 个通过的"
            "文件未列出，{left} 条问题未显示。完整报告：`--format json`（或 `--output "
            "json=report.json`、`--output html=report.html`），或加大 `--markdown-limit`"
            "（GitHub 步骤摘要可容 1048576）。",
            "⚠️ **Cut to fit {limit} characters** (counted as UTF-8 bytes): {shown} of "
            "{failed} failed or unusable filings listed, {detailed} of them with their "
            "findings; {passed} filings that passed are not listed and {left} findings are "
            "not shown. The whole report: `--format json` (or `--output json=report.json`, "
            "`--output html=report.html`), or a larger `--markdown-limit` (a GitHub step "
            "summary holds 1048576)."),
}
_MARKS = {"critical": "🔴", "major": "🟠", "minor": "🟡", "info": "🔵",
          "not_assessable": "❔", "waived": "⚪"}


# Characters that could start inline markdown (emphasis, code, links and images,
# raw HTML and autolinks, entities, strikethrough, table cells, math) or a GFM
# autolink (scheme:, user@host): each is written backslash-escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>()#!|~&:@$])")


def cell(text: str) -> str:
    """Text from a filing, a rule base or a user's file as plain markdown text,
    in a table cell or a list item alike: control characters and line breaks
    shown as escapes (so it stays on its line and cannot start a heading or a
    block), every character that could begin markdown or HTML escaped (so it
    makes no link, image, code, emphasis or HTML), ``www.`` broken so that it
    is not linked."""
    text = _MD_SPECIAL.sub(r"\\\1", visible(text).strip())
    return re.sub(r"(?i)\b(www)\.", r"\1\\.", text)


def code(text: str, table: bool = False) -> str:
    """Text as an inline code span, whatever it holds: fenced with one backtick
    more than its longest run of backticks, padded where it starts or ends
    with a backtick or a space, on one line; in a table cell a pipe is escaped
    (GFM splits cells before it reads code spans)."""
    text = visible(text)
    if not text:
        return "` `"  # an empty span would be two literal backticks
    if table:
        text = text.replace("|", "\\|")
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(text: str) -> str:
    """Text inside the report's own HTML (a <summary>): escaped for HTML, on one line."""
    return html.escape(visible(text), quote=True)


def place(loc: Location) -> str:
    target = loc.xpath or loc.pointer or "/"
    return f"{code(loc.place(column=False))} {code(target)}"


class _Doc:
    def __init__(self, options: RenderOptions) -> None:
        self.o = options
        self.lines: list[str] = []

    def m(self, key: str, **params: object) -> str:
        return words(_LABELS, key, self.o.lang, **params)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)


def verdict(report: Report, d: _Doc) -> str:
    s = report.summary
    problems = s.unreadable + s.not_assessed
    if problems:
        return "❗ " + d.m("problem", n=problems)
    if s.failed:
        return "❌ " + d.m("fail", n=s.failed)
    return "✅ " + d.m("pass")


def counts_line(report: Report, d: _Doc) -> str:
    c = report.summary.counts
    parts = [f"{_MARKS[k]} {d.m(k)} {getattr(c, k)}" for k in (
        *SEVERITIES, "not_assessable", "waived") if getattr(c, k)]
    grades = " ".join(f"**{g}**×{n}" for g, n in report.summary.grades.items())
    return " · ".join([p for p in (f"{d.m('grade')} {grades}" if grades else "", *parts) if p])


def table_head(d: _Doc) -> list[str]:
    return [f"| {d.m('file')} | {d.m('type')} | {d.m('grade')} | "
            + " | ".join(_MARKS[k] for k in (*SEVERITIES, "not_assessable", "waived")) + " |",
            "|---|---|:-:|" + ":-:|" * 6]


def table_row(r: FilingReport, d: _Doc) -> str:
    if r.status != "checked":
        state = d.m("unreadable" if r.status == "unreadable" else "not_assessed")
        return (f"| {code(r.file, table=True)} | {cell(r.filing_type or '—')} | ❗ {state} |"
                + " |" * 6)
    c = r.counts
    return (f"| {code(r.file, table=True)} | {cell(r.filing_type or '—')} | "
            f"**{cell(r.grade or '')}** | "
            + " | ".join(str(getattr(c, k) or "") for k in (
                *SEVERITIES, "not_assessable", "waived")) + " |")


def filings_table(report: Report, d: _Doc) -> None:
    d.add(*table_head(d))
    for r in report.filings:
        d.add(table_row(r, d))


def proof(node: ProofNode, depth: int) -> Iterator[str]:
    rules = ", ".join(node.rules) or "—"
    yield f"{'  ' * depth}- {code(f'facts.{node.fact}')} = {cell(node.value)} ← {cell(rules)}"
    for e in node.evidence:
        yield f"{'  ' * (depth + 1)}- {code(e.name)} = {cell(e.display)}"
    for child in node.because:
        yield from proof(child, depth + 1)


def finding(f: Finding, d: _Doc) -> None:
    lang = d.o.lang
    key = f.severity if f.outcome == "breach" else f.outcome
    d.add(f"- {_MARKS[key]} **{cell(f.rule_id)}** {cell(f.title.get(lang))}: "
          f"{cell(f.message.get(lang))}  ",
          f"  {d.m('citation')}: {cell(f.citation.text.get(lang))} · {place(f.location)}")
    if f.waiver is not None:
        d.add(f"  <br>{cell(waiver_text(f.waiver, lang))}")
    if d.o.explain:
        if f.remediation is not None:
            d.add(f"  <br>{d.m('remediation')}: {cell(f.remediation.get(lang))}")
        shown = [e for e in f.evidence if e.source != "fact"]
        if f.derivation or shown:
            d.add(f"  - {d.m('because')}:")
            for node in f.derivation:
                d.add(*("  " + line for line in proof(node, 2)))
            for e in shown:
                d.add(f"    - {code(e.name)} = "
                      f"{cell(e.display if e.present else d.m('absent'))}")


def filing(r: FilingReport, d: _Doc) -> None:
    if r.status != "checked":
        problem = r.error.message.get(d.o.lang) if r.error else ""
        d.add(f"**{code(r.file)}**: ❗ {cell(problem)}", "")
        return
    if not r.findings:
        return
    label = r.grade_label.get(d.o.lang) if r.grade_label else ""
    d.add("<details>", f"<summary><code>{html_text(r.file)}</code>: {d.m('grade')} "
          f"<b>{html_text(r.grade or '')}</b> ({html_text(label)}), {len(r.findings)} "
          f"{d.m('findings')}</summary>", "")
    for f in r.findings:
        finding(f, d)
    if r.baselined:
        d.add(f"- {d.m('baselined', n=r.baselined)}")
    d.add("", "</details>", "")


def policy(report: Report, d: _Doc) -> None:
    selected = selection_lines(report, d.o.lang)
    if selected:
        d.add(*(f"> {cell(line)}" + ("  " if n < len(selected) - 1 else "")
                for n, line in enumerate(selected)), "")
    if report.waivers is not None:
        for e in report.waivers.entries:
            if e.status == "expired":
                d.add("> ⚠️ " + cell(d.m("waiver_expired", id=e.id, rule=e.rule, line=e.line,
                                          expires=e.expires.isoformat(), matched=e.matched)))
            elif e.status == "unused":
                d.add("> ⚠️ " + cell(d.m("waiver_unused", id=e.id, rule=e.rule, line=e.line)))
        for _, note in waiver_notes(report, d.o.lang):
            d.add("> ⚠️ " + cell(note))
    if report.baseline is not None:
        b = report.baseline
        d.add("", cell(d.m("baseline_known", file=b.file, known=b.known)))
        if b.fixed:
            d.add("", "✅ " + d.m("baseline_fixed", n=len(b.fixed)), "")
            d.add(*(f"- {code(e.rule_id)} {code(e.file)} {code(e.pointer or '/')}"
                    for e in b.fixed))
    d.add("")


def size(text: str) -> int:
    """The length of ``text`` as measured against the limit: UTF-8 bytes, never
    fewer than the characters GitHub counts in a comment (nor the UTF-16 code
    units), and exactly what a step summary's 1 MiB counts."""
    return len(text.encode("utf-8"))


def head(report: Report, d: _Doc) -> list[str]:
    return [f"### {d.m('title')}", "", f"{verdict(report, d)} · {counts_line(report, d)}", ""]


def footer(report: Report) -> str:
    return f"<sub>esgcheck {report.tool.version} · report schema {report.schema_version}</sub>"


def full(report: Report, d: _Doc) -> None:
    d.add(*head(report, d))
    filings_table(report, d)
    d.add("")
    for r in report.filings:
        filing(r, d)
    policy(report, d)
    d.add(footer(report))


def _fails(r: FilingReport, o: RenderOptions) -> bool:
    return r.status != "checked" or grading.fails(r, o.fail_on, o.fail_on_not_assessable)


def _counted(f: Finding) -> bool:
    """A finding that weighs in the rules that fired most: a breach or a check
    that could not be assessed, not an info statement, not waived."""
    return f.outcome in ("breach", "not_assessable") and f.severity != "info"


def top_rules(report: Report, n: int) -> list[tuple[Finding, int, int]]:
    """The ``n`` rules that fired on most filings: a finding of each (for its
    title and severity), the filings and the findings; ties by rule id."""
    first: dict[str, Finding] = {}
    filings: dict[str, int] = {}
    findings: dict[str, int] = {}
    for r in report.filings:
        for rule_id in {f.rule_id for f in r.findings if _counted(f)}:
            filings[rule_id] = filings.get(rule_id, 0) + 1
        for f in r.findings:
            if _counted(f):
                first.setdefault(f.rule_id, f)
                findings[f.rule_id] = findings.get(f.rule_id, 0) + 1
    ranked = sorted(first, key=lambda k: (-filings[k], -findings[k], k))[:n]
    return [(first[k], filings[k], findings[k]) for k in ranked]


def _worst_first(r: FilingReport) -> tuple[int, ...]:
    c = r.counts
    return (r.status == "checked", -c.critical, -c.major, -c.not_assessable, -c.minor)


class _Budget:
    """Lines kept while they fit in ``limit`` (each line and its newline)."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.lines: list[str] = []

    def cost(self, lines: list[str]) -> int:
        return sum(size(line) + 1 for line in lines)

    def take(self, lines: list[str]) -> bool:
        cost = self.cost(lines)
        if cost > self.left:
            return False
        self.left -= cost
        self.lines.extend(lines)
        return True


def cut(report: Report, d: _Doc) -> None:
    """The report within ``max_chars``: the verdict and counts, a notice of what
    was left out, the rules that fired most, the failed filings as a table and
    with their findings while they fit, the waiver and baseline notes if they
    fit."""
    o = d.o
    failed = sorted((r for r in report.filings if _fails(r, o)), key=_worst_first)
    passed = len(report.filings) - len(failed)
    total = sum(len(r.findings) for r in report.filings)

    def notice(shown: int, detailed: int, left: int) -> str:
        return d.m("cut", limit=o.max_chars, shown=shown, failed=len(failed),
                   detailed=detailed, passed=passed, left=left)

    top, end = head(report, d), ["", footer(report)]
    # room for the notice at its longest: no count it shows exceeds these
    budget = _Budget(o.max_chars)
    budget.left -= budget.cost([*top, notice(len(failed), len(failed), total), "", *end])
    rules = top_rules(report, 10)
    if rules:
        budget.take([f"#### {d.m('top_rules')}", "",
                     f"| {d.m('rule')} | {d.m('severity')} | {d.m('title_col')} | "
                     f"{d.m('filings')} | {d.m('findings_col')} |", "|---|---|---|--:|--:|"])
        for f, n_filings, n_findings in rules:
            key = f.severity if f.outcome == "breach" else f.outcome
            budget.take([f"| {code(f.rule_id, table=True)} | {_MARKS[key]} {d.m(f.severity)} "
                         f"| {cell(f.title.get(o.lang))} | {n_filings} | {n_findings} |"])
        budget.take([""])
    shown: list[FilingReport] = []
    if failed and budget.take([f"#### {d.m('failed_filings')}", "", *table_head(d)]):
        for r in failed:
            if not budget.take([table_row(r, d)]):
                break
            shown.append(r)
        budget.take([""])
    notes = _Doc(o)
    policy(report, notes)
    budget.take(notes.lines)
    detailed = 0
    shown_findings = 0
    for r in shown:
        block = _Doc(o)
        filing(r, block)
        if not budget.take(block.lines):
            break
        detailed += 1
        shown_findings += len(r.findings)
    d.add(*top, notice(len(shown), detailed, total - shown_findings), "", *budget.lines, *end)


def render(report: Report, options: RenderOptions) -> str:
    d = _Doc(options)
    full(report, d)
    text = "\n".join(d.lines) + "\n"
    if size(text) <= options.max_chars:
        return text
    d = _Doc(options)
    cut(report, d)
    return "\n".join(d.lines) + "\n"
