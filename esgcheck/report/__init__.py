"""Renderers: one small module per output format over the same report object.

Each module ``esgcheck.report.<format>`` has ``render(report, options) -> str``;
the output is determined by the report and the options alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from esgcheck.engine.findings import Report, WaiverApplied
from esgcheck.messages import message


@dataclass(frozen=True)
class RenderOptions:
    lang: str = "en"
    color: bool = False
    explain: bool = False
    fail_on: str = "major"  # breaches this severe or worse fail (JUnit failures)


Renderer = Callable[[Report, RenderOptions], str]

# format name -> module under esgcheck.report
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_out",
    "sarif": "sarif",
    "junit": "junit",
    "markdown": "markdown",
    "html": "html",
}


def renderer(name: str) -> Renderer:
    module = importlib.import_module(f"esgcheck.report.{FORMATS[name]}")
    render: Renderer = module.render
    return render


def waiver_text(v: WaiverApplied, lang: str) -> str:
    """The waiver of a waived finding, in one sentence."""
    return message("waiver", lang, id=v.id, justification=v.justification,
                   approver=v.approver, ticket=f", {v.ticket}" if v.ticket else "",
                   expires=v.expires.isoformat())
