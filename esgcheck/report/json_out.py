"""JSON: the report model as it is, versioned by ``schema_version``."""

from __future__ import annotations

from esgcheck.engine.findings import Report
from esgcheck.report import RenderOptions


def render(report: Report, options: RenderOptions) -> str:
    return report.model_dump_json(indent=2) + "\n"
