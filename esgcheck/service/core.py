"""What the routes of ``esgcheck serve`` share: the service's state (the
checker, loaded once, the store, the batch worker, the limits), the query
parameters, reading an upload and answering a report.

Checking uses process-wide state of the rule engine (the stage being run, the
regex time limit), so one filing is checked at a time, under a lock; the
batch worker takes its turn filing by filing, so a ``/check`` waits for at
most one batch filing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from esgcheck.batch.cluster import Cluster, Setup
from esgcheck.checker import Checker, Options, internal_error
from esgcheck.checkerparts import make_report, sendable
from esgcheck.engine.chain import STAGE
from esgcheck.engine.findings import FilingReport
from esgcheck.engine.grading import exit_code
from esgcheck.report import RenderOptions, renderer
from esgcheck.service.auth import Tokens
from esgcheck.service.batches import Batches
from esgcheck.service.problems import ProblemError
from esgcheck.service.uploads import UploadLimits
from esgcheck.store import Store

API = "/api/v1"
REPORT_FORMATS: dict[str, str] = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "junit": "application/xml; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
}
FAIL_ON = "major"  # as esgcheck check's default


class Service:
    """What the routes share: the checker (loaded once), the store, the batch
    worker and the limits."""

    def __init__(self, checker: Checker, store: Store, limits: UploadLimits,
                 tokens: Tokens | None = None, workers: int = 1,
                 cluster: Cluster | None = None, setup: Setup | None = None) -> None:
        self.checker = checker
        self.store = store
        self.limits = limits
        self.tokens = tokens
        self.lock = threading.Lock()
        self.batches = Batches(checker, store, self.check_one, workers=workers,
                               cluster=cluster, setup=setup)

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


def report_response(fmt: str, body: str, code: int, lang: str, grade: str | None) -> Response:
    return Response(body.encode("utf-8"), media_type=REPORT_FORMATS[fmt],
                    headers={"Esgcheck-Exit-Code": str(code), "Content-Language": lang,
                             "Esgcheck-Grade": grade or "-"})



def filing_options(service: Service, as_of: date | None, filing_type: str | None) -> Options:
    return Options(as_of=as_of, filing_type=service.filing_type(filing_type))



async def multipart_files(request: Request, field: str, limit: int) -> list[tuple[str, bytes]]:
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



async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)
