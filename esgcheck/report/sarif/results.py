"""SARIF results: one per finding, with its kind and level, message,
locations, fingerprint, properties and suppression."""

from __future__ import annotations

from esgcheck.engine.findings import Finding, WaiverApplied, fingerprint
from esgcheck.messages import colon, message
from esgcheck.report import RenderOptions
from esgcheck.report.sarif.locations import location, physical, related_locations
from esgcheck.report.sarif.rules import LEVELS
from esgcheck.report.sarif.text import Json, cite, md, proof_markdown

FINGERPRINT_KEY = "esgcheck/v1"


def _message(f: Finding, options: RenderOptions) -> Json:
    lang = options.lang
    text = cite(f.message.get(lang), f.citation.text.get(lang), lang)
    out: Json = {"text": text}
    if options.explain and f.derivation:
        proof = [line for node in f.derivation for line in proof_markdown(node, lang, 0)]
        because = f"**{message('because', lang)}**{colon(lang)}"
        out["markdown"] = "\n\n".join([md(text), because, "\n".join(proof)])
    return out


def _result_properties(f: Finding, options: RenderOptions) -> Json:
    lang = options.lang
    props: Json = {
        "severity": f.severity,
        "outcome": f.outcome,
        "rulebase": f.rulebase,
        "rulebase_version": f.rulebase_version,
    }
    if f.section is not None:
        props["section"] = f.section
    props["evidence"] = [
        {k: v for k, v in {"source": e.source, "name": e.name, "display": e.display,
                           "unit": e.unit, "present": e.present}.items() if v is not None}
        for e in f.evidence]
    if f.remediation is not None:
        props["remediation"] = f.remediation.get(lang)
    if f.notes:
        props["notes"] = list(f.notes)
    if options.explain:
        props["derivation"] = [node.model_dump(mode="json") for node in f.derivation]
    return props


def _suppression(w: WaiverApplied) -> Json:
    props: Json = {"waiver": w.id, "approver": w.approver, "expires": w.expires.isoformat()}
    if w.ticket is not None:
        props["ticket"] = w.ticket
    return {
        "kind": "external",
        "status": "accepted",
        "justification": w.justification,
        "location": {"physicalLocation": physical(w.file, w.line, None)},
        "properties": props,
    }


def kind_and_level(f: Finding) -> tuple[str, str]:
    """A finding's SARIF ``kind`` and ``level`` (§3.27.9, §3.27.10): only a
    failure has a level other than ``none``."""
    if f.outcome == "not_assessable":
        return "review", "none"
    if f.severity == "info":
        return "informational", "none"
    if f.outcome == "waived":
        return "fail", "note"
    return "fail", LEVELS[f.severity]


def result(f: Finding, index: int, options: RenderOptions, baselined: bool = False) -> Json:
    kind, level = kind_and_level(f)
    out: Json = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "kind": kind,
        "level": level,
        "message": _message(f, options),
        "locations": [location(f.location)],
        "partialFingerprints": {
            FINGERPRINT_KEY: f.fingerprint or fingerprint(f.rulebase, f.rule_id,
                                                          f.location.pointer)},
    }
    related = related_locations(f)
    if related:
        out["relatedLocations"] = related
    if baselined:
        out["baselineState"] = "new"
    if f.waiver is not None:
        out["suppressions"] = [_suppression(f.waiver)]
    out["properties"] = _result_properties(f, options)
    return out


# -- the run

