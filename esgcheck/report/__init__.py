"""Renderers: one small function per output format over the same report object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from esgcheck.engine.findings import Report


@dataclass(frozen=True)
class RenderOptions:
    lang: str = "en"
    color: bool = False
    explain: bool = False


Renderer = Callable[[Report, RenderOptions], str]


def renderers() -> dict[str, Renderer]:
    from esgcheck.report import json_out, text

    return {"text": text.render, "json": json_out.render}
