"""A finding: its header, location, the values read, its waiver and proof tree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from esgcheck.engine.findings import (
    Evidence,
    FilingReport,
    Finding,
    Location,
    ProofNode,
    WaiverApplied,
)
from esgcheck.report.html.labels import GROUPS, NO_SECTION
from esgcheck.report.html.page import (
    Page,
    dl,
    esc,
    key_of,
    rule_anchor,
    section_key,
    severity_badge,
    worst_first,
)
from esgcheck.safetext import visible


def location_html(page: Page, loc: Location, filing: str | None = None) -> str:
    """Where a finding is; without the file name when it is ``filing``'s."""
    place = loc.place()
    if filing is not None and loc.file == filing:
        place = place[len(filing) + 1:]
    parts = [f'<code class="loc-place">{esc(place)}</code>' if place else ""]
    if loc.xpath:
        parts.append(f' · XPath <code class="loc-xpath">{esc(loc.xpath)}</code>')
    parts.append(f"{' · ' if place else ''}JSON Pointer <code>{esc(loc.pointer or '/')}</code>")
    if not loc.exists:
        parts.append(f' <span class="loc-absent"><span class="absent">{page.wd("absent")}'
                     f'</span> <span class="muted">{page.lb("location_absent")}</span></span>')
    return "".join(parts)


def _value_text(page: Page, e: Evidence) -> tuple[str | None, str]:
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


def _value(page: Page, e: Evidence) -> tuple[str, str]:
    display, unit = _value_text(page, e)
    if display is None:
        return f'<span class="absent">{page.wd("absent")}</span>', ""
    return esc(display), esc(unit)


def _evidence_name(e: Evidence) -> str:
    return f"facts.{e.name}" if e.source == "fact" else e.name


def _evidence_line(e: Evidence) -> int | None:
    return e.location.line if e.source != "fact" and e.location is not None else None


def _evidence_table(page: Page, evidence: list[Evidence]) -> str:
    if not evidence:
        return ""
    if page.batch:
        return ('<ul class="evidence">'
                + "".join(evidence_item(page, e) for e in evidence) + "</ul>")
    rows = []
    for e in evidence:
        value, unit = _value(page, e)
        rows.append(f'<tr data-source="{esc(e.source)}"><td><code>{esc(_evidence_name(e))}</code>'
                    f'</td><td>{value}</td><td>{unit}</td>'
                    f'<td class="num">{_evidence_line(e) or ""}</td></tr>')
    return (f'<h4>{page.wd("evidence")}</h4><table class="evidence"><thead><tr>'
            f"<th>{page.lb('name')}</th><th>{page.lb('value')}</th><th>{page.lb('unit')}</th>"
            f'<th class="num">{page.lb("line")}</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def evidence_item(page: Page, e: Evidence) -> str:
    value, unit = _value(page, e)
    text = f"<code>{esc(_evidence_name(e))}</code> = {value}{' ' + unit if unit else ''}"
    line = _evidence_line(e)
    if line is not None:
        text += f' <span class="muted">({page.wd("at_line", n=line)})</span>'
    return f"<li>{text}</li>"


def _proof_node(page: Page, node: ProofNode) -> str:
    rules = ", ".join(f"<code>{esc(rule)}</code>" for rule in node.rules) or page.wd("not_derived")
    entity = f' <span class="muted">@ <code>{esc(node.entity)}</code></span>' if node.entity else ""
    inner = [evidence_item(page, e) for e in node.evidence]
    inner += [f'<li class="proof-note">{page.lb("note")}: {esc(note)}</li>' for note in node.notes]
    inner += [_proof_node(page, child) for child in node.because]
    below = f"<ul>{''.join(inner)}</ul>" if inner else ""
    return (f'<li class="proof-fact"><code>facts.{esc(node.fact)} = {esc(node.value)}</code>'
            f"{entity} ← {rules}{below}</li>")


class Proofs:
    """Proof trees kept once for the page: every distinct node (a fact with its
    values and the nodes it rests on) is one entry of a table, a tree is the
    indices of its roots. A batch repeats the same derivations (the report
    year, the discloser's scope) filing after filing; each is written once."""

    def __init__(self, page: Page) -> None:
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


def _proof(page: Page, f: Finding) -> str:
    if not f.derivation:
        return ""
    summary = f"<summary>{page.wd('because')}</summary>"
    if page.proofs is not None and not page.explain:
        roots = " ".join(str(page.proofs.add(node)) for node in f.derivation)
        return f'<details class="proof" data-proof="{roots}">{summary}</details>'
    nodes = "".join(_proof_node(page, node) for node in f.derivation)
    return (f'<details class="proof"{page.open_attr()}>{summary}'
            f'<ul class="proof">{nodes}</ul></details>')


def _waiver(page: Page, w: WaiverApplied) -> str:
    place = w.file + (f":{w.line}" if w.line is not None else "")
    rows = [
        (page.lb("justification"), esc(w.justification)),
        (page.lb("approver"), esc(w.approver)),
        (page.lb("ticket"), esc(w.ticket or "—")),
        (page.lb("expires"), esc(w.expires.isoformat())),
        (page.lb("defined_in"), f"<code>{esc(w.id)}</code> — <code>{esc(place)}</code>"),
    ]
    return f'<div class="waiver"><h4>{page.lb("waiver")}</h4>{dl(rows)}</div>'


def citation_html(page: Page, f: Finding) -> str:
    text = esc(f.citation.text.get(page.lang))
    url = page.urls.get((f.rulebase, f.rule_id))
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{esc(url)}" rel="noreferrer noopener">{text}</a>'
    return text


def _finding_meta(page: Page, f: Finding) -> list[tuple[str, str]]:
    rows = [
        (page.wd("citation"), citation_html(page, f)),
        (page.wd("location"), location_html(page, f.location)),
        (page.wd("rulebase"), f"<code>{esc(f.rulebase)}</code> {esc(f.rulebase_version)}"),
    ]
    if f.remediation is not None:
        rows.append((page.wd("remediation"), esc(f.remediation.get(page.lang))))
    if f.notes:
        rows.append((page.lb("notes"), _notes(f)))
    if f.fingerprint:
        rows.append((page.lb("fingerprint"), f'<code class="muted">{esc(f.fingerprint)}</code>'))
    return rows


def _notes(f: Finding) -> str:
    return "<ul>" + "".join(f"<li>{esc(note)}</li>" for note in f.notes) + "</ul>"


def _finding(page: Page, f: Finding, ident: str, filing: str) -> str:
    key = key_of(f)
    severity = ("" if f.outcome == "breach" else
                f'<span class="muted">{page.lb("rule_severity", severity=page.word(f.severity))}'
                "</span> ")
    rule = esc(f.rule_id)
    if page.batch:  # the rule's citation and remediation are in its row of the rules table
        rule = f'<a href="#{esc(rule_anchor(f))}">{rule}</a>'
    section = esc(page.section_name(*section_key(f)))
    # a batch writes the severity in the group's heading and the title in the rule's row
    badge = "" if page.batch else f"{severity_badge(page, key)} "
    title = ("" if page.batch else
             f'<span class="finding-title">{esc(f.title.get(page.lang))}</span> ')
    head = (f'<header>{badge}{severity}<code class="rule-id">{rule}</code> {title}'
            f'<span class="section-name muted">{section}</span></header>')
    if page.batch:
        body = f'<p class="loc">{location_html(page, f.location, filing)}</p>'
        if f.notes:
            body += _notes(f)
    else:
        body = dl(_finding_meta(page, f))
    waiver = _waiver(page, f.waiver) if f.waiver is not None else ""
    return (f'<article class="finding k-{key}" id="{ident}" data-key="{key}" '
            f'data-rule="{esc(f.rule_id)}" data-section="{esc(f.section or NO_SECTION)}">{head}'
            f'<p class="message">{esc(f.message.get(page.lang))}</p>'
            f"{body}{_evidence_table(page, f.evidence)}{waiver}{_proof(page, f)}</article>")


def findings_of(page: Page, r: FilingReport, n: int) -> Iterator[str]:
    """The findings of a filing worst first, under a heading per kind."""
    ordered = worst_first(enumerate(r.findings, 1))
    for key in GROUPS:
        items = [(i, f) for i, f in ordered if key_of(f) == key]
        if not items:
            continue
        yield f'<h4 class="group" data-key="{key}">{severity_badge(page, key)} ({len(items)})</h4>'
        for i, f in items:
            yield _finding(page, f, f"finding-{n}-{i}", r.file)


