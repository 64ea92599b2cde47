"""The HTTP API of ``esgcheck serve``: a FastAPI application over the library
and the results store (never over the command line's text).

    from esgcheck.service.app import create_app
    app = create_app("results.db")          # an ASGI application; uvicorn runs it

Routes, all under ``/api/v1``: ``POST /check``, ``GET /healthz``, ``GET
/version``, ``POST /batches``, ``GET /batches``, ``GET /batches/{id}``,
``GET /batches/{id}/filings``, ``GET /filings/{id}`` and ``DELETE
/batches/{id}`` (``routes.py``); ``GET /rules`` and ``GET /rules/{id}``
(``catalogue.py``); ``GET``, ``POST`` and ``DELETE /session``, the page's
session (``access.py``); the OpenAPI document
at ``/api/v1/openapi.json``; the page at ``/`` (``pages.py``). Errors are
problem details (``problems.py``); who may see what is ``auth.py``; what the
routes share, ``core.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from esgcheck import __version__
from esgcheck.batch.cluster import Cluster, Setup
from esgcheck.checker import Checker
from esgcheck.service import pages
from esgcheck.service.access import session_routes
from esgcheck.service.auth import Tokens
from esgcheck.service.catalogue import rule_routes
from esgcheck.service.core import API, Service, in_thread
from esgcheck.service.handlers import install_handlers
from esgcheck.service.middleware import BodyLimit, Guard, SecurityHeaders
from esgcheck.service.routes import batch_routes, check_routes
from esgcheck.service.uploads import UploadLimits
from esgcheck.store import Store, open_store


def create_app(store: str | Store, checker: Checker | None = None,
               limits: UploadLimits | None = None, tokens: Tokens | None = None,
               workers: int = 1, cluster: Cluster | None = None,
               setup: Setup | None = None) -> FastAPI:
    """The application over the store at ``store`` (a URL, or a Store), with the
    rule bases shipped with esgcheck unless ``checker`` is given; with
    ``tokens``, for the tenants and roles they name (auth.py). Batches are
    checked in the server process, or ``workers`` forked processes, or on
    ``cluster``. Started (its lifespan), it resumes the store's pending
    batches; stopped, it puts the batch in progress back to pending."""
    opened = open_store(store) if isinstance(store, str) else store
    service = Service(checker or Checker(), opened, limits or UploadLimits(), tokens,
                      workers, cluster, setup)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await in_thread(service.batches.resume)
        yield
        await in_thread(service.batches.stop)

    app = FastAPI(title="esgcheck", version=__version__, openapi_url=f"{API}/openapi.json",
                  docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
                  lifespan=lifespan,
                  description="Check ESG and environmental disclosure filings against rule "
                  "bases; errors are RFC 9457 problem details in zh or en by Accept-Language.")
    app.state.service = service
    install_handlers(app)
    check_routes(app, service)
    batch_routes(app, service)
    rule_routes(app, service.checker, service.filing_type)
    session_routes(app, tokens)
    pages.mount(app)
    app.add_middleware(BodyLimit, limit=service.limits.request_bytes)
    app.add_middleware(Guard, tokens=tokens)
    app.add_middleware(SecurityHeaders)
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = {
                "type": "object", "required": ["type", "title", "status", "code"],
                "properties": {k: {"type": "integer" if k == "status" else "string"}
                               for k in ("type", "title", "status", "detail", "instance",
                                         "code")}}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way
    return app
