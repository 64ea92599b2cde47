"""Text for a terminal: findings grouped by severity, a summary line at the end."""

from __future__ import annotations

from collections.abc import Iterator

import click

from esgcheck.engine.findings import Evidence, FilingReport, Finding, Location, ProofNode, Report
from esgcheck.engine.model import SEVERITIES
from esgcheck.messages import message
from esgcheck.report import (
    RenderOptions,
    failed_text,
    selection_lines,
    waiver_notes,
    waiver_text,
)
from esgcheck.safetext import visible

_COLORS = {"critical": "red", "major": "magenta", "minor": "yellow", "info": "blue",
           "not_assessable": "cyan", "waived": "white"}
# A breach is ✗; an info finding is a statement, not a failure, and has its own mark.
MARKS = {"critical": "✗", "major": "✗", "minor": "✗", "info": "ⓘ",
         "not_assessable": "?", "waived": "~"}
_GRADE_COLORS = {"A": "green", "B": "yellow", "C": "magenta", "D": "red", "N": "cyan"}


class _Writer:
    def __init__(self, options: RenderOptions) -> None:
        self.o = options
        self.lines: list[str] = []

    def say(self, text: str = "", indent: int = 0, fg: str | None = None,
            bold: bool = False) -> None:
        # one line of the report: whatever a filing put in it (escape sequences,
        # line breaks, bidirectional controls) is shown as escapes, never acted on
        text = visible(text)
        if self.o.color and (fg or bold):
            text = click.style(text, fg=fg, bold=bold)
        self.lines.append("  " * indent + text)

    def m(self, key: str, **params: object) -> str:
        return message(key, self.o.lang, **params)


def where(loc: Location) -> str:
    place = loc.place()
    target = loc.xpath or loc.pointer or "/"
    if loc.xpath and loc.pointer:
        target = f"{loc.xpath}  ({loc.pointer})"
    absent = "" if loc.exists else " [absent]"
    return f"{place}  {target}{absent}"


def evidence_line(e: Evidence, w: _Writer) -> str:
    value = e.display if e.present else w.m("absent")
    unit = f" {e.unit}" if e.unit and e.present and e.unit not in e.display else ""
    if e.source == "fact":
        return f"facts.{e.name} = {value}"
    place = ""
    if e.location is not None and e.location.line is not None:
        place = f"  ({w.m('at_line', n=e.location.line)})"
    return f"{e.name} = {value}{unit}{place}"


def proof_lines(node: ProofNode, w: _Writer, depth: int) -> Iterator[tuple[int, str]]:
    rules = ", ".join(node.rules) or w.m("not_derived")
    yield depth, f"facts.{node.fact} = {node.value}  ← {rules}"
    for e in node.evidence:
        yield depth + 1, evidence_line(e, w)
    for note in node.notes:
        yield depth + 1, f"note: {note}"
    for child in node.because:
        yield from proof_lines(child, w, depth + 1)


def finding(f: Finding, w: _Writer) -> None:
    lang = w.o.lang
    mark = MARKS[f.severity if f.outcome == "breach" else f.outcome]
    fg = _COLORS[f.severity] if f.outcome == "breach" else _COLORS[f.outcome]
    w.say(f"{mark} {f.rule_id}  {f.title.get(lang)}", 2, fg=fg, bold=True)
    w.say(f.message.get(lang), 3)
    w.say(f"{w.m('citation')}: {f.citation.text.get(lang)}", 3)
    w.say(f"{w.m('location')}: {where(f.location)}", 3)
    shown = [e for e in f.evidence if e.source != "fact"]
    if shown:
        w.say(f"{w.m('evidence')}: " + "; ".join(evidence_line(e, w) for e in shown[:6])
              + (" …" if len(shown) > 6 else ""), 3)
    for note in f.notes:
        w.say(f"note: {note}", 3)
    if f.waiver is not None:
        w.say(waiver_text(f.waiver, w.o.lang), 3)
    if w.o.explain:
        if f.remediation is not None:
            w.say(f"{w.m('remediation')}: {f.remediation.get(lang)}", 3)
        if f.derivation or shown:
            w.say(f"{w.m('because')}:", 3)
            for node in f.derivation:
                for depth, line in proof_lines(node, w, 4):
                    w.say(line, depth)
            for e in shown:
                w.say(evidence_line(e, w), 4)


def filing(r: FilingReport, w: _Writer) -> None:
    lang = w.o.lang
    if r.status == "unreadable" and r.error is not None:
        w.say(r.error.message.get(lang), 0, fg="red", bold=True)
        return
    head = f"{r.file}  ({r.filing_type}, {r.format})" if r.filing_type else r.file
    if r.as_of is not None:
        head += f"  {w.m('as_of')} {r.as_of.isoformat()}"
    w.say(head, 0, bold=True)
    for rb in r.rulebases:
        state = (rb.version if rb.in_force else w.m("data_checks", version=rb.version)
                 if rb.ran == "data_checks" else w.m("not_in_force"))
        w.say(f"{w.m('rulebase')}: {rb.id} {state}", 1)
    if r.error is not None:
        w.say(r.error.message.get(lang), 1, fg="red")
    groups: list[tuple[str, list[Finding]]] = [
        (sev, [f for f in r.findings if f.severity == sev and f.outcome == "breach"])
        for sev in SEVERITIES]
    for outcome in ("not_assessable", "waived"):
        groups.append((outcome, [f for f in r.findings if f.outcome == outcome]))
    for key, items in groups:
        if not items:
            continue
        w.say(f"{w.m(key).upper()} ({len(items)})", 1, fg=_COLORS[key], bold=True)
        for f in items:
            finding(f, w)
    if not r.findings:
        w.say(w.m("no_findings"), 1, fg="green")
    if r.baselined:
        w.say(w.m("baselined", n=r.baselined), 1)
    if r.grade is not None:
        label = r.grade_label.get(lang) if r.grade_label else ""
        w.say(f"{w.m('grade')}: {r.grade} — {label}", 1, fg=_GRADE_COLORS.get(r.grade),
              bold=True)


def summary(report: Report, w: _Writer) -> str:
    s = report.summary
    c = s.counts
    grades = " ".join(f"{g}×{n}" for g, n in s.grades.items()) or "—"
    parts = [
        f"{s.files} {w.m('files')}: {s.checked} {w.m('checked')}, {failed_text(report, w.o)}, "
        f"{s.unreadable} {w.m('unreadable')}, {s.not_assessed} {w.m('not_assessed')}",
        f"{w.m('grade')} {grades}",
        f"{w.m('critical')} {c.critical}, {w.m('major')} {c.major}, {w.m('minor')} {c.minor}, "
        f"{w.m('info')} {c.info}, {w.m('not_assessable')} {c.not_assessable}"
        + (f", {w.m('waived')} {c.waived}" if c.waived else ""),
    ]
    return " · ".join(parts)


def policy(report: Report, w: _Writer) -> None:
    """The rule selection, what the waivers and the baseline did, before the
    summary line."""
    selected = selection_lines(report, w.o.lang)
    for line in selected:
        w.say(line, 0, bold=True)
    if selected:
        w.say()
    if report.waivers is not None:
        wv = report.waivers
        w.say(w.m("waivers_file", file=wv.file, today=wv.today.isoformat()), 0, bold=True)
        for e in wv.entries:
            if e.status == "expired":
                w.say("! " + w.m("waiver_expired", id=e.id, rule=e.rule, line=e.line,
                                 expires=e.expires.isoformat(), matched=e.matched), 1,
                      fg="yellow")
            elif e.status == "unused":
                w.say("! " + w.m("waiver_unused", id=e.id, rule=e.rule, line=e.line), 1,
                      fg="yellow")
        for _, note in waiver_notes(report, w.o.lang):
            w.say("! " + note, 1, fg="yellow")
        w.say()
    if report.baseline is not None:
        b = report.baseline
        w.say(w.m("baseline_known", file=b.file, known=b.known), 0, bold=True)
        if b.fixed:
            w.say(w.m("baseline_fixed", n=len(b.fixed)), 1, fg="green")
            for gone in b.fixed:
                title = f"  {gone.title.get(w.o.lang)}" if gone.title else ""
                w.say(f"✓ {gone.rule_id}  {gone.file}  {gone.pointer or '/'}{title}", 2,
                      fg="green")
        w.say()


def render(report: Report, options: RenderOptions) -> str:
    w = _Writer(options)
    for r in report.filings:
        filing(r, w)
        w.say()
    policy(report, w)
    w.say(summary(report, w), 0, bold=True)
    return "\n".join(w.lines) + "\n"
