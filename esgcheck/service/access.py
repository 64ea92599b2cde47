"""Who a request is, what it may do, and the page's session routes
(``/api/v1/session``); the tokens themselves are ``auth.py``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from esgcheck.service.auth import COOKIE, OPEN, Principal, Tokens
from esgcheck.service.core import API
from esgcheck.service.problems import ProblemError, problem_responses


def who(request: Request) -> Principal:
    found: Principal = getattr(request.state, "principal", None) or OPEN
    return found


def may_change(request: Request, zh: str, en: str) -> Principal:
    """The request's principal, if it may change things (403 for a reader)."""
    principal = who(request)
    if not principal.writes:
        raise ProblemError("forbidden", action=zh, action_en=en)
    return principal


def session_routes(app: FastAPI, tokens: Tokens | None) -> None:
    @app.get(f"{API}/session", tags=["session"], responses=problem_responses("unauthorized"))
    def session(request: Request) -> dict[str, Any]:
        """Who the request is: its tenant and role, and whether the server
        asks for tokens."""
        principal = who(request)
        return {"tenant": principal.tenant, "role": principal.role,
                "tokens": tokens is not None}

    @app.post(f"{API}/session", tags=["session"],
              responses=problem_responses("unauthorized"))
    def open_session(request: Request) -> JSONResponse:
        """A session for the page, from the bearer token of this request: a
        cookie (HttpOnly, SameSite=Strict; Secure over HTTPS) that lasts eight
        hours or until the server stops."""
        principal = who(request)
        body = {"tenant": principal.tenant, "role": principal.role,
                "tokens": tokens is not None}
        answer = JSONResponse(body)
        if tokens is not None:
            answer.set_cookie(COOKIE, tokens.open_session(principal), httponly=True,
                              samesite="strict", path="/",
                              secure=request.url.scheme == "https")
        return answer

    @app.delete(f"{API}/session", tags=["session"], status_code=204, response_class=Response,
                responses=problem_responses("unauthorized"))
    def close_session(request: Request) -> Response:
        """End the page's session."""
        value = request.cookies.get(COOKIE)
        if value and tokens is not None:
            tokens.close_session(value)
        answer = Response(status_code=204)
        answer.delete_cookie(COOKIE, path="/")
        return answer
