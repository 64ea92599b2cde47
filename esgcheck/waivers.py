"""Waivers: accepted exceptions, each with a reason, an approver and an end.

``esgcheck check --waivers FILE`` reads a YAML file of entries::

    waivers:
      - id: W-2026-007                      # optional; default W-<n>
        rule: CN-EIDM-ANN-019               # the rule id, exactly
        filings: "filings/2026/*.json"      # glob over filing names as reported
        path: /permits/0                    # optional JSON Pointer; the finding's
                                            # pointer must be it or lie under it
        justification: Permit renewal filed; the bureau confirmed in writing.
        approver: Li Wei (audit lead)
        ticket: AUD-1432                    # optional
        expires: 2027-03-31                 # last day the waiver applies

A finding a waiver matches stays in every output, with outcome ``waived`` and
the waiver's justification; it no longer counts towards the grade or the exit
code. A waiver whose expiry date has passed applies to nothing and is reported
as expired; one that matched nothing is reported as unused. Expiry is judged
on ``--today`` (default: the system date), which the report records.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from esgcheck.engine import yamlio
from esgcheck.engine.findings import (
    FilingReport,
    Finding,
    WaiverApplied,
    WaiverStatus,
    WaiversUsed,
)

# a rule id as rule files write it, or a structural one such as SCHEMA.required
RULE = r"^[A-Z][A-Z0-9]*([-.][A-Za-z0-9]+)+$"


class WaiverError(yamlio.YamlError):
    """A waiver file that cannot be used, with its file and line."""


class WaiverEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(None, min_length=1)
    rule: str = Field(pattern=RULE)
    filings: str = Field(min_length=1, description="glob over filing names")
    path: str | None = Field(None, pattern=r"^(/.*)?$", description="JSON Pointer prefix")
    justification: str = Field(min_length=10)
    approver: str = Field(min_length=1)
    ticket: str | None = None
    expires: date


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: list[WaiverEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Waiver:
    id: str
    entry: WaiverEntry
    line: int | None

    def matches(self, filing: str, finding: Finding) -> bool:
        e = self.entry
        if finding.rule_id != e.rule or not fnmatch.fnmatchcase(filing, e.filings):
            return False
        if e.path is None:
            return True
        pointer = finding.location.pointer
        return pointer == e.path or pointer.startswith(e.path.rstrip("/") + "/")


@dataclass(frozen=True)
class Waivers:
    file: str
    sha256: str
    entries: tuple[Waiver, ...]


def load_waivers(path: Path, display: str | None = None) -> Waivers:
    name = display or path.as_posix()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WaiverError(name, None, exc.strerror or str(exc)) from None
    return parse_waivers(raw, name)


def parse_waivers(raw: bytes, name: str) -> Waivers:
    """A waiver file's content, validated; every problem names the file and line."""
    try:
        located = yamlio.loads(raw.decode("utf-8"), name)
    except UnicodeDecodeError as exc:
        raise WaiverError(name, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
                          ) from None
    except yamlio.YamlError as exc:
        raise WaiverError(name, exc.line, exc.message) from None
    try:
        parsed = WaiverFile.model_validate(located.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = tuple(first["loc"])
        field = ".".join(str(p) for p in where) or "(file)"
        raise WaiverError(name, located.line(where), f"{field}: {first['msg']}") from None
    entries: list[Waiver] = []
    seen: dict[str, int | None] = {}
    for n, entry in enumerate(parsed.waivers):
        line = located.line(("waivers", n))
        waiver_id = entry.id or f"W-{n + 1}"
        if waiver_id in seen:
            raise WaiverError(name, line, f"waiver id '{waiver_id}' is used twice "
                                          f"(first on line {seen[waiver_id]})")
        seen[waiver_id] = line
        entries.append(Waiver(waiver_id, entry, line))
    return Waivers(name, hashlib.sha256(raw).hexdigest(), tuple(entries))


def apply_waivers(filings: Sequence[FilingReport], waivers: Waivers, today: date
                  ) -> tuple[list[FilingReport], WaiversUsed]:
    """Mark the findings each live waiver matches as waived (the first waiver in
    the file that matches wins); report every waiver's status."""
    matched = {w.id: 0 for w in waivers.entries}
    live = {w.id for w in waivers.entries if w.entry.expires >= today}
    by_rule: dict[str, list[Waiver]] = defaultdict(list)  # in file order
    for w in waivers.entries:
        by_rule[w.entry.rule].append(w)
    out: list[FilingReport] = []
    for filing in filings:
        findings = [_waive(filing.file, f, by_rule.get(f.rule_id, ()), matched, live,
                           waivers.file) for f in filing.findings]
        changed = any(new is not old for new, old in zip(findings, filing.findings, strict=True))
        out.append(filing.model_copy(update={"findings": findings}) if changed else filing)
    statuses = [WaiverStatus(
        id=w.id, rule=w.entry.rule, filings=w.entry.filings, path=w.entry.path,
        justification=w.entry.justification, approver=w.entry.approver,
        ticket=w.entry.ticket, expires=w.entry.expires, line=w.line,
        status="expired" if w.id not in live else "applied" if matched[w.id] else "unused",
        matched=matched[w.id]) for w in waivers.entries]
    return out, WaiversUsed(file=waivers.file, sha256=waivers.sha256, today=today,
                            entries=statuses)


def _waive(filing: str, finding: Finding, candidates: Sequence[Waiver],
           matched: dict[str, int], live: set[str], file: str) -> Finding:
    """The finding, waived by the first live waiver that matches it; every
    matching waiver, live or expired, counts the match."""
    if finding.outcome == "waived":
        return finding
    hits = [w for w in candidates if w.matches(filing, finding)]
    for w in hits:
        matched[w.id] += 1
    hit = next((w for w in hits if w.id in live), None)
    if hit is None:
        return finding
    return finding.model_copy(update={"outcome": "waived", "waiver": WaiverApplied(
        id=hit.id, justification=hit.entry.justification, approver=hit.entry.approver,
        ticket=hit.entry.ticket, expires=hit.entry.expires, file=file, line=hit.line)})


def waiver_yaml(rule: str, filing: str, pointer: str | None, justification: str,
                approver: str, ticket: str | None, expires: date,
                waiver_id: str | None = None) -> str:
    """One entry of a waiver file, as ``esgcheck waive`` writes it."""
    import yaml

    entry: dict[str, object] = {}
    if waiver_id:
        entry["id"] = waiver_id
    entry.update(rule=rule, filings=filing)
    if pointer:
        entry["path"] = pointer
    entry.update(justification=justification, approver=approver)
    if ticket:
        entry["ticket"] = ticket
    entry["expires"] = expires
    WaiverEntry.model_validate(entry)  # what is written must load
    text = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=88)
    return "".join("  " + line if line.strip() else line for line in text.splitlines(True))
