"""Who may see what in esgcheck serve: tokens, tenants, roles, the page's
session, and the store's migration that gives runs their tenant."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select

from esgcheck.checker import Checker
from esgcheck.service.app import create_app
from esgcheck.service.auth import COOKIE, TokenFileError, Tokens, digest, load_tokens
from esgcheck.store import open_store
from esgcheck.store.connect import alembic_config, normalise_url
from esgcheck.store.pending import pending_batches
from esgcheck.store.schema import runs

from .conftest import FIXTURES
from .pg import Server, new_postgres_db, postgres  # noqa: F401  # fixtures used by name

API = "/api/v1"
LATE = FIXTURES / "cn-eidm-annual" / "04-late-annual-report.json"
ACME_W = "acme-writer-" + "a" * 32
ACME_R = "acme-reader-" + "b" * 32
BETA_W = "beta-writer-" + "c" * 32
TOKENS = f"""tokens:
  - token: {ACME_W}
    tenant: acme
    role: writer
  - sha256: {digest(ACME_R)}
    tenant: acme
    role: reader
    note: given as its digest
  - token: {BETA_W}
    tenant: beta
    role: writer
"""


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> Tokens:
    path = tmp_path_factory.mktemp("tok") / "tokens.yaml"
    path.write_text(TOKENS, "utf-8")
    return load_tokens(path)


@pytest.fixture(scope="module")
def app(checker: Checker, tokens: Tokens, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[FastAPI]:
    built = create_app(str(tmp_path_factory.mktemp("svc") / "results.db"), checker,
                       tokens=tokens)
    yield built
    built.state.service.batches.stop()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_tokens_are_kept_only_as_digests(tokens: Tokens) -> None:
    held = repr(vars(tokens))
    assert ACME_W not in held and BETA_W not in held
    assert digest(ACME_W) in held
    assert tokens.bearer(ACME_W) is not None and tokens.bearer(ACME_W + "x") is None
    assert tokens.tenants == {"acme", "beta"}


@pytest.mark.parametrize(("text", "why"), [
    ("tokens: []", "one entry or more"),
    ("tokens:\n  - token: short\n    tenant: a\n    role: writer", "at least 32"),
    (f"tokens:\n  - token: {ACME_W}\n    tenant: 'a b'\n    role: writer", "tenant is"),
    (f"tokens:\n  - token: {ACME_W}\n    tenant: a\n    role: admin", "reader or writer"),
    (f"tokens:\n  - token: {ACME_W}\n    sha256: {'0' * 64}\n    tenant: a\n    role: reader",
     "either token or sha256"),
    (f"tokens:\n  - token: {ACME_W}\n    tenant: a\n    role: reader\n"
     f"  - token: {ACME_W}\n    tenant: b\n    role: reader", "twice"),
    ("tokens: [", "cannot be read"),
])
def test_a_bad_token_file_is_refused(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(TokenFileError, match=why):
        load_tokens(path)


def test_every_api_request_needs_a_token(client: TestClient) -> None:
    for method, path in (("GET", "/batches"), ("GET", "/rules"), ("GET", "/version"),
                         ("POST", "/check"), ("GET", "/openapi.json"), ("GET", "/session")):
        answer = client.request(method, f"{API}{path}")
        _problem(answer, 401, "unauthorized")
        assert answer.headers["www-authenticate"].startswith("Bearer")
        _problem(client.request(method, f"{API}{path}", headers=_bearer("nope" * 10)),
                 401, "unauthorized")
    assert client.get(f"{API}/healthz").status_code == 200  # says only that it answers
    assert client.get("/").status_code == 200  # the page's files hold no data
    assert client.get(f"{API}/version", headers=_bearer(ACME_R)).status_code == 200


def test_a_tenant_sees_only_its_own_batches(app: FastAPI, client: TestClient) -> None:
    accepted = client.post(f"{API}/batches", headers=_bearer(ACME_W),
                           files={"files": (LATE.name, LATE.read_bytes())})
    assert accepted.status_code == 202, accepted.text
    acme = accepted.json()["id"]
    beta = client.post(f"{API}/batches", headers=_bearer(BETA_W),
                       files={"files": (LATE.name, LATE.read_bytes())}).json()["id"]
    for batch_id in (acme, beta):
        assert app.state.service.batches.wait(batch_id, 120)
    assert [b["id"] for b in client.get(f"{API}/batches", headers=_bearer(ACME_R)).json()] \
        == [acme]
    assert [b["id"] for b in client.get(f"{API}/batches", headers=_bearer(BETA_W)).json()] \
        == [beta]
    seen = client.get(f"{API}/batches/{acme}", headers=_bearer(ACME_R)).json()
    assert seen["tenant"] == "acme" and seen["status"] == "complete"
    # another tenant's ids answer as ids that do not exist
    for path in (f"/batches/{acme}", f"/batches/{acme}/filings", f"/filings/{acme}-0"):
        _problem(client.get(f"{API}{path}", headers=_bearer(BETA_W)), 404, "not_found")
    _problem(client.delete(f"{API}/batches/{acme}", headers=_bearer(BETA_W)), 404, "not_found")
    assert client.get(f"{API}/filings/{acme}-0", headers=_bearer(ACME_R)).status_code == 200
    # the same bytes from two tenants are two reports: none is taken from another's batch
    with app.state.service.store.engine.connect() as db:
        keys = db.execute(select(runs.c.settings_key).where(runs.c.id.in_([acme, beta])))
        assert len(set(keys.scalars())) == 2


def test_a_reader_cannot_check_upload_or_delete(app: FastAPI, client: TestClient) -> None:
    before = len(app.state.service.store.runs())
    _problem(client.post(f"{API}/batches", headers=_bearer(ACME_R),
                         files={"files": (LATE.name, LATE.read_bytes())}), 403, "forbidden")
    body = client.post(f"{API}/check", headers={**_bearer(ACME_R), "accept-language": "zh",
                                                "content-type": "application/json"},
                       content=LATE.read_bytes())
    _problem(body, 403, "forbidden")
    assert "只读" in body.json()["detail"]
    batch_id = client.get(f"{API}/batches", headers=_bearer(ACME_R)).json()[0]["id"]
    _problem(client.delete(f"{API}/batches/{batch_id}", headers=_bearer(ACME_R)), 403,
             "forbidden")
    assert len(app.state.service.store.runs()) == before


def test_the_page_session_is_a_cookie_that_changes_nothing_without_its_header(
        app: FastAPI, client: TestClient) -> None:
    fresh = TestClient(app)
    opened = fresh.post(f"{API}/session", headers=_bearer(ACME_W))
    assert opened.json() == {"tenant": "acme", "role": "writer", "tokens": True}
    cookie = opened.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert ACME_W not in cookie
    assert fresh.get(f"{API}/session").json()["tenant"] == "acme"  # by the cookie alone
    assert fresh.get(f"{API}/batches").status_code == 200
    files = {"files": (LATE.name, LATE.read_bytes())}
    _problem(fresh.post(f"{API}/batches", files=files), 403, "csrf")
    accepted = fresh.post(f"{API}/batches", files=files, headers={"x-esgcheck-request": "1"})
    assert accepted.status_code == 202
    assert app.state.service.batches.wait(accepted.json()["id"], 120)
    assert fresh.delete(f"{API}/session", headers={"x-esgcheck-request": "1"}).status_code \
        == 204
    fresh.cookies.clear()
    fresh.cookies.set(COOKIE, cookie.split(";")[0].split("=", 1)[1])
    _problem(fresh.get(f"{API}/batches"), 401, "unauthorized")  # closed on the server too


def test_without_tokens_everyone_is_one_tenant_that_sees_every_run(
        checker: Checker, tmp_path: Path) -> None:
    client = TestClient(create_app(str(tmp_path / "r.db"), checker))
    assert client.get(f"{API}/session").json() == {"tenant": None, "role": "writer",
                                                   "tokens": False}
    assert "set-cookie" not in client.post(f"{API}/session").headers


# -- the store's migration


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "results.db")
    make: Callable[[], str] = request.getfixturevalue("new_postgres_db")
    return make()


def test_a_store_made_before_tenants_is_migrated_with_its_runs(store_url: str) -> None:
    engine = create_engine(normalise_url(store_url))
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.commit()
        connection.exec_driver_sql(
            "INSERT INTO runs (started, status, esgcheck_version, settings, settings_key, "
            "rulebases, files) VALUES ('2026-01-01T00:00:00Z', 'complete', '0.1.0', '{}', "
            "'k', '[]', 0)")
        connection.commit()
    engine.dispose()
    store = open_store(store_url)
    with store.engine.connect() as db:
        rows = db.execute(select(runs.c.id, runs.c.tenant, runs.c.status)).all()
        assert rows == [(1, None, "complete")]
        db.execute(insert(runs).values(started="x", status="pending", esgcheck_version="x",
                                       settings="{}", settings_key="k", rulebases="[]",
                                       files=0, tenant="acme"))
        db.commit()
    assert pending_batches(store) == []  # a pending run without kept files is not a batch
    store.engine.dispose()


def test_a_pending_batch_is_resumed_when_the_server_starts(store_url: str,
                                                           checker: Checker) -> None:
    """A batch stored as pending (as a server stopped with SIGTERM leaves it),
    with one filing already stored, is checked to the end by the next
    server's start, on SQLite and PostgreSQL alike."""
    from esgcheck.batch.run import rulebases_used
    from esgcheck.checker import Options
    from esgcheck.store.pending import begin_batch
    from esgcheck.store.schema import batch_files, run_filings

    store = open_store(store_url)
    names = ["01-compliant-key-discharger.json", "04-late-annual-report.json",
             "07-concentration-over-limit.xml"]
    files = [(n, (FIXTURES / "cn-eidm-annual" / n).read_bytes()) for n in names]
    settings = {**checker.settings(Options()), "via": "esgcheck serve", "tenant": "acme"}
    run = begin_batch(store, settings, rulebases_used(checker), files, "left", "acme")
    run.add(names[0], hashlib.sha256(files[0][1]).hexdigest(),
            checker.check_bytes(files[0][1], names[0], Options()))
    run.flush()
    app = create_app(store, checker)
    with TestClient(app) as client:  # its start resumes the batch
        assert app.state.service.batches.wait(run.id, 120)
        seen = client.get(f"{API}/batches/{run.id}").json()
        listed = client.get(f"{API}/batches/{run.id}/filings").json()["items"]
    assert seen["status"] == "complete" and seen["tenant"] == "acme"
    assert [f["file"] for f in listed] == names
    with store.engine.connect() as db:
        assert db.execute(select(run_filings.c.reused).where(
            run_filings.c.run_id == run.id).order_by(run_filings.c.position)).scalars().all() \
            == [False, False, False]  # each stored once, by this batch
        assert db.execute(select(batch_files.c.position)).all() == []
    store.engine.dispose()
