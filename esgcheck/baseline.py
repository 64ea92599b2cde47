"""Baselines: report only what is new since a known state.

``esgcheck baseline create PATHS -o baseline.json`` records every finding (but
waived ones) as its rule id, filing name and fingerprint; ``esgcheck check
--baseline baseline.json`` then leaves out the findings the baseline knows and
lists the baseline's findings that are no longer found, for the filings the run
checked, as fixed. The fingerprint hashes the rule and the JSON Pointer of the
finding, so a finding keeps it when lines move, and two findings of one rule in
different places are told apart.

A baseline names each filing relative to the baseline file's own folder, with
``/`` between folders (format 2), and reads the names the same way: made in
the repository root as ``.esgcheck/baseline.json``, it holds
``../filings/a.json``, and it matches whether esgcheck then runs in the root, in
a subfolder or elsewhere with absolute paths. Written to standard output, it
names them relative to the working directory (as if written there). A baseline
of format 1 named them relative to the working directory it was made in; it is
still read that way, with a notice saying to make it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from esgcheck.engine import loaderrors
from esgcheck.engine.files import read_regular
from esgcheck.engine.findings import BaselineEntry, BaselineUsed, FilingReport, Report
from esgcheck.engine.grading import count
from esgcheck.safetext import json_safe

FORMAT = 2  # 2: filing names relative to the baseline file's folder; 1: to the working directory
FORMATS = (1, 2)

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
    format: int = FORMAT
    folder: Path | None = None  # the baseline file's folder, absolute (None: the working one)

    def name_of(self, filing: str, cwd: Path | None = None) -> str:
        """A filing's name as a report gives it, as this baseline writes it."""
        if self.format == 1:
            return filing
        return relative_name(filing, self.folder or Path.cwd(), cwd)


def relative_name(filing: str, folder: Path, cwd: Path | None = None) -> str:
    """A filing's name as reports give it (relative to the working directory
    ``cwd``, or absolute), relative to ``folder``, with ``/`` between folders.
    Links in the folders above the file are resolved on both sides, so a
    folder reached through a link names a file the same way; the file's own
    name is kept (two names of one file stay two filings)."""
    here = Path.cwd() if cwd is None else cwd
    full = os.path.join(os.path.abspath(here), filing)  # an absolute name stays itself
    full = os.path.join(os.path.realpath(os.path.dirname(full)), os.path.basename(full))
    try:
        rel = os.path.relpath(full, os.path.realpath(os.path.abspath(folder)))
    except ValueError:  # another drive (Windows): no relative name
        return Path(full).as_posix()
    return Path(rel).as_posix()


def key(entry: BaselineEntry) -> Key:
    return entry.rule_id, entry.file, entry.fingerprint


def entries_of(report: Report, folder: Path | None = None, cwd: Path | None = None
               ) -> list[BaselineEntry]:
    """Every finding of a report that a baseline records (all but waived ones),
    its filing named relative to ``folder`` (default: the working directory)."""
    base = folder if folder is not None else (cwd or Path.cwd())
    names = {r.file: relative_name(r.file, base, cwd) for r in report.filings}
    out = {
        (f.rule_id, names[r.file], f.fingerprint): BaselineEntry(
            rule_id=f.rule_id, file=names[r.file], fingerprint=f.fingerprint,
            pointer=f.location.pointer, severity=f.severity, title=f.title)
        for r in report.filings for f in r.findings if f.outcome != "waived"}
    return [out[k] for k in sorted(out)]


def dumps(report: Report, folder: Path | None = None, cwd: Path | None = None) -> str:
    """The baseline of a report, to be written into ``folder`` (default: the
    working directory): filing names are relative to it."""
    data = BaselineFile(esgcheck_baseline=FORMAT, findings=entries_of(report, folder, cwd))
    return json_safe(data.model_dump_json(indent=2, exclude_none=True)) + "\n"


def load_baseline(path: Path, display: str | None = None) -> Baseline:
    name = display or path.as_posix()
    try:
        raw = read_regular(path)
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
    if parsed.esgcheck_baseline not in FORMATS:
        raise BaselineError(name, f"baseline format {parsed.esgcheck_baseline}; this "
                                  f"esgcheck reads formats {', '.join(map(str, FORMATS))} / "
                                  "基线文件格式不受支持")
    return Baseline(name, hashlib.sha256(raw).hexdigest(), tuple(parsed.findings),
                    parsed.esgcheck_baseline, path.absolute().parent)


def apply_baseline(filings: Sequence[FilingReport], baseline: Baseline,
                   cwd: Path | None = None) -> tuple[list[FilingReport], BaselineUsed]:
    """Leave out the findings the baseline knows; list its findings that the
    filings checked now no longer have (named as the report names them)."""
    known = {key(e) for e in baseline.entries}
    seen: set[Key] = set()
    out: list[FilingReport] = []
    names = {f.file: baseline.name_of(f.file, cwd) for f in filings}
    for filing in filings:
        kept = []
        for f in filing.findings:
            k = (f.rule_id, names[filing.file], f.fingerprint)
            if k in known and f.outcome != "waived":
                seen.add(k)
            else:
                kept.append(f)
        dropped = len(filing.findings) - len(kept)
        out.append(filing.model_copy(update={
            "findings": kept, "baselined": dropped, "counts": count(kept)})
                   if dropped else filing)
    checked = {names[f.file]: f.file for f in filings if f.status == "checked"}
    fixed = [e.model_copy(update={"file": checked[e.file]}) for e in baseline.entries
             if e.file in checked and key(e) not in seen]
    return out, BaselineUsed(file=baseline.file, sha256=baseline.sha256,
                             known=sum(f.baselined for f in out), fixed=fixed)


def notices(baseline: Baseline, used: BaselineUsed, filings: Sequence[FilingReport],
            cwd: Path | None = None) -> list[str]:
    """What a user should know about how a baseline was applied: that it is of
    the old format (names relative to the working directory), and that it
    names none of the filings checked, so every finding is reported as new."""
    out = []
    if baseline.format == 1:
        out.append(
            f"{baseline.file}: a baseline of format 1 names filings relative to the working "
            "directory it was made in, and is read that way; make it again with 'esgcheck "
            "baseline create ... -o FILE' to name them relative to its own folder / 旧格式基线"
            "（文件名相对于当时的工作目录）：请重新生成")
    checked = [f for f in filings if f.status == "checked"]
    if baseline.entries and checked and used.known == 0 and not used.fixed:
        example = baseline.name_of(checked[0].file, cwd)
        out.append(
            f"{baseline.file}: the baseline names none of the {len(checked)} filing(s) "
            f"checked, so every finding is new: it names e.g. '{baseline.entries[0].file}', "
            f"and '{checked[0].file}' is '{example}' from "
            f"{'the working directory' if baseline.format == 1 else 'its folder'} / "
            "基线未涉及本次检查的任何文件，所有发现均视为新发现")
    return out


REPORT_HEAD = re.compile(rb'^\s*\{\s*"(schema_version|esgcheck_baseline|\$schema|version)"')


def report_instead_of_filing(path: Path) -> str | None:
    """What a JSON file given as a filing is when it is esgcheck's own output
    (a report, a SARIF log, a baseline) rather than a filing; None otherwise."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    if not REPORT_HEAD.match(head):
        return None
    text = head.decode("utf-8", "replace")
    if '"esgcheck_baseline"' in text:
        return "a baseline / 基线文件"
    if '"schema_version"' in text and '"esgcheck"' in text:
        return "an esgcheck report (JSON) / esgcheck 报告（JSON）"
    if "sarif-2" in text.lower():
        return "a SARIF log (a report) / SARIF 报告"
    return None


def unusable(report: Report) -> list[str]:
    """Why each file given to ``baseline create`` is not in the baseline, one
    line each: esgcheck's own output given instead of the filings it was made
    from is named as such."""
    out = []
    for r in report.filings:
        if r.status == "checked":
            continue
        what = report_instead_of_filing(Path(r.file))
        if what is not None:
            out.append(f"{r.file} is {what}, not a filing: a baseline records the findings of "
                       "filings; give the filings (or their folder) the report was made from "
                       "/ 这不是申报文件：请给出生成该报告的申报文件或其目录")
        else:
            out.append(f"{r.file}: {r.error.message.en if r.error else r.status}")
    return out
