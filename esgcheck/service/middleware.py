"""The ASGI layers every request passes: who it is (``Guard``), how large its
body may be (``BodyLimit``) and the security headers of every answer
(``SecurityHeaders``)."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from starlette.requests import Request

from esgcheck.report.html import SCRIPT
from esgcheck.service.auth import COOKIE, CSRF_HEADER, OPEN, Principal, Tokens
from esgcheck.service.core import API
from esgcheck.service.problems import ProblemError, problem_response

log = logging.getLogger("esgcheck.service")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()
CSP_API = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# an HTML report: its own script, by its hash, and nothing else
CSP_HTML = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src 'sha256-{_SCRIPT_HASH}'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'")
# the page: its own script file, the API of its own origin, and the HTML report
# it shows in a sandboxed frame (which inherits this policy: hence the report
# script's hash and inline styles)
CSP_PAGE = ("default-src 'none'; script-src 'self' "
            f"'sha256-{_SCRIPT_HASH}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PUBLIC = (f"{API}/healthz",)  # says only whether the server and its store answer


def _is_page(path: str) -> bool:
    return not path.startswith(API)


class Guard:
    """Who a request is, in ``scope["state"]["principal"]``. With tokens,
    every API request needs ``Authorization: Bearer TOKEN`` or the session
    cookie (401 otherwise), and one that changes something with the cookie
    needs the ``X-Esgcheck-Request`` header (403). The page's files are the
    same for everyone and hold no data: they are served without a token, and
    everything they show comes from the API."""

    def __init__(self, app: ASGIApp, tokens: Tokens | None) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if self.tokens is None:
            state["principal"] = OPEN
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        who, by_cookie = self._who(scope)
        if who is None and not _is_page(path) and path not in PUBLIC:
            client = (scope.get("client") or ("?",))[0]
            log.warning("refused: no valid token from %s for %s %s", client, scope["method"],
                        path)
            await self._refuse(scope, send, "unauthorized",
                               {"WWW-Authenticate": 'Bearer realm="esgcheck"'})
            return
        if who is not None and by_cookie and scope["method"] not in SAFE_METHODS:
            headers = dict(scope.get("headers") or [])
            if CSRF_HEADER.encode() not in headers:
                await self._refuse(scope, send, "csrf", {})
                return
        state["principal"] = who
        await self.app(scope, receive, send)

    def _who(self, scope: Scope) -> tuple[Principal | None, bool]:
        assert self.tokens is not None
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return self.tokens.bearer(token.strip()), False
        raw = headers.get(b"cookie", b"").decode("latin-1")
        if raw:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(raw)
            except Exception:  # an unreadable cookie header is no session
                return None, False
            if COOKIE in jar:
                return self.tokens.session(jar[COOKIE].value), True
        return None, False

    async def _refuse(self, scope: Scope, send: Send, code: str,
                      headers: dict[str, str]) -> None:
        response = problem_response(Request(scope), code, headers=headers)
        await response(scope, _no_body, send)


class BodyLimit:
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


class SecurityHeaders:
    """Every answer says: sniff no content type, be framed by no page, load
    nothing but what the page itself needs (an HTML report may run only its
    own script, by its hash), send no referrer, keep no copy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = _is_page(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                kind = dict(headers).get(b"content-type", b"")
                csp = (CSP_PAGE if page else CSP_HTML if kind.startswith(b"text/html")
                       else CSP_API)
                headers += [(b"content-security-policy", csp.encode()),
                            (b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"cross-origin-resource-policy", b"same-origin"),
                            (b"cache-control", b"no-store")]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
