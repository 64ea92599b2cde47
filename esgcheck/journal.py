"""A journal of finished filings, so that a long run can be resumed.

``esgcheck check --journal FILE`` appends one JSON line per filing as soon as
it is checked (and flushes it to disk). Run again with the same journal, it
takes the filings whose content (SHA-256) and settings are unchanged from the
journal and checks only the rest; the report is the same as a run from
scratch, byte for byte, each filing once.

The first line is a header with the run's settings (esgcheck's version, the
rule bases' digests, the options a report depends on); a journal of other
settings is started afresh. Each entry names the filing (as reports name it),
the SHA-256 of its content, the digest of the settings it was checked with and
its report, and is taken only when all of them match the filing it would stand
for: an entry whose report, or any place a finding of it points to, names
another file, or that was checked with other settings, is not journalled, and
that filing is checked again. A journal is a
record of one's own runs: whoever can write it can write what it says.

A line cut short by a killed run is dropped when the journal is opened again.
A journal that cannot be read as one (not UTF-8, a line that is not an entry,
such as one nested 100,000 levels deep) is refused with the file and line,
and left as it is; so is a file that is not a journal at all.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import TypeAdapter, ValidationError

from esgcheck.engine.files import read_regular
from esgcheck.engine.findings import FilingReport, Location

FORMAT = 2  # 2: entries carry the digest of their settings
_REPORT: TypeAdapter[FilingReport] = TypeAdapter(FilingReport)


class JournalError(Exception):
    """A journal that cannot be used: the message names the file and the place."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def settings_digest(settings: dict[str, Any]) -> str:
    """SHA-256 of the settings written canonically."""
    return digest(json.dumps(settings, sort_keys=True, ensure_ascii=True).encode())


class Journal:
    def __init__(self, path: Path, settings: dict[str, Any]) -> None:
        self.path = path
        self.settings = settings
        self.key = settings_digest(settings)
        self.done: dict[tuple[str, str], FilingReport] = {}
        self.ignored = 0  # entries that did not match the filing they name
        self._out: IO[bytes] | None = None
        self._load()

    def _load(self) -> None:
        try:
            data = read_regular(self.path)
        except FileNotFoundError:
            data = b""
        except OSError as exc:
            raise JournalError(f"{self.path}: cannot read the journal: "
                               f"{exc.strerror or exc}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            at = data.count(b"\n", 0, exc.start) + 1
            raise JournalError(f"{self.path}, line {at}: not UTF-8 text (byte {exc.start}); "
                               "not an esgcheck journal, left as it is") from None
        lines = text.split("\n")
        complete = len(lines) - 1  # lines ended by a newline; the rest was cut short
        header = _json(lines[0]) if complete else None
        if not data.strip():
            header = None
        elif not (isinstance(header, dict) and "journal" in header and "settings" in header):
            raise JournalError(f"{self.path}, line 1: not an esgcheck journal (its first line is "
                               "not a journal's header); left as it is")
        if header is None or header.get("journal") != FORMAT or (
                header.get("settings") != self.settings):
            # a new journal, or another run's (other rules, options or version):
            # start afresh
            self._open("wb")
            self._write({"journal": FORMAT, "settings": self.settings})
            return
        for number, line in enumerate(lines[1:complete], 2):
            entry = _json(line)
            if not isinstance(entry, dict):
                raise JournalError(f"{self.path}, line {number}: not a journal entry "
                                   f"({_why(line)}); the journal is left as it is")
            self._take(entry)
        self._open("r+b")
        assert self._out is not None
        # a line cut short by a killed run is dropped, so every line stands alone
        self._out.truncate(len("\n".join(lines[:complete]).encode("utf-8")) + 1)
        self._out.seek(0, os.SEEK_END)

    def _take(self, entry: dict[str, Any]) -> None:
        """Keep an entry that is what it claims: checked with these settings, its
        report naming the file the entry names."""
        file, sha256 = entry.get("file"), entry.get("sha256")
        if not isinstance(file, str) or not isinstance(sha256, str) or (
                entry.get("settings") != self.key):
            self.ignored += 1
            return
        try:
            report = _REPORT.validate_python(entry.get("report"))
        except (ValidationError, RecursionError):
            self.ignored += 1
            return
        if report.file != file or any(place.file != file for place in _places(report)):
            self.ignored += 1
            return
        self.done[(file, sha256)] = report

    def _open(self, mode: str) -> None:
        try:
            self._out = self.path.open(mode)
        except OSError as exc:
            raise JournalError(f"{self.path}: cannot write the journal: "
                               f"{exc.strerror or exc}") from None

    def get(self, file: str, sha256: str) -> FilingReport | None:
        """The journalled report of the filing named ``file`` whose content has
        this digest, checked with this run's settings; None when there is none."""
        report = self.done.get((file, sha256))
        return report if report is not None and report.file == file else None

    def add(self, file: str, sha256: str, report: FilingReport) -> None:
        self.done[(file, sha256)] = report
        head = json.dumps({"file": file, "sha256": sha256, "settings": self.key},
                          ensure_ascii=False)
        self._write_line(head[:-1].encode("utf-8") + b', "report": '
                         + _REPORT.dump_json(report) + b"}")

    def _write(self, entry: dict[str, Any]) -> None:
        self._write_line(json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8"))

    def _write_line(self, line: bytes) -> None:
        assert self._out is not None
        self._out.write(line + b"\n")
        self._out.flush()
        os.fsync(self._out.fileno())

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def _places(report: FilingReport) -> Iterator[Location]:
    """Every place a report points to: each must be in the filing it is for."""
    if report.error is not None and report.error.location is not None:
        yield report.error.location
    for finding in report.findings:
        yield finding.location
        for item in finding.all_evidence():
            if item.location is not None:
                yield item.location


def _json(line: str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _why(line: str) -> str:
    """Why a line is not an entry, in a few words."""
    try:
        value = json.loads(line)
    except RecursionError:
        return "nested deeper than any entry"
    except ValueError as exc:
        return f"not JSON: {str(exc).split(':')[0]}"
    return f"a JSON {type(value).__name__}, not an object"
