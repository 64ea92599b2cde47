"""The evidence bundle: what an auditor files with a verdict.

``esgcheck check --evidence DIR`` writes into DIR:

- ``report.json`` and ``report.html``: the report, as ``--format json`` and
  ``--format html`` give it;
- ``manifest.json``: the SHA-256 and size of every input filing, the engine
  version, each rule base's id, title, the versions the run used and a hash of
  its content, the options that shape the verdict, and the configuration,
  waiver and baseline files with their hashes;
- copies of the ``--rules-config``, ``--waivers`` and ``--baseline`` files given;
- ``SHA256SUMS``: the hash of every other file of the bundle, in the format
  ``sha256sum -c`` reads.

Nothing in it depends on the clock or the machine: run again on the same
inputs, the bundle is byte-identical. It is written into a temporary folder
beside DIR and renamed into place when complete, so it appears whole or not
at all; an existing DIR is replaced only when it holds nothing but an earlier
bundle.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esgcheck import __version__
from esgcheck.engine.files import read_regular
from esgcheck.engine.findings import REPORT_SCHEMA_VERSION, Report
from esgcheck.outputs import new_folder
from esgcheck.report import RenderOptions, renderer

if TYPE_CHECKING:
    from esgcheck.checker import Checker


def input_files(report: Report) -> list[dict[str, Any]]:
    """Every filing of the report with the SHA-256 and size of its bytes."""
    out: list[dict[str, Any]] = []
    for filing in report.filings:
        path = Path(filing.file)
        try:
            data = read_regular(path)
        except OSError:
            out.append({"file": filing.file, "sha256": None, "bytes": None,
                        "status": filing.status})
            continue
        out.append({"file": filing.file, "sha256": hashlib.sha256(data).hexdigest(),
                    "bytes": len(data), "status": filing.status})
    return out


def rulebases(report: Report, checker: Checker) -> list[dict[str, Any]]:
    from esgcheck.checkerparts import folder_digest

    out = []
    for rb in checker.rulebases:
        used = sorted({u.version for f in report.filings for u in f.rulebases
                       if u.id == rb.id and u.version is not None})
        out.append({"id": rb.id, "title": rb.meta.title.model_dump(),
                    "versions_used": used, "content_sha256": folder_digest(rb.folder),
                    "rules": len(rb.rules)})
    return out


def manifest(report: Report, checker: Checker, copies: dict[str, tuple[Path, bytes]],
             options: dict[str, Any]) -> dict[str, Any]:
    """The manifest; ``copies`` are the files given, by role: path and bytes."""
    return {
        "esgcheck_evidence": 1,
        "engine": {"name": "esgcheck", "version": __version__},
        "report_schema": REPORT_SCHEMA_VERSION,
        "inputs": input_files(report),
        "rulebases": rulebases(report, checker),
        "options": options,
        "files_given": {role: {"file": path.as_posix(), "copy": _copy_name(role, path),
                               "sha256": hashlib.sha256(data).hexdigest()}
                        for role, (path, data) in sorted(copies.items())},
        "waivers": report.waivers.model_dump(mode="json") if report.waivers else None,
        "baseline": ({"file": report.baseline.file, "sha256": report.baseline.sha256,
                      "known": report.baseline.known, "fixed": len(report.baseline.fixed)}
                     if report.baseline else None),
        "summary": report.summary.model_dump(mode="json"),
    }


def _copy_name(role: str, path: Path) -> str:
    return f"{role}{path.suffix or '.txt'}"


def write_bundle(folder: Path, report: Report, checker: Checker, *, lang: str = "en",
                 rules_config: Path | None = None,
                 waivers: Path | None = None, baseline: Path | None = None,
                 options: dict[str, Any] | None = None) -> list[Path]:
    """Write the bundle; the paths written, SHA256SUMS last. The HTML report
    always shows the proof trees."""
    copies = {role: (path, read_regular(path))  # read once: hashed and copied alike
              for role, path in (("rules-config", rules_config), ("waivers", waivers),
                                 ("baseline", baseline))
              if path is not None}
    render = RenderOptions(lang=lang, explain=True)
    files: dict[str, bytes] = {
        "report.json": renderer("json")(report, render).encode(),
        "report.html": renderer("html")(report, render).encode(),
        "manifest.json": (json.dumps(
            manifest(report, checker, copies, {"lang": lang, **(options or {})}),
            ensure_ascii=False, indent=2) + "\n").encode(),
    }
    for role, (path, data) in copies.items():
        files[_copy_name(role, path)] = data
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n"
                                  for n in sorted(files)).encode()
    with new_folder(folder, is_bundle_file) as temp:  # the bundle appears whole or not at all
        for name in (*sorted(n for n in files if n != "SHA256SUMS"), "SHA256SUMS"):
            (temp / name).write_bytes(files[name])
    return [folder / name for name in (*sorted(n for n in files if n != "SHA256SUMS"),
                                       "SHA256SUMS")]


def is_bundle_file(name: str) -> bool:
    """Whether a file of this name belongs in an evidence bundle (one of an
    earlier run may be replaced by a new bundle; any other file is not)."""
    return name in ("report.json", "report.html", "manifest.json", "SHA256SUMS") or any(
        name.startswith(f"{role}.") for role in ("rules-config", "waivers", "baseline"))
