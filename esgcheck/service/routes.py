"""The routes over the checker and the store. Answered at once: ``POST
/api/v1/check`` (one filing, its report, the same bytes ``esgcheck check FILE
--format F`` writes), ``GET /healthz`` and ``GET /version``. Batches, checked
in the background into the store: ``POST /batches`` (many files or one zip),
``GET /batches``, ``GET /batches/{id}``, ``GET /batches/{id}/filings``, ``GET
/filings/{id}`` and ``DELETE /batches/{id}``; a tenant sees only its own
batches (auth.py)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from esgcheck import __version__
from esgcheck.batch.run import rulebases_used
from esgcheck.checkerparts import make_report
from esgcheck.engine.findings import REPORT_SCHEMA_VERSION
from esgcheck.report import RenderOptions, renderer
from esgcheck.service.access import may_change, who
from esgcheck.service.batches import SORTS
from esgcheck.service.core import (
    API,
    REPORT_FORMATS,
    AsOfQuery,
    FormatQuery,
    LangQuery,
    Service,
    TypeQuery,
    filing_options,
    in_thread,
    multipart_files,
    report_response,
)
from esgcheck.service.problems import ProblemError, language, problem_responses
from esgcheck.service.uploads import checked_name, is_filing_name, read_zip

log = logging.getLogger("esgcheck.service")

FILING_MEDIA = ("application/json", "application/xml", "text/xml", "multipart/form-data",
                "application/octet-stream")
FILING_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object"}},
    "application/xml": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
}}}


def check_routes(app: FastAPI, service: Service) -> None:  # one function per route
    @app.post(f"{API}/check", tags=["check"], openapi_extra=FILING_BODY,
              response_class=Response, responses={200: {"description": (
                  "The report, in the format asked for; the header Esgcheck-Exit-Code is "
                  "the exit code esgcheck check would end with, Esgcheck-Grade the filing's "
                  "grade (- when it has none)."), "content": {
                      m.split(";")[0]: {} for m in REPORT_FORMATS.values()}},
                  **problem_responses("invalid_parameter", "no_filing", "unsupported_media",
                                       "request_too_large", "unknown_type", "unauthorized",
                                       "forbidden")})
    async def check(request: Request, lang: LangQuery = None, as_of: AsOfQuery = None,
                    filing_type: TypeQuery = None, format: FormatQuery = "json",
                    name: Annotated[str | None, Query(max_length=255, description=(
                        "The filing's name in the report (default: the multipart file's "
                        "name, else filing.json or filing.xml)."))] = None) -> Response:
        """Check one filing and answer its report at once (nothing is stored)."""
        may_change(request, "检查申报文件", "check filings")
        options = filing_options(service, as_of, filing_type)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "multipart/form-data":
            files = await multipart_files(request, "file", 1)
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
        filing = await in_thread(service.check_one, display, data, options)
        body, code = service.render([filing], format, lang)
        return report_response(format, body, code, lang, filing.grade)

    @app.get(f"{API}/healthz", tags=["service"],
             responses=problem_responses("store_unavailable"))
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


BATCH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
        "required": ["files"]}},
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
}}}


def _seen(service: Service, request: Request, batch_id: int) -> None:
    """404 for a batch that does not exist, or that is another tenant's."""
    if not service.batches.visible(batch_id, who(request)):
        raise ProblemError("not_found", what=f"batch {batch_id}")



def batch_routes(app: FastAPI, service: Service) -> None:  # one function per route
    @app.post(f"{API}/batches", tags=["batches"], status_code=202, openapi_extra=BATCH_BODY,
              responses=problem_responses("invalid_parameter", "no_filing", "bad_zip",
                                           "request_too_large", "duplicate_name",
                                           "unsupported_media", "forbidden"))
    async def submit(request: Request, as_of: AsOfQuery = None, filing_type: TypeQuery = None,
                     label: Annotated[str | None, Query(max_length=200)] = None
                     ) -> JSONResponse:
        """Many filings (multipart field ``files``, repeated; or one zip, as the
        body or as the only file), accepted at once with 202 and checked in the
        background into the store. Every file and the zip are judged before
        anything is stored: a refused upload stores nothing."""
        principal = may_change(request, "上传批次", "upload batches")
        options = filing_options(service, as_of, filing_type)
        limits = service.limits
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "multipart/form-data":
            parts = await multipart_files(request, "files", limits.batch_files)
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
        batch_id = await in_thread(service.batches.submit, files, options, label,
                                  principal.tenant)
        where = f"{API}/batches/{batch_id}"
        return JSONResponse({"id": batch_id, "status": "queued", "files": len(files),
                             "href": where}, status_code=202, headers={"Location": where})

    @app.get(f"{API}/batches", tags=["batches"])
    def batch_list(request: Request) -> list[dict[str, Any]]:
        """Every batch (run) of the store the tenant may see (without tokens:
        all of them, runs of ``esgcheck check --store`` too), newest first, with
        its status and progress."""
        return service.batches.listing(who(request))

    @app.get(f"{API}/batches/{{batch_id}}", tags=["batches"],
             responses=problem_responses("not_found"))
    def batch(request: Request, batch_id: int) -> dict[str, Any]:
        """A batch's status (queued, running, complete, interrupted), progress
        and, once it has filings, its summary."""
        _seen(service, request, batch_id)
        found = service.batches.describe(batch_id)
        if found is None:
            raise ProblemError("not_found", what=f"batch {batch_id}")
        found["summary"] = service.store.summary(batch_id) if found["progress"]["done"] \
            else None
        return found

    @app.get(f"{API}/batches/{{batch_id}}/filings", tags=["batches"],
             responses=problem_responses("not_found", "invalid_parameter"))
    def batch_filings(request: Request, batch_id: int,
                      grade: Annotated[str | None, Query(max_length=8)] = None,
                      rule: Annotated[str | None, Query(max_length=128)] = None,
                      severity: Annotated[str | None, Query(
                          pattern="^(critical|major|minor|info)$", description=(
                              "Filings with a breach (not waived) this severe or worse."))]
                      = None,
                      filing_type: TypeQuery = None,
                      page: Annotated[int, Query(ge=1)] = 1,
                      per_page: Annotated[int, Query(ge=1, le=500)] = 50,
                      sort: Annotated[str, Query(pattern="^(" + "|".join([*SORTS, "breaches"])
                                                 + ")$")] = "position",
                      order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc"
                      ) -> dict[str, Any]:
        """The batch's filings, in its order, a page at a time: those of a grade,
        of a filing type, with a breach (not waived) of a rule or at or above a
        severity; sorted by position (the batch's order), file, grade, type or
        breaches."""
        _seen(service, request, batch_id)
        return service.batches.filings(
            batch_id, grade=grade, rule=rule.strip().upper() if rule else None,
            severity=severity, filing_type=service.filing_type(filing_type), page=page,
            per_page=per_page, sort=sort, descending=order == "desc")

    @app.get(f"{API}/filings/{{filing_id}}", tags=["batches"], response_class=Response,
             responses={200: {"description": "The filing's report in the format asked for.",
                              "content": {m.split(";")[0]: {}
                                          for m in REPORT_FORMATS.values()}},
                        **problem_responses("not_found")})
    def filing(request: Request,
               filing_id: Annotated[str, Path(pattern=r"^[0-9]{1,18}-[0-9]{1,18}$",
                                              description="BATCH-POSITION, as the batch's "
                                              "filings list gives it.")],
               format: FormatQuery = "json", lang: LangQuery = None
               ) -> Response:
        """One filing of a batch, its report in any format (as ``esgcheck results
        show`` writes it)."""
        batch_id, position = (int(p) for p in filing_id.split("-"))
        if not service.batches.visible(batch_id, who(request)):
            raise ProblemError("not_found", what=f"filing {filing_id}")
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
                responses=problem_responses("not_found", "batch_busy", "forbidden"))
    def remove(request: Request, batch_id: int) -> Response:
        """A batch and its filings, and the reports no other batch holds. A batch
        still being checked is not deleted (409)."""
        may_change(request, "删除批次", "delete batches")
        _seen(service, request, batch_id)
        if service.batches.busy(batch_id):
            raise ProblemError("batch_busy", id=batch_id)
        service.batches.delete(batch_id)
        log.info("batch %s: deleted (tenant %s)", batch_id, who(request).tenant or "-")
        return Response(status_code=204)
