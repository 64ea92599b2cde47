"""Waivers: accepted exceptions, each with a reason, an approver and an end.

``esgcheck check --waivers FILE`` reads a YAML file of entries::

    waivers:
      - id: W-2026-007                      # optional; default W-<n>
        rule: CN-EIDM-ANN-019               # the rule id, exactly
        filings: filings/2026/acme.json     # one filing, its name exactly as reported
        path: /permits/0                    # optional JSON Pointer; the finding's
                                            # pointer must be it or lie under it
        justification: Permit renewal filed; the bureau confirmed in writing.
        approver: Li Wei (audit lead)
        ticket: AUD-1432                    # optional
        expires: 2027-03-31                 # last day the waiver applies

``filings`` and ``filings_glob`` name filings relative to the waiver file's
folder, with ``/`` between folders (as a baseline does), so a waiver file
matches the same filings wherever esgcheck runs. A waiver file written when
names were those of the report (relative to the working directory) still
matches them: a waiver that matches a filing only that way gets a notice
saying how to write the name instead.

``filings`` names one filing, literally: a name with ``*``, ``?`` or ``[`` in it
is that name and nothing else. A waiver meant for several filings says so with
``filings_glob`` instead (a glob over the names as reported, ``*`` crossing
``/``); the report then names every filing whose findings it waived. Waiver
files written before ``filings`` was literal read as before unless their
``filings`` holds a pattern: such a waiver now matches nothing, and the report
says what to write instead.

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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from esgcheck import safetext
from esgcheck.baseline import Baseline, relative_name
from esgcheck.baseline import notices as baseline_notices
from esgcheck.engine import loaderrors, yamlio
from esgcheck.engine.files import read_regular
from esgcheck.engine.findings import (
    FilingReport,
    Finding,
    Report,
    WaiverApplied,
    WaiverStatus,
    WaiversUsed,
)

# a rule id as rule files write it, or a structural one such as SCHEMA.required
RULE = r"^[A-Za-z][A-Za-z0-9]*([-.][A-Za-z0-9]+)+$"  # any case: read as the rule spells it


class WaiverError(yamlio.YamlError):
    """A waiver file that cannot be used, with its file and line."""


class WaiverEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(None, min_length=1)
    rule: str = Field(pattern=RULE)
    filings: str | None = Field(None, min_length=1,
                                description="one filing's name, exactly as reported")
    filings_glob: str | None = Field(None, min_length=1, description=(
        "a glob over filing names as reported, for a waiver meant for several filings"))
    path: str | None = Field(None, pattern=r"^(/.*)?$", description="JSON Pointer prefix")
    justification: str = Field(min_length=10)
    approver: str = Field(min_length=1)
    ticket: str | None = None
    expires: date

    @model_validator(mode="after")
    def _one_scope(self) -> WaiverEntry:
        if (self.filings is None) == (self.filings_glob is None):
            raise ValueError(
                "give either 'filings' (one filing's name, literally) or 'filings_glob' (a "
                "pattern over filing names), not both and not neither / 需给出 filings"
                "（一个文件名，按字面匹配）或 filings_glob（文件名通配模式）之一")
        return self

    @property
    def scope(self) -> str:
        """The name or the pattern, as written."""
        return self.filings if self.filings is not None else str(self.filings_glob)


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: list[WaiverEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Waiver:
    id: str
    entry: WaiverEntry
    line: int | None

    def names(self, name: str) -> bool:
        """Whether this waiver's ``filings`` or ``filings_glob`` names a filing
        of this name (relative to the waiver file's folder, or as reported)."""
        e = self.entry
        if e.filings is not None:
            return name == e.filings
        return fnmatch.fnmatchcase(name, str(e.filings_glob))

    def matches(self, filing: str | tuple[str, ...], finding: Finding) -> bool:
        """Whether the waiver covers the finding in a filing known by any of
        the names given."""
        e = self.entry
        if finding.rule_id != e.rule:
            return False
        if not any(self.names(n) for n in ((filing,) if isinstance(filing, str) else filing)):
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
    folder: Path | None = None  # the waiver file's folder, absolute (None: the working one)

    def names_of(self, filing: str, cwd: Path | None = None) -> tuple[str, ...]:
        """A filing's name relative to the waiver file's folder, then its name
        as reported when that differs (what waiver files used to write)."""
        rel = relative_name(filing, self.folder or Path.cwd(), cwd)
        return (rel,) if rel == filing else (rel, filing)


def load_waivers(path: Path, display: str | None = None) -> Waivers:
    name = display or path.as_posix()
    try:
        raw = read_regular(path)
    except OSError as exc:
        raise WaiverError(name, None, exc.strerror or str(exc)) from None
    return parse_waivers(raw, name, path.absolute().parent)


def parse_waivers(raw: bytes, name: str, folder: Path | None = None) -> Waivers:
    """A waiver file's content, validated; every problem names the file and line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WaiverError(name, None, f"not UTF-8 text ({exc.reason} at byte {exc.start}) / "
                                      "不是 UTF-8 文本") from None
    try:
        located = yamlio.loads(text, name)
    except yamlio.YamlError as exc:
        raise WaiverError(name, exc.line, exc.message) from None
    except (ValueError, OverflowError, RecursionError) as exc:
        line, why = loaderrors.bad_scalar(text) or (None, f"invalid YAML: {exc}")
        raise WaiverError(name, line, why) from None
    if not isinstance(located.data, dict) or "waivers" not in located.data:
        raise WaiverError(name, 1, "a waiver file is a mapping with a list 'waivers:' / "
                                   "豁免文件应为含 waivers: 列表的映射")
    try:
        parsed = WaiverFile.model_validate(located.data)
    except ValidationError as exc:
        first = loaderrors.ordered(exc.errors())[0]
        where = tuple(p for p in first["loc"] if isinstance(p, str | int))
        raise WaiverError(name, located.line(where),
                          loaderrors.describe(first, WaiverFile)) from None
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
    return Waivers(name, hashlib.sha256(raw).hexdigest(), tuple(entries), folder)


def apply_waivers(filings: Sequence[FilingReport], waivers: Waivers, today: date,
                  cwd: Path | None = None) -> tuple[list[FilingReport], WaiversUsed]:
    """Mark the findings each live waiver matches as waived (the first waiver in
    the file that matches wins); report every waiver's status."""
    matched = {w.id: 0 for w in waivers.entries}
    live = {w.id for w in waivers.entries if w.entry.expires >= today}
    by_rule: dict[str, list[Waiver]] = defaultdict(list)  # in file order
    for w in waivers.entries:
        by_rule[w.entry.rule].append(w)
    out: list[FilingReport] = []
    for filing in filings:
        names = waivers.names_of(filing.file, cwd)
        findings = [_waive(names, f, by_rule.get(f.rule_id, ()), matched, live,
                           waivers.file) for f in filing.findings]
        changed = any(new is not old for new, old in zip(findings, filing.findings, strict=True))
        out.append(filing.model_copy(update={"findings": findings}) if changed else filing)
    statuses = [WaiverStatus(
        id=w.id, rule=w.entry.rule, filings=w.entry.scope, path=w.entry.path,
        justification=w.entry.justification, approver=w.entry.approver,
        ticket=w.entry.ticket, expires=w.entry.expires, line=w.line,
        status="expired" if w.id not in live else "applied" if matched[w.id] else "unused",
        matched=matched[w.id]) for w in waivers.entries]
    return out, WaiversUsed(file=waivers.file, sha256=waivers.sha256, today=today,
                            entries=statuses)


def _waive(filing: tuple[str, ...], finding: Finding, candidates: Sequence[Waiver],
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
                waiver_id: str | None = None, glob: bool = False) -> str:
    """One entry of a waiver file, as ``esgcheck waive`` writes it: ``filing``
    is a name, written literally (YAML quotes it where it must), or with
    ``glob`` a pattern the user gave on purpose."""
    entry: dict[str, object] = {}
    if waiver_id:
        entry["id"] = waiver_id
    entry["rule"] = rule
    entry["filings_glob" if glob else "filings"] = filing
    if pointer:
        entry["path"] = pointer
    entry.update(justification=justification, approver=approver)
    if ticket:
        entry["ticket"] = ticket
    entry["expires"] = expires
    try:
        WaiverEntry.model_validate(entry)  # what is written must load
    except ValidationError as exc:
        raise ValueError(loaderrors.describe(loaderrors.ordered(exc.errors())[0],
                                             WaiverEntry)) from None
    lines = []
    for n, (key, value) in enumerate(entry.items()):
        text = value.isoformat() if isinstance(value, date) else _scalar(str(value))
        lines.append(f"{'  - ' if n == 0 else '    '}{key}: {text}\n")
    return "".join(lines)


def _scalar(text: str) -> str:
    """A YAML scalar that reads back as ``text`` exactly: plain where YAML
    reads it so, else double-quoted with every unsafe character escaped, so
    that the entry is one line whatever the text holds and safe to print."""
    import yaml

    if (not safetext.UNSAFE.search(text) and text == text.strip() and "\\" not in text
            and not text.startswith(("'", '"'))):
        try:
            if yaml.safe_load(f"k: {text}\n") == {"k": text}:
                return text
        except yaml.YAMLError:
            pass
    body = (text.replace("\\", "\\\\").replace('"', '\\"'))
    return '"' + safetext.UNSAFE.sub(lambda m: _yaml_escape(m.group()), body) + '"'


def _yaml_escape(ch: str) -> str:
    n = ord(ch)
    if 0xD800 <= n <= 0xDFFF:
        raise ValueError("a lone surrogate cannot be written / 孤立代理项无法写入")
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def notices(waivers: Waivers, filings: Sequence[FilingReport], cwd: Path | None = None
            ) -> list[str]:
    """What a user should know about how a waiver file was read: a waiver
    that names filings only as the working directory sees them (say how to
    write the name relative to the file's folder), and a file that names none
    of the filings checked at all."""
    names = {f.file: waivers.names_of(f.file, cwd) for f in filings}
    out: list[str] = []
    named_any = False
    for w in waivers.entries:
        own = [f for f, n in names.items() if w.names(n[0])]
        old = [f for f, n in names.items() if len(n) > 1 and not w.names(n[0]) and w.names(n[1])]
        named_any |= bool(own or old)
        if old and not own:
            where = f" (line {w.line})" if w.line else ""
            out.append(
                f"{waivers.file}: waiver {w.id}{where} names '{w.entry.scope}' relative to the "
                f"working directory; names are relative to the waiver file's folder: write "
                f"'{names[old[0]][0]}' for {old[0]} / 豁免条目的文件名应相对于豁免文件所在目录")
    checked = [f for f in filings if f.status == "checked"]
    if checked and not named_any:
        example = names[checked[0].file][0]
        out.append(
            f"{waivers.file}: no waiver names any of the {len(checked)} filing(s) checked "
            f"(names are relative to the waiver file's folder, where '{checked[0].file}' is "
            f"'{example}') / 豁免文件未涉及本次检查的任何文件")
    return out


def policy_notices(report: Report, waivers: Waivers | None, known: Baseline | None,
                   cwd: Path | None = None) -> list[str]:
    """The notices of a run's waiver file and baseline (see ``notices`` here
    and in esgcheck.baseline), for standard error."""
    out = notices(waivers, report.filings, cwd) if waivers is not None else []
    if known is not None and report.baseline is not None:
        out += baseline_notices(known, report.baseline, report.filings, cwd)
    return [f"notice / 提示: {note}" for note in out]
