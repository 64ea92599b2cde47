"""JSON: the report model as it is, versioned by ``schema_version``."""

from __future__ import annotations

from esgcheck.engine.findings import Report
from esgcheck.report import RenderOptions
from esgcheck.safetext import json_safe


def render(report: Report, options: RenderOptions) -> str:
    # C1 and bidirectional controls from a filing as \u escapes: the same JSON,
    # safe to print on a terminal
    return json_safe(report.model_dump_json(indent=2)) + "\n"
