"""SARIF 2.1.0: findings for code-scanning services such as GitHub code scanning.

One run per invocation. The driver lists every check rule of the run's rule bases,
plus any rule (a schema check) that only appears in findings; each finding is one
result, located by line and column, by JSON Pointer and XPath, and identified
across runs by a partial fingerprint that holds no line number. A waived finding
is a suppressed result; a file that could not be read or assessed is a tool
execution notification, and an expired or unused waiver a configuration
notification. Nothing in the output comes from the clock or the host: the same
report renders to the same bytes.

Kind and level (SARIF §3.27.9, §3.27.10): a breach is ``kind: fail`` with a
level by severity (critical and major ``error``, minor ``warning``); an info
finding, a statement rather than a failure, is ``informational``; a finding
that could not be assessed is ``review`` (a person must decide); both have
level ``none``, as SARIF requires of every kind but ``fail``. A waived finding
stays ``fail`` with its suppression, at level ``note``: the waiver accepted it,
and viewers that do not read suppressions (GitHub code scanning) should not
fail a pull request on it. The esgcheck severity and outcome of every result
are kept in its properties.

The invocation carries the run's exit code when the caller knows it, whether
the run was usable (not exit 2), and its start and end times only when asked
for (``check --timestamps``).
"""


from __future__ import annotations

import json
import re
from functools import cache
from importlib import metadata

from esgcheck.engine.findings import Report, RuleInfo
from esgcheck.engine.grading import EXIT_INPUT
from esgcheck.messages import colon, message
from esgcheck.report import RenderOptions, waiver_notes
from esgcheck.report.sarif.locations import artifact_location, location, physical
from esgcheck.report.sarif.results import kind_and_level, result
from esgcheck.report.sarif.rules import LEVELS, rule_catalogue, rule_descriptor
from esgcheck.report.sarif.text import Json
from esgcheck.safetext import json_safe

__all__ = ["LEVELS", "artifact_location", "information_uri", "kind_and_level", "location",
           "render", "result", "rule_catalogue", "rule_descriptor", "run"]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def _about(file: str, text: str, lang: str) -> str:
    """A notification's text naming the file it is about."""
    return f"{file}{colon(lang)}{text}"


def _execution_notifications(report: Report, lang: str) -> list[Json]:
    out: list[Json] = []
    for r in report.filings:
        if r.error is not None:
            where = (location(r.error.location) if r.error.location is not None
                     else {"physicalLocation": physical(r.file, None, None)})
            out.append({"level": "error",
                        "message": {"text": _about(r.file, r.error.message.get(lang), lang)},
                        "descriptor": {"id": r.error.code}, "locations": [where]})
        elif r.status != "checked":
            out.append({"level": "error",
                        "message": {"text": _about(r.file, message(r.status, lang), lang)},
                        "descriptor": {"id": r.status},
                        "locations": [{"physicalLocation": physical(r.file, None, None)}]})
        for rb in r.rulebases:
            if r.status == "checked" and not rb.in_force:
                text = f"{rb.id}: {message('not_in_force', lang)}"
                out.append({"level": "note", "message": {"text": text},
                            "descriptor": {"id": "not_in_force"},
                            "locations": [{"physicalLocation": physical(r.file, None, None)}]})
    return out


def _configuration_notifications(report: Report, lang: str) -> list[Json]:
    if report.waivers is None:
        return []
    out: list[Json] = []
    for w in report.waivers.entries:
        if w.status == "applied":
            continue
        text = message(f"waiver_{w.status}", lang, id=w.id, rule=w.rule, line=w.line,
                       expires=w.expires.isoformat(), matched=w.matched)
        out.append({"level": "warning", "message": {"text": text},
                    "descriptor": {"id": f"waiver.{w.status}"},
                    "locations": [{"physicalLocation": physical(report.waivers.file, w.line,
                                                                 None)}]})
    for w, note in waiver_notes(report, lang):
        out.append({"level": "warning", "message": {"text": note},
                    "descriptor": {"id": "waiver.scope"},
                    "locations": [{"physicalLocation": physical(report.waivers.file, w.line,
                                                                 None)}]})
    return out


def _invocation(report: Report, options: RenderOptions) -> Json:
    """The run: its times when asked for, its exit code when known, and whether
    it could be used (exit 2, an unusable input, is the one unsuccessful run)."""
    lang = options.lang
    out: Json = {}
    if options.start_time is not None:
        out["startTimeUtc"] = options.start_time
    if options.end_time is not None:
        out["endTimeUtc"] = options.end_time
    if options.exit_code is not None:
        out["exitCode"] = options.exit_code
        out["executionSuccessful"] = options.exit_code != EXIT_INPUT
    else:
        out["executionSuccessful"] = all(r.status == "checked" for r in report.filings)
    execution = _execution_notifications(report, lang)
    if execution:
        out["toolExecutionNotifications"] = execution
    configuration = _configuration_notifications(report, lang)
    if configuration:
        out["toolConfigurationNotifications"] = configuration
    if report.selection is not None and report.selection.deselected:
        # rules switched off by the run's selection (SARIF 2.1.0 §3.20.5)
        out["ruleConfigurationOverrides"] = [
            {"descriptor": {"id": rule_id}, "configuration": {"enabled": False}}
            for rule_id in report.selection.deselected]
    return out


def _artifacts(report: Report) -> list[Json]:
    out: dict[str, Json] = {}
    for r in report.filings:
        artifact: Json = {"location": artifact_location(r.file), "roles": ["analysisTarget"]}
        if r.format is not None:
            artifact["sourceLanguage"] = r.format
        out.setdefault(r.file, artifact)
    return list(out.values())


def _run_properties(report: Report, lang: str) -> Json:
    used: dict[tuple[str, str | None], Json] = {}
    for r in report.filings:
        for rb in r.rulebases:
            used.setdefault((rb.id, rb.version), {
                "id": rb.id, "version": rb.version, "title": rb.title.get(lang),
                "in_force": rb.in_force})
    props: Json = {"schema_version": report.schema_version, "rulebases": list(used.values()),
                   "summary": report.summary.model_dump(mode="json")}
    if report.selection is not None:
        props["selection"] = report.selection.model_dump(mode="json")
    if report.waivers is not None:
        props["waivers"] = {"file": report.waivers.file, "sha256": report.waivers.sha256,
                            "today": report.waivers.today.isoformat()}
    if report.baseline is not None:
        props["baseline"] = {"file": report.baseline.file, "sha256": report.baseline.sha256,
                             "known": report.baseline.known,
                             "fixed": len(report.baseline.fixed)}
    return props


_URL_LABELS = ("homepage", "documentation", "repository", "source")


def information_uri(meta: metadata.PackageMetadata | None) -> str | None:
    """The address a package's metadata gives for it (``[project.urls]``:
    Homepage, else Documentation, Repository or Source; else ``Home-page``),
    or None when it declares none."""
    if meta is None:
        return None
    urls: dict[str, str] = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls.setdefault(label.strip().lower(), url.strip())
    for label in _URL_LABELS:
        if urls.get(label, "").startswith(("https://", "http://")):
            return urls[label]
    home = (meta.get_all("Home-page") or [""])[0]
    return home if home.startswith(("https://", "http://")) else None


@cache
def _installed_information_uri() -> str | None:
    try:
        return information_uri(metadata.metadata("esgcheck"))
    except metadata.PackageNotFoundError:
        return None


def _driver(report: Report, rules: list[RuleInfo], lang: str) -> Json:
    version = report.tool.version
    driver: Json = {"name": report.tool.name, "version": version}
    if _SEMVER.match(version):
        driver["semanticVersion"] = version
    uri = _installed_information_uri()
    if uri is not None:
        driver["informationUri"] = uri
    driver["rules"] = [rule_descriptor(info, lang) for info in rules]
    return driver


def run(report: Report, options: RenderOptions) -> Json:
    lang = options.lang
    rules = rule_catalogue(report)
    index = {info.id: i for i, info in enumerate(rules)}
    baselined = report.baseline is not None
    results = [result(f, index[f.rule_id], options, baselined)
               for r in report.filings for f in r.findings]
    return {
        "tool": {"driver": _driver(report, rules, lang)},
        "invocations": [_invocation(report, options)],
        "language": _LANGUAGES.get(lang, "en-US"),
        "automationDetails": {"id": "esgcheck/"},
        "columnKind": "unicodeCodePoints",
        "artifacts": _artifacts(report),
        "results": results,
        "properties": _run_properties(report, lang),
    }


def render(report: Report, options: RenderOptions) -> str:
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run(report, options)]}
    return json_safe(json.dumps(log, ensure_ascii=False, indent=2, sort_keys=False)) + "\n"
