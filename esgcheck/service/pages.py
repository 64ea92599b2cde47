"""The web page: one HTML file, one script and one style sheet, served by the
application itself from ``static/`` (nothing is loaded from elsewhere, no
script is inline). The page is the same for everyone and holds no data: what
it shows it asks of the API, with the session cookie (auth.py)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response

STATIC = Path(__file__).resolve().parent / "static"
FILES = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8",
         "index.html": "text/html; charset=utf-8"}


def _file(name: str) -> Response:
    return Response((STATIC / name).read_bytes(), media_type=FILES[name])


def mount(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return _file("index.html")

    @app.get("/static/app.js", include_in_schema=False)
    def script() -> Response:
        return _file("app.js")

    @app.get("/static/app.css", include_in_schema=False)
    def style() -> Response:
        return _file("app.css")
