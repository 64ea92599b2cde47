"""A journal of finished filings, so that a long run can be resumed.

``esgcheck check --journal FILE`` appends one JSON line per filing as soon as
it is checked (and flushes it to disk). Run again with the same journal, it
takes the filings whose content (SHA-256) and settings are unchanged from the
journal and checks only the rest; the report is the same as a run from
scratch, each filing once. A line cut short by a killed run is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from esgcheck.engine.findings import FilingReport

FORMAT = 1


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Journal:
    def __init__(self, path: Path, settings: dict[str, Any]) -> None:
        self.path = path
        self.settings = settings
        self.done: dict[tuple[str, str], FilingReport] = {}
        self._out: IO[str] | None = None
        self._load()

    def _load(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        header = _json(lines[0]) if lines else None
        if not (isinstance(header, dict) and header.get("journal") == FORMAT
                and header.get("settings") == self.settings):
            # another run's journal (other rules, options or version): start afresh
            self._out = self.path.open("w", encoding="utf-8")
            self._write({"journal": FORMAT, "settings": self.settings})
            return
        for line in lines[1:]:
            entry = _json(line)
            if not isinstance(entry, dict):
                continue  # cut short when a run was killed
            try:
                report = FilingReport.model_validate(entry.get("report"))
            except ValidationError:
                continue
            self.done[(str(entry.get("file")), str(entry.get("sha256")))] = report
        complete = self.path.read_bytes().endswith(b"\n")
        self._out = self.path.open("a", encoding="utf-8")
        if not complete:
            self._out.write("\n")  # end the cut-short line, so the next one stands alone

    def get(self, file: str, sha256: str) -> FilingReport | None:
        return self.done.get((file, sha256))

    def add(self, file: str, sha256: str, report: FilingReport) -> None:
        self.done[(file, sha256)] = report
        self._write({"file": file, "sha256": sha256,
                     "report": report.model_dump(mode="json", exclude_none=False)})

    def _write(self, entry: dict[str, Any]) -> None:
        assert self._out is not None
        self._out.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        self._out.flush()
        os.fsync(self._out.fileno())

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def _json(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None
