"""The HTTP API of ``esgcheck serve``: a FastAPI application over the library
and the results store (never over the command line's text).

    from esgcheck.service.app import create_app
    app = create_app("results.db")          # an ASGI application; uvicorn runs it

Routes, all under ``/api/v1``: ``POST /check`` (one filing, the report at
once, the same bytes ``esgcheck check FILE --format F`` writes), ``GET /rules``
and ``GET /rules/{id}``, ``GET /healthz``, ``GET /version``, ``POST /batches``
(many files or one zip, checked in the background into the store),
``GET /batches``, ``GET /batches/{id}``, ``GET /batches/{id}/filings``,
``GET /filings/{id}``, ``DELETE /batches/{id}``; the OpenAPI document at
``/api/v1/openapi.json``. Errors are problem details (``problems.py``).

Checking uses process-wide state of the rule engine (the stage being run, the
regex time limit), so one filing is checked at a time, under a lock; the
batch worker takes its turn filing by filing, so a ``/check`` waits for at
most one batch filing.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import text
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from esgcheck import __version__
from esgcheck.batch.run import rulebases_used
from esgcheck.checker import Checker, Options, internal_error, make_report, sendable
from esgcheck.engine.chain import STAGE
from esgcheck.engine.findings import REPORT_SCHEMA_VERSION, FilingReport
from esgcheck.engine.grading import exit_code
from esgcheck.report import RenderOptions, renderer
from esgcheck.report.html import SCRIPT
from esgcheck.service.batches import Batches
from esgcheck.service.problems import (
    PROBLEM_TYPE,
    PROBLEMS,
    ProblemError,
    language,
    problem_response,
)
from esgcheck.service.uploads import UploadLimits, checked_name, is_filing_name, read_zip
from esgcheck.store import Store, StoreError, open_store

log = logging.getLogger("esgcheck.service")

API = "/api/v1"
REPORT_FORMATS: dict[str, str] = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "junit": "application/xml; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
}
FILING_MEDIA = ("application/json", "application/xml", "text/xml", "multipart/form-data",
                "application/octet-stream")
FAIL_ON = "major"  # as esgcheck check's default

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()
CSP_API = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
CSP_HTML = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src 'sha256-{_SCRIPT_HASH}'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'")


class Service:
    """What the routes share: the checker (loaded once), the store, the batch
    worker and the limits."""

    def __init__(self, checker: Checker, store: Store, limits: UploadLimits) -> None:
        self.checker = checker
        self.store = store
        self.limits = limits
        self.lock = threading.Lock()
        self.batches = Batches(checker, store, self.check_one)

    def check_one(self, name: str, data: bytes, options: Options) -> FilingReport:
        """One filing's report, as ``esgcheck check`` makes it: a fault of
        esgcheck's own at any stage is the filing's ``internal`` entry."""
        with self.lock:
            STAGE.name = "read"
            try:
                report = self.checker.check_bytes(data, name, options)
            except Exception as exc:  # whatever it is, it is this filing's alone
                report = internal_error(name, STAGE.name, exc)
            return self.checker.in_order(sendable(report))

    def render(self, filings: list[FilingReport], fmt: str, lang: str) -> tuple[str, int]:
        """The report of ``filings`` in ``fmt`` as the command line writes it,
        and the exit code the command line would end with."""
        checker = self.checker
        report = make_report(filings, FAIL_ON, checker.configuration(), checker.rule_catalogue(
            f.filing_type for f in filings if f.filing_type is not None))
        report = checker.settle(report, FAIL_ON)
        code = exit_code(report.filings, FAIL_ON, True)
        return renderer(fmt)(report, RenderOptions(lang=lang, fail_on=FAIL_ON,
                                                   exit_code=code)), code

    def filing_type(self, given: str | None) -> str | None:
        if given is None:
            return None
        known = [ft.id for ft in self.checker.registry]
        for ft_id in known:
            if ft_id.lower() == given.strip().lower():
                return ft_id
        raise ProblemError("unknown_type", value=given, known=", ".join(known))


# -- parameters shared by routes
LangQuery = Annotated[str | None, Query(pattern="^(zh|en)$", description=(
    "Language of the report and of problems: zh or en (default: by Accept-Language, "
    "else en)."))]
FormatQuery = Annotated[str, Query(pattern="^(json|sarif|junit|html|markdown)$",
                                   description="Report format.")]
AsOfQuery = Annotated[date | None, Query(description=(
    "Date that selects rule-base versions (default: the filing's own)."))]
TypeQuery = Annotated[str | None, Query(alias="type", max_length=64, description=(
    "Filing type, when it cannot be detected."))]

FILING_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object"}},
    "application/xml": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
}}}
BATCH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
        "required": ["files"]}},
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
}}}


def _problem_responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        status = PROBLEMS[code][0]
        out[status] = {"description": PROBLEMS[code][1][1],
                       "content": {PROBLEM_TYPE: {"schema": {"$ref":
                                                             "#/components/schemas/Problem"}}}}
    return out


def _report_response(fmt: str, body: str, code: int, lang: str) -> Response:
    return Response(body.encode("utf-8"), media_type=REPORT_FORMATS[fmt],
                    headers={"Esgcheck-Exit-Code": str(code), "Content-Language": lang})


def _filing_options(service: Service, as_of: date | None, filing_type: str | None) -> Options:
    return Options(as_of=as_of, filing_type=service.filing_type(filing_type))


async def _multipart_files(request: Request, field: str, limit: int) -> list[tuple[str, bytes]]:
    try:
        form = await request.form(max_files=limit + 1, max_fields=limit + 16)
    except StarletteHTTPException as exc:
        if "too many files" in str(exc.detail).lower():  # past max_files: Starlette stops
            raise ProblemError("too_many_files", limit=limit, count=f"{limit}+") from None
        raise ProblemError("bad_multipart", reason=exc.detail) from None
    files = [item for item in form.getlist(field) if isinstance(item, UploadFile)]
    if len(files) > limit:
        raise ProblemError("too_many_files", limit=limit, count=f"{limit}+")
    out = []
    for item in files:
        out.append((item.filename or "", await item.read()))
    await form.close()
    return out


def create_app(store: str | Store, checker: Checker | None = None,
               limits: UploadLimits | None = None) -> FastAPI:
    """The application over the store at ``store`` (a URL, or a Store), with the
    rule bases shipped with esgcheck unless ``checker`` is given."""
    opened = open_store(store) if isinstance(store, str) else store
    service = Service(checker or Checker(), opened, limits or UploadLimits())
    app = FastAPI(title="esgcheck", version=__version__, openapi_url=f"{API}/openapi.json",
                  docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
                  description="Check ESG and environmental disclosure filings against rule "
                  "bases; errors are RFC 9457 problem details in zh or en by Accept-Language.")
    app.state.service = service
    _handlers(app)
    _routes(app, service)
    app.add_middleware(_BodyLimit, limit=service.limits.request_bytes)
    app.add_middleware(_SecurityHeaders)
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


def _handlers(app: FastAPI) -> None:
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
        service: Service = request.app.state.service
        return problem_response(request, "store_unavailable", store=service.store.url,
                                reason=f"reference {ref}")

    @app.exception_handler(Exception)
    async def on_fault(request: Request, exc: Exception) -> Response:
        ref = uuid.uuid4().hex[:12]
        log.error("fault (reference %s) on %s %s", ref, request.method, request.url.path,
                  exc_info=exc)
        return problem_response(request, "internal", ref=ref)


def _routes(app: FastAPI, service: Service) -> None:  # one function per route
    @app.post(f"{API}/check", tags=["check"], openapi_extra=FILING_BODY,
              response_class=Response, responses={200: {"description": (
                  "The report, in the format asked for; the header Esgcheck-Exit-Code is "
                  "the exit code esgcheck check would end with."), "content": {
                      m.split(";")[0]: {} for m in REPORT_FORMATS.values()}},
                  **_problem_responses("invalid_parameter", "no_filing", "unsupported_media",
                                       "request_too_large", "unknown_type")})
    async def check(request: Request, lang: LangQuery = None, as_of: AsOfQuery = None,
                    filing_type: TypeQuery = None, format: FormatQuery = "json",
                    name: Annotated[str | None, Query(max_length=255, description=(
                        "The filing's name in the report (default: the multipart file's "
                        "name, else filing.json or filing.xml)."))] = None) -> Response:
        """Check one filing and answer its report at once."""
        options = _filing_options(service, as_of, filing_type)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "multipart/form-data":
            files = await _multipart_files(request, "file", 1)
            if not files:
                raise ProblemError("no_filing", field="file")
            given, data = files[0]
            display = name or given.rsplit("/", 1)[-1] or "filing.json"
        elif media in FILING_MEDIA or media.endswith(("+json", "+xml")):
            data = await request.body()
            if not data:
                raise ProblemError("no_filing", field="file")
            display = name or ("filing.xml" if "xml" in media else "filing.json")
        else:
            raise ProblemError("unsupported_media", value=media or "-",
                               known=", ".join(FILING_MEDIA))
        checked_name(display)
        lang = lang or language(request)
        filing = await _in_thread(service.check_one, display, data, options)
        body, code = service.render([filing], format, lang)
        return _report_response(format, body, code, lang)

    @app.get(f"{API}/rules", tags=["rules"])
    def rules(rulebase: Annotated[str | None, Query(max_length=64)] = None,
              filing_type: TypeQuery = None,
              severity: Annotated[str | None, Query(pattern="^(critical|major|minor|info)$")]
              = None) -> list[dict[str, Any]]:
        """Every rule, sorted by id: its rule base, filing type, kind, severity,
        section, title and citation in zh and en."""
        wanted = service.filing_type(filing_type)
        out = [_rule_row(rb, r) for rb in service.checker.rulebases for r in rb.rules
               if (rulebase is None or rb.id.lower() == rulebase.lower())
               and (wanted is None or r.filing_type == wanted)
               and (severity is None or r.spec.severity == severity)]
        return sorted(out, key=lambda row: row["id"])

    @app.get(f"{API}/rules/{{rule_id}}", tags=["rules"],
             responses=_problem_responses("not_found"))
    def rule(rule_id: Annotated[str, Path(max_length=128)]) -> dict[str, Any]:
        """One rule's full definition as loaded, with its citation in zh and en
        (the id in any case)."""
        want = rule_id.strip().upper()
        for rb in service.checker.rulebases:
            for r in rb.rules:
                if r.id.upper() == want:
                    data = r.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
                    return {**_rule_row(rb, r), "definition": data,
                            "file": f"{r.file}:{r.line}"}
        raise ProblemError("not_found", what=f"rule {rule_id}")

    @app.get(f"{API}/healthz", tags=["service"],
             responses=_problem_responses("store_unavailable"))
    def healthz() -> dict[str, str]:
        """Whether the server can answer and reach its store."""
        with service.store._tx() as tx:
            tx.execute(text("SELECT 1"))
        return {"status": "ok", "store": "ok"}

    @app.get(f"{API}/version", tags=["service"])
    def version() -> dict[str, Any]:
        """esgcheck's version, the API's, the report schema's, and the rule bases
        the server checks with."""
        return {"esgcheck": __version__, "api": "v1", "report_schema": REPORT_SCHEMA_VERSION,
                "rulebases": rulebases_used(service.checker)}

    @app.post(f"{API}/batches", tags=["batches"], status_code=202, openapi_extra=BATCH_BODY,
              responses=_problem_responses("invalid_parameter", "no_filing", "bad_zip",
                                           "request_too_large", "duplicate_name",
                                           "unsupported_media"))
    async def submit(request: Request, as_of: AsOfQuery = None, filing_type: TypeQuery = None,
                     label: Annotated[str | None, Query(max_length=200)] = None
                     ) -> JSONResponse:
        """Many filings (multipart field ``files``, repeated; or one zip, as the
        body or as the only file), accepted at once with 202 and checked in the
        background into the store. Every file and the zip are judged before
        anything is stored: a refused upload stores nothing."""
        options = _filing_options(service, as_of, filing_type)
        limits = service.limits
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "multipart/form-data":
            parts = await _multipart_files(request, "files", limits.batch_files)
            if len(parts) == 1 and parts[0][0].lower().endswith(".zip"):
                files = read_zip(parts[0][1], limits)
            else:
                files = [(checked_name(n), d) for n, d in parts]
                for n, _ in files:
                    if not is_filing_name(n):
                        raise ProblemError("not_a_filing", name=n)
        elif media in ("application/zip", "application/x-zip-compressed"):
            files = read_zip(await request.body(), limits)
        else:
            raise ProblemError("unsupported_media", value=media or "-",
                               known="multipart/form-data, application/zip")
        if not files:
            raise ProblemError("no_filing", field="files")
        if len(files) > limits.batch_files:
            raise ProblemError("too_many_files", limit=limits.batch_files, count=len(files))
        seen: set[str] = set()
        for n, _ in files:
            if n in seen:
                raise ProblemError("duplicate_name", name=n)
            seen.add(n)
        batch_id = await _in_thread(service.batches.submit, files, options, label)
        where = f"{API}/batches/{batch_id}"
        return JSONResponse({"id": batch_id, "status": "queued", "files": len(files),
                             "href": where}, status_code=202, headers={"Location": where})

    @app.get(f"{API}/batches", tags=["batches"])
    def batch_list() -> list[dict[str, Any]]:
        """Every batch (run) of the store, newest first, with its status and
        progress."""
        return service.batches.listing()

    @app.get(f"{API}/batches/{{batch_id}}", tags=["batches"],
             responses=_problem_responses("not_found"))
    def batch(batch_id: int) -> dict[str, Any]:
        """A batch's status (queued, running, complete, interrupted), progress
        and, once it has filings, its summary."""
        found = service.batches.describe(batch_id)
        if found is None:
            raise ProblemError("not_found", what=f"batch {batch_id}")
        found["summary"] = service.store.summary(batch_id) if found["progress"]["done"] \
            else None
        return found

    @app.get(f"{API}/batches/{{batch_id}}/filings", tags=["batches"],
             responses=_problem_responses("not_found", "invalid_parameter"))
    def batch_filings(batch_id: int,
                      grade: Annotated[str | None, Query(max_length=8)] = None,
                      rule: Annotated[str | None, Query(max_length=128)] = None,
                      severity: Annotated[str | None, Query(
                          pattern="^(critical|major|minor|info)$", description=(
                              "Filings with a breach (not waived) this severe or worse."))]
                      = None,
                      filing_type: TypeQuery = None,
                      page: Annotated[int, Query(ge=1)] = 1,
                      per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
        """The batch's filings, in its order, a page at a time: those of a grade,
        of a filing type, with a breach (not waived) of a rule or at or above a
        severity."""
        if not service.batches.exists(batch_id):
            raise ProblemError("not_found", what=f"batch {batch_id}")
        return service.batches.filings(
            batch_id, grade=grade, rule=rule.strip().upper() if rule else None,
            severity=severity, filing_type=service.filing_type(filing_type), page=page,
            per_page=per_page)

    @app.get(f"{API}/filings/{{filing_id}}", tags=["batches"], response_class=Response,
             responses={200: {"description": "The filing's report in the format asked for.",
                              "content": {m.split(";")[0]: {}
                                          for m in REPORT_FORMATS.values()}},
                        **_problem_responses("not_found")})
    def filing(request: Request,
               filing_id: Annotated[str, Path(pattern=r"^[0-9]{1,18}-[0-9]{1,18}$",
                                              description="BATCH-POSITION, as the batch's "
                                              "filings list gives it.")],
               format: FormatQuery = "json", lang: LangQuery = None
               ) -> Response:
        """One filing of a batch, its report in any format (as ``esgcheck results
        show`` writes it)."""
        batch_id, position = (int(p) for p in filing_id.split("-"))
        found = service.batches.filing(batch_id, position)
        if found is None:
            raise ProblemError("not_found", what=f"filing {filing_id}")
        lang = lang or language(request)
        report = make_report([found])
        body = renderer(format)(report, RenderOptions(lang=lang))
        return Response(body.encode("utf-8"), media_type=REPORT_FORMATS[format],
                        headers={"Content-Language": lang})

    @app.delete(f"{API}/batches/{{batch_id}}", tags=["batches"], status_code=204,
                response_class=Response,
                responses=_problem_responses("not_found", "batch_busy"))
    def remove(batch_id: int) -> Response:
        """A batch and its filings, and the reports no other batch holds. A batch
        still being checked is not deleted (409)."""
        if service.batches.busy(batch_id):
            raise ProblemError("batch_busy", id=batch_id)
        if not service.batches.exists(batch_id):
            raise ProblemError("not_found", what=f"batch {batch_id}")
        service.batches.delete(batch_id)
        return Response(status_code=204)


def _rule_row(rb: Any, r: Any) -> dict[str, Any]:
    s = r.spec
    instrument = rb.instrument(s.citation.instrument)
    return {"id": r.id, "rulebase": rb.id, "filing_type": r.filing_type, "kind": s.kind,
            "severity": s.severity, "section": r.section,
            "title": {"zh": s.title.get("zh"), "en": s.title.get("en")},
            "citation": {"zh": rb.citation_text(s.citation, "zh"),
                         "en": rb.citation_text(s.citation, "en")},
            "url": s.citation.url or (instrument.url if instrument else None),
            "data_check": bool(s.data_check)}


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


# -- ASGI middleware
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _BodyLimit:
    """A request body over ``limit`` bytes is answered 413 (problem) without
    being read: at once when Content-Length says so, else as soon as the
    bytes received pass the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise ProblemError("request_too_large", limit=self.limit)
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        request = Request(scope)
        response = problem_response(request, "request_too_large", limit=self.limit,
                                    headers={"Connection": "close"})
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


class _SecurityHeaders:
    """Every answer says: sniff no content type, be framed by no page, load
    nothing (an HTML report may run only its own script, by its hash), send no
    referrer, keep no copy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                kind = dict(headers).get(b"content-type", b"")
                csp = CSP_HTML if kind.startswith(b"text/html") else CSP_API
                headers += [(b"content-security-policy", csp.encode()),
                            (b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"cross-origin-resource-policy", b"same-origin"),
                            (b"cache-control", b"no-store")]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)

