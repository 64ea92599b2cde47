"""What every part of the page uses: escaping, the page's language and options,
badges, and the order of groups and sections."""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from esgcheck.engine.findings import Counts, FilingReport, Finding, ProofNode
from esgcheck.engine.model import SEVERITIES
from esgcheck.messages import message, words
from esgcheck.report.html.labels import CHART_KEYS, GROUPS, KEYS, LABELS, NO_SECTION
from esgcheck.safetext import visible


def esc(value: object) -> str:
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
        GROUPS.index(key_of(item[1])), -SEVERITY_ORDER.get(item[1].severity, 0)
        if item[1].outcome == "not_assessable" else 0))


SEVERITY_ORDER: dict[str, int] = {s: len(SEVERITIES) - i for i, s in enumerate(SEVERITIES)}
# the grades worst first, for sorting the summary table (unknown letters last)
GRADE_ORDER = "DCNBA"
_RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


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


def section_key(f: Finding) -> tuple[str, str]:
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
    return list(dict.fromkeys(s for _, s in section_order(section_key(f) for f in r.findings)))


def chart_rows(findings: Iterable[Finding]) -> list[tuple[tuple[str, str], dict[str, int]]]:
    """One row per (rule base, section) with a charted finding: its count per
    severity and not assessable (waived findings are not charted)."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for f in findings:
        if key_of(f) in CHART_KEYS:
            row = counts.setdefault(section_key(f), dict.fromkeys(CHART_KEYS, 0))
            row[key_of(f)] += 1
    return [(key, counts[key]) for key in section_order(counts)]


class ProofTable(Protocol):
    """A batch page's proof trees, each distinct node kept once (finding.Proofs)."""

    nodes: list[list[Any]]

    def add(self, node: ProofNode) -> int: ...

    def block(self) -> str: ...


@dataclass
class Page:
    lang: str
    explain: bool
    batch: bool = False
    fail_on: str = "major"
    fail_on_not_assessable: bool = True
    urls: dict[tuple[str, str], str] = field(default_factory=dict)
    proofs: ProofTable | None = None

    def label(self, key: str, **params: object) -> str:
        """One of the page's own words (LABELS, else the tool's messages)."""
        return words(LABELS, key, self.lang, **params)

    def word(self, key: str, **params: object) -> str:
        """A word of esgcheck.messages in the page's language."""
        return message(key, self.lang, **params)

    def lb(self, key: str, **params: object) -> str:
        return esc(self.label(key, **params))

    def wd(self, key: str, **params: object) -> str:
        return esc(self.word(key, **params))

    def open_attr(self) -> str:
        return " open" if self.explain else ""

    def section_name(self, rulebase: str, section: str) -> str:
        """A section's name in the page's language; its id when unknown."""
        for ident, zh, en in bundled_sections().get(rulebase, []):
            if ident == section:
                return zh if self.lang == "zh" else en
        return section


def dl(rows: Iterable[tuple[str, str]], cls: str = "meta") -> str:
    """A definition list of (escaped label, HTML value) rows."""
    items = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return f'<dl class="{cls}">{items}</dl>'


def severity_badge(page: Page, key: str) -> str:
    return f'<span class="badge k-{key}">{page.wd(key)}</span>'


def counts_list(page: Page, counts: Counts) -> str:
    items = "".join(
        f'<li data-key="{key}">{severity_badge(page, key)} '
        f'<span class="num">{getattr(counts, key)}</span></li>' for key in KEYS)
    return f'<ul class="counts">{items}</ul>'


def grade_badge(page: Page, r: FilingReport) -> str:
    if r.grade is None:
        return ""
    label = r.grade_label.get(page.lang) if r.grade_label else ""
    return (f'<div class="grade g-{esc(r.grade)}" data-grade="{esc(r.grade)}" '
            f'title="{page.wd("grade")}"><span class="grade-letter">{esc(r.grade)}</span>'
            f'<span class="grade-label">{esc(label)}</span></div>')


def mini_grade(grade: str) -> str:
    return f'<span class="grade-mini g-{esc(grade)}" data-grade="{esc(grade)}">{esc(grade)}</span>'



def rule_anchor(f: Finding) -> str:
    return f"rule-{f.rulebase}-{f.rule_id}"


