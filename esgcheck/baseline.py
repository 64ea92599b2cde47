"""Baselines: report only what is new since a known state.

``esgcheck baseline create PATHS -o baseline.json`` records every finding (but
waived ones) as its rule id, filing name and fingerprint; ``esgcheck check
--baseline baseline.json`` then leaves out the findings the baseline knows and
lists the baseline's findings that are no longer found, for the filings the run
checked, as fixed. The fingerprint hashes the rule and the JSON Pointer of the
finding, so a finding keeps it when lines move, and two findings of one rule in
different places are told apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from esgcheck.engine import loaderrors
from esgcheck.engine.findings import BaselineEntry, BaselineUsed, FilingReport, Report
from esgcheck.engine.grading import count
from esgcheck.safetext import json_safe

FORMAT = 1

Key = tuple[str, str, str]  # rule id, filing, fingerprint


class BaselineError(ValueError):
    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file


class BaselineFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    esgcheck_baseline: int
    findings: list[BaselineEntry]


@dataclass(frozen=True)
class Baseline:
    file: str
    sha256: str
    entries: tuple[BaselineEntry, ...]


def key(entry: BaselineEntry) -> Key:
    return entry.rule_id, entry.file, entry.fingerprint


def entries_of(report: Report) -> list[BaselineEntry]:
    """Every finding of a report that a baseline records (all but waived ones)."""
    out = {
        (f.rule_id, r.file, f.fingerprint): BaselineEntry(
            rule_id=f.rule_id, file=r.file, fingerprint=f.fingerprint,
            pointer=f.location.pointer, severity=f.severity, title=f.title)
        for r in report.filings for f in r.findings if f.outcome != "waived"}
    return [out[k] for k in sorted(out)]


def dumps(report: Report) -> str:
    data = BaselineFile(esgcheck_baseline=FORMAT, findings=entries_of(report))
    return json_safe(data.model_dump_json(indent=2, exclude_none=True)) + "\n"


def load_baseline(path: Path, display: str | None = None) -> Baseline:
    name = display or path.as_posix()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BaselineError(name, exc.strerror or str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BaselineError(name, f"not UTF-8 text ({exc.reason} at byte {exc.start}) / "
                                  "不是 UTF-8 文本") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(name, f"line {exc.lineno}, column {exc.colno}: not JSON "
                                  f"({exc.msg}) / 不是有效的 JSON") from None
    except (RecursionError, ValueError) as exc:  # nested too deep; an integer too long
        found = loaderrors.json_beyond_limits(text)
        where = f"line {found[0]}, column {found[1]}: " if found else ""
        reason = found[2] if found else str(exc).split(";")[0]
        raise BaselineError(name, f"{where}not an esgcheck baseline: {reason}") from None
    if not isinstance(data, dict) or "esgcheck_baseline" not in data:
        raise BaselineError(name, "not an esgcheck baseline: a JSON object with "
                                  "'esgcheck_baseline' and 'findings' (written by esgcheck "
                                  "baseline create) / 不是 esgcheck 基线文件") from None
    try:
        parsed = BaselineFile.model_validate(data)
    except ValidationError as exc:
        wrong = [loaderrors.describe(e, BaselineFile) for e in loaderrors.ordered(exc.errors())]
        more = f" (and {len(wrong) - 3} more)" if len(wrong) > 3 else ""
        raise BaselineError(name, "not an esgcheck baseline: " + "; ".join(wrong[:3]) + more
                            ) from None
    if parsed.esgcheck_baseline != FORMAT:
        raise BaselineError(name, f"baseline format {parsed.esgcheck_baseline}; this "
                                  f"esgcheck reads format {FORMAT}")
    return Baseline(name, hashlib.sha256(raw).hexdigest(), tuple(parsed.findings))


def apply_baseline(filings: Sequence[FilingReport], baseline: Baseline
                   ) -> tuple[list[FilingReport], BaselineUsed]:
    """Leave out the findings the baseline knows; list its findings that the
    filings checked now no longer have."""
    known = {key(e) for e in baseline.entries}
    seen: set[Key] = set()
    out: list[FilingReport] = []
    for filing in filings:
        kept = []
        for f in filing.findings:
            k = (f.rule_id, filing.file, f.fingerprint)
            if k in known and f.outcome != "waived":
                seen.add(k)
            else:
                kept.append(f)
        dropped = len(filing.findings) - len(kept)
        out.append(filing.model_copy(update={
            "findings": kept, "baselined": dropped, "counts": count(kept)})
                   if dropped else filing)
    checked = {f.file for f in filings if f.status == "checked"}
    fixed = [e for e in baseline.entries if e.file in checked and key(e) not in seen]
    return out, BaselineUsed(file=baseline.file, sha256=baseline.sha256,
                             known=sum(f.baselined for f in out), fixed=fixed)
