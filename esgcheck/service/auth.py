"""Who may see what: ``esgcheck serve --tokens FILE``.

The token file (YAML) gives each token a tenant and a role:

    tokens:
      - token: 3f1c...             # at least 32 characters; or, instead:
      - sha256: 9a0b...            # the SHA-256 of the token, in hex
        tenant: acme-audit
        role: writer               # writer: check, upload, read, delete; reader: read

It is read once, when the server starts; only the SHA-256 of each token is
kept in memory. Every API request then needs ``Authorization: Bearer TOKEN``
or the session cookie that ``POST /api/v1/session`` sets from one (for the
page); a request that changes something with the cookie must also carry the
header ``X-Esgcheck-Request`` (a page of another site cannot send it), so the
cookie cannot be used by another site's form. A tenant sees only the batches
it submitted: another's id answers 404, as one that does not exist. A reader
cannot check, upload or delete (403).

Without a token file everyone who reaches the server is one tenant that sees
every run of the store, so the server listens on loopback only (command.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROLES = ("reader", "writer")
TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_TOKEN = 32
COOKIE = "esgcheck_session"
CSRF_HEADER = "x-esgcheck-request"
SESSION_SECONDS = 8 * 3600


class TokenFileError(Exception):
    """A token file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Principal:
    """Who a request is: its tenant (None without a token file: the one
    tenant that sees every run) and whether it may change anything."""

    tenant: str | None
    role: str

    @property
    def writes(self) -> bool:
        return self.role == "writer"

    def sees(self, tenant: str | None) -> bool:
        return self.tenant is None or tenant == self.tenant


OPEN = Principal(None, "writer")  # the server without a token file


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    """Token digests -> principals, and the sessions made from them."""

    def __init__(self, by_digest: Mapping[str, Principal]) -> None:
        self._by_digest = dict(by_digest)
        self._sessions: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    @property
    def tenants(self) -> set[str]:
        return {p.tenant for p in self._by_digest.values() if p.tenant}

    def __len__(self) -> int:
        return len(self._by_digest)

    def bearer(self, token: str) -> Principal | None:
        wanted = digest(token)
        found = None
        for known, principal in self._by_digest.items():  # every one compared, in equal time
            if hmac.compare_digest(known, wanted):
                found = principal
        return found

    def open_session(self, principal: Principal) -> str:
        session = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._sessions = {k: v for k, v in self._sessions.items() if v[1] > now}
            self._sessions[digest(session)] = (principal, now + SESSION_SECONDS)
        return session

    def session(self, value: str) -> Principal | None:
        with self._lock:
            found = self._sessions.get(digest(value))
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def close_session(self, value: str) -> None:
        with self._lock:
            self._sessions.pop(digest(value), None)


def load_tokens(path: Path) -> Tokens:
    try:
        data: Any = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TokenFileError(f"{path}: cannot be read: {exc}") from None
    entries = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise TokenFileError(f"{path}: expected a list under 'tokens' with one entry or more")
    out: dict[str, Principal] = {}
    for i, entry in enumerate(entries, 1):
        where = f"{path}: token {i}"
        if not isinstance(entry, dict) or set(entry) - {"token", "sha256", "tenant", "role",
                                                         "note"}:
            raise TokenFileError(f"{where}: expected token (or sha256), tenant, role and "
                                 "an optional note")
        token, hashed = entry.get("token"), entry.get("sha256")
        if (token is None) == (hashed is None):
            raise TokenFileError(f"{where}: give either token or sha256")
        if token is not None and (not isinstance(token, str) or len(token) < MIN_TOKEN):
            raise TokenFileError(f"{where}: a token has at least {MIN_TOKEN} characters")
        if hashed is not None and not (isinstance(hashed, str)
                                       and re.fullmatch(r"[0-9a-fA-F]{64}", hashed)):
            raise TokenFileError(f"{where}: sha256 is 64 hexadecimal digits")
        tenant, role = entry.get("tenant"), entry.get("role")
        if not isinstance(tenant, str) or not TENANT.match(tenant):
            raise TokenFileError(f"{where}: tenant is 1 to 64 letters, digits, '.', '_', '-'")
        if role not in ROLES:
            raise TokenFileError(f"{where}: role is reader or writer")
        key = digest(token) if token is not None else str(hashed).lower()
        if key in out:
            raise TokenFileError(f"{where}: the same token is given twice")
        out[key] = Principal(tenant, str(role))
    return Tokens(out)
