"""The application's error handlers: every error a problem answer
(``problems.py``), a fault of the server's own logged with the reference its
answer gives, never shown."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from esgcheck.service.problems import ProblemError, problem_response
from esgcheck.store import StoreError

log = logging.getLogger("esgcheck.service")


def install_handlers(app: FastAPI) -> None:
    """Every error a problem answer; a fault logged with its reference."""
    @app.exception_handler(ProblemError)
    async def on_problem(request: Request, exc: ProblemError) -> Response:
        return problem_response(request, exc.code, exc.headers, **exc.params)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = first.get("loc", ())
        name = str(loc[-1]) if loc else "?"
        return problem_response(request, "invalid_parameter", name=name,
                                reason=str(first.get("msg", "")))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return problem_response(request, "method_not_allowed", path=request.url.path,
                                    method=request.method, headers=dict(exc.headers or {}))
        if exc.status_code == 404:
            return problem_response(request, "no_route", path=request.url.path)
        return problem_response(request, "bad_multipart", reason=str(exc.detail))

    @app.exception_handler(StoreError)
    async def on_store(request: Request, exc: StoreError) -> Response:
        ref = uuid.uuid4().hex[:12]
        log.error("store error (reference %s): %s", ref, exc)
        return problem_response(request, "store_unavailable",
                                store=request.app.state.service.store.url,
                                reason=f"reference {ref}")

    @app.exception_handler(Exception)
    async def on_fault(request: Request, exc: Exception) -> Response:
        ref = uuid.uuid4().hex[:12]
        log.error("fault (reference %s) on %s %s", ref, request.method, request.url.path,
                  exc_info=exc)
        return problem_response(request, "internal", ref=ref)
