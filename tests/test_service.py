"""esgcheck serve's API (esgcheck/service), through FastAPI's test client
against the application over a real SQLite store."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import stat
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from esgcheck.checker import Checker
from esgcheck.cli import main
from esgcheck.report.html import SCRIPT
from esgcheck.service.app import create_app
from esgcheck.service.uploads import UploadLimits, name_problem

from .conftest import FIXTURES

ANNUAL = FIXTURES / "cn-eidm-annual"
COMPLIANT = ANNUAL / "01-compliant-key-discharger.json"
LATE = ANNUAL / "04-late-annual-report.json"
FORMATS = ("json", "sarif", "junit", "html", "markdown")
API = "/api/v1"


@pytest.fixture(scope="module")
def app(checker: Checker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    built = create_app(str(tmp_path_factory.mktemp("svc") / "results.db"), checker)
    yield built
    built.state.service.batches.stop()


@pytest.fixture(scope="module")
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def _runs(app: FastAPI) -> int:
    return len(app.state.service.store.runs())


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["type"] == f"urn:esgcheck:problem:{code}"
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def _zip(members: list[tuple[str, bytes]], *, link: str | None = None,
         method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", method) as archive:
        warnings.simplefilter("ignore")  # a duplicate name is what some tests want
        for name, data in members:
            archive.writestr(name, data)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return out.getvalue()


# -- POST /check


@pytest.mark.parametrize("fixture", [LATE, ANNUAL / "07-concentration-over-limit.xml"])
def test_check_answers_the_bytes_the_command_line_writes(
        client: TestClient, fixture: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every format, byte for byte what ``esgcheck check FILE --format F``
    writes for the file, and the exit code it ends with."""
    monkeypatch.chdir(fixture.parent)
    outs = {fmt: tmp_path / f"out.{fmt}" for fmt in FORMATS}
    result = CliRunner().invoke(main, ["check", fixture.name, "--lang", "en", "--no-config",
                                       "--jobs", "1",
                                       *[a for f, p in outs.items() for a in ("-o", f"{f}={p}")]])
    assert result.exit_code in (0, 1), result.output
    media = "application/xml" if fixture.suffix == ".xml" else "application/json"
    for fmt, path in outs.items():
        answer = client.post(f"{API}/check", params={"format": fmt, "lang": "en",
                                                     "name": fixture.name},
                             content=fixture.read_bytes(), headers={"content-type": media})
        assert answer.status_code == 200, answer.text
        assert answer.content == path.read_bytes(), fmt
        assert answer.headers["esgcheck-exit-code"] == str(result.exit_code)
    assert result.exit_code == 1  # both fixtures have a breach: the comparison means something


def test_check_takes_multipart_and_the_parameters(client: TestClient) -> None:
    answer = client.post(f"{API}/check", files={"file": (LATE.name, LATE.read_bytes())},
                         params={"as_of": "2023-06-01", "type": "CN-EIDM-ANNUAL"},
                         headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    filing = report["filings"][0]
    assert filing["file"] == LATE.name
    assert filing["as_of"] == "2023-06-01" and filing["as_of_source"] == "option"
    assert filing["filing_type"] == "cn-eidm-annual"
    assert answer.headers["content-language"] == "zh"


def test_check_an_unreadable_filing_is_its_report_as_in_the_cli(client: TestClient) -> None:
    answer = client.post(f"{API}/check", content=b"{not json",
                         headers={"content-type": "application/json"})
    assert answer.status_code == 200
    assert answer.json()["filings"][0]["status"] == "unreadable"
    assert answer.headers["esgcheck-exit-code"] == "2"


def test_check_problems_in_both_languages(client: TestClient) -> None:
    body = _problem(client.post(f"{API}/check", params={"type": "annual"}, content=b"{}",
                                headers={"content-type": "application/json",
                                         "accept-language": "en-GB, zh;q=0.5"}),
                    422, "unknown_type")
    assert "cn-eidm-annual" in body["detail"] and body["title"] == "Unknown filing type"
    body = _problem(client.post(f"{API}/check", params={"type": "annual"}, content=b"{}",
                                headers={"content-type": "application/json",
                                         "accept-language": "fr;q=1, zh-Hans;q=0.8"}),
                    422, "unknown_type")
    assert body["title"] == "未知的申报类型"
    _problem(client.post(f"{API}/check", params={"as_of": "2023-02-30"}, content=b"{}",
                         headers={"content-type": "application/json"}),
             422, "invalid_parameter")
    _problem(client.post(f"{API}/check", params={"format": "pdf"}, content=b"{}",
                         headers={"content-type": "application/json"}), 422, "invalid_parameter")
    _problem(client.post(f"{API}/check", content=b"x", headers={"content-type": "image/png"}),
             415, "unsupported_media")
    _problem(client.post(f"{API}/check", content=b"",
                         headers={"content-type": "application/json"}), 400, "no_filing")
    _problem(client.post(f"{API}/check", files={"other": ("a.json", b"{}")}), 400, "no_filing")
    _problem(client.post(f"{API}/check", params={"name": "../etc/passwd"}, content=b"{}",
                         headers={"content-type": "application/json"}), 422, "bad_name")
    _problem(client.get(f"{API}/nowhere"), 404, "no_route")
    _problem(client.put(f"{API}/check"), 405, "method_not_allowed")


def test_a_body_over_the_limit_is_refused_unread(checker: Checker, tmp_path: Path) -> None:
    small = create_app(str(tmp_path / "r.db"), checker, UploadLimits(request_bytes=1000))
    with TestClient(small) as client:
        big = b'{"a": "' + b"x" * 2000 + b'"}'
        body = _problem(client.post(f"{API}/check", content=big,
                                    headers={"content-type": "application/json"}),
                        413, "request_too_large")
        assert "1000" in body["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
            for _ in range(10):
                yield b"x" * 200

        _problem(client.post(f"{API}/batches", content=chunks(),
                             headers={"content-type": "application/zip"}),
                 413, "request_too_large")
        assert client.post(f"{API}/check", content=b"{}", headers={
            "content-type": "application/json"}).status_code == 200
    assert small.state.service.store.runs() == []


def test_a_fault_of_the_server_is_a_problem_without_its_details(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> list[Any]:
        raise RuntimeError("secret /srv/esgcheck/internal.py line 12")

    monkeypatch.setattr(app.state.service.batches, "listing", broken)
    client = TestClient(app, raise_server_exceptions=False)
    body = _problem(client.get(f"{API}/batches", headers={"accept-language": "zh"}),
                    500, "internal")
    assert "secret" not in str(body) and "/srv" not in str(body)
    assert re.search(r"[0-9a-f]{12}", body["detail"])


# -- rules, health, version


def test_rules_and_one_rule_in_both_languages(client: TestClient) -> None:
    rules = client.get(f"{API}/rules").json()
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and "CN-EIDM-ANN-002" in ids
    one = next(r for r in rules if r["id"] == "CN-EIDM-ANN-002")
    assert one["title"]["zh"] and one["title"]["en"] and one["title"]["zh"] != one["title"]["en"]
    assert "《" in one["citation"]["zh"]
    only = client.get(f"{API}/rules", params={"rulebase": "eu-battery"}).json()
    assert only and {r["rulebase"] for r in only} == {"eu-battery"}
    majors = client.get(f"{API}/rules", params={"severity": "critical",
                                                "type": "cn-eidm-annual"}).json()
    assert majors and all(r["severity"] == "critical" and r["filing_type"] == "cn-eidm-annual"
                          for r in majors)
    full = client.get(f"{API}/rules/cn-eidm-ann-002").json()
    assert full["id"] == "CN-EIDM-ANN-002" and full["definition"]["id"] == "CN-EIDM-ANN-002"
    assert not full["file"].startswith("/")  # no path of the server's
    body = _problem(client.get(f"{API}/rules/NO-SUCH-RULE", headers={
        "accept-language": "zh"}), 404, "not_found")
    assert body["title"] == "未找到"


def test_health_and_version(client: TestClient) -> None:
    assert client.get(f"{API}/healthz").json() == {"status": "ok", "store": "ok"}
    version = client.get(f"{API}/version").json()
    assert version["api"] == "v1" and version["esgcheck"]
    assert {rb["id"] for rb in version["rulebases"]} >= {"cn-eidm", "eu-battery"}


# -- batches


def _wait(app: FastAPI, batch_id: int) -> None:
    assert app.state.service.batches.wait(batch_id, 120)


def test_a_batch_is_checked_into_the_store_and_asked(app: FastAPI, client: TestClient
                                                     ) -> None:
    names = ["01-compliant-key-discharger.json", "04-late-annual-report.json",
             "07-concentration-over-limit.xml", "09-observations-only.json"]
    files = [("files", (n, (ANNUAL / n).read_bytes())) for n in names]
    accepted = client.post(f"{API}/batches", files=files, params={"label": "inbox"})
    assert accepted.status_code == 202, accepted.text
    batch_id = accepted.json()["id"]
    assert accepted.headers["location"] == f"{API}/batches/{batch_id}"
    _wait(app, batch_id)
    batch = client.get(f"{API}/batches/{batch_id}").json()
    assert batch["status"] == "complete" and batch["label"] == "inbox"
    assert batch["progress"] == {"files": 4, "done": 4}
    assert batch["summary"]["files"] == 4
    assert any(b["id"] == batch_id for b in client.get(f"{API}/batches").json())

    every = client.get(f"{API}/batches/{batch_id}/filings").json()
    assert [f["file"] for f in every["items"]] == names and every["total"] == 4
    store = app.state.service.store
    failed = store.failed(batch_id, severity="major")
    assert failed  # some filings have a major breach: the filters below mean something
    major = client.get(f"{API}/batches/{batch_id}/filings", params={"severity": "major"}).json()
    assert [f["file"] for f in major["items"]] == [r["file"] for r in failed]
    rule = failed[0]["findings"][0]["rule"]
    by_rule = client.get(f"{API}/batches/{batch_id}/filings",
                         params={"rule": rule.lower()}).json()
    assert [f["file"] for f in by_rule["items"]] == [r["file"] for r in
                                                     store.failed(batch_id, rule=rule)]
    grade = every["items"][0]["grade"]
    by_grade = client.get(f"{API}/batches/{batch_id}/filings", params={"grade": grade}).json()
    assert by_grade["items"] and all(f["grade"] == grade for f in by_grade["items"])
    by_type = client.get(f"{API}/batches/{batch_id}/filings",
                         params={"type": "eu-battery-cf"}).json()
    assert by_type["total"] == 0
    paged = client.get(f"{API}/batches/{batch_id}/filings",
                       params={"page": 2, "per_page": 3}).json()
    assert [f["file"] for f in paged["items"]] == names[3:] and paged["total"] == 4

    second = every["items"][1]
    for fmt in FORMATS:
        shown = client.get(f"{API}/filings/{second['id']}", params={"format": fmt,
                                                                    "lang": "en"})
        assert shown.status_code == 200, fmt
        result = CliRunner().invoke(main, ["results", "show", second["file"], "--store",
                                           str(store.engine.url.database), "--run",
                                           str(batch_id), "--format", fmt, "--lang", "en"])
        assert shown.content == result.stdout_bytes, fmt  # as `esgcheck results show`
    _problem(client.get(f"{API}/filings/{batch_id}-99"), 404, "not_found")
    _problem(client.get(f"{API}/filings/x-1"), 422, "invalid_parameter")

    assert client.delete(f"{API}/batches/{batch_id}").status_code == 204
    _problem(client.get(f"{API}/batches/{batch_id}"), 404, "not_found")
    _problem(client.get(f"{API}/batches/{batch_id}/filings"), 404, "not_found")
    _problem(client.delete(f"{API}/batches/{batch_id}"), 404, "not_found")


def test_a_batch_as_a_zip_reuses_what_the_store_holds(app: FastAPI, client: TestClient) -> None:
    members = [("inbox/a.json", COMPLIANT.read_bytes()), ("inbox/b.json", LATE.read_bytes()),
               ("inbox/README.txt", b"not a filing"), ("inbox/", b"")]
    first = client.post(f"{API}/batches", content=_zip(members),
                        headers={"content-type": "application/zip"}).json()
    _wait(app, first["id"])
    assert first["files"] == 2
    again = client.post(f"{API}/batches", files={"files": ("in.zip", _zip(members))}).json()
    _wait(app, again["id"])
    summary = client.get(f"{API}/batches/{again['id']}").json()["summary"]
    assert summary["files"] == 2
    from esgcheck.store.schema import run_filings

    with app.state.service.store.engine.connect() as db:
        reused = db.execute(run_filings.select().where(
            run_filings.c.run_id == again["id"])).mappings().all()
    assert [r["reused"] for r in reused] == [True, True]


def test_a_running_batch_is_not_deleted(app: FastAPI, client: TestClient) -> None:
    service = app.state.service
    with service.lock:  # the worker waits to check its first filing
        batch_id = client.post(f"{API}/batches", files={
            "files": ("z.json", b'{"filing_type": "cn-eidm-annual"}')}).json()["id"]
        assert client.get(f"{API}/batches/{batch_id}").json()["status"] in ("queued",
                                                                            "running")
        _problem(client.delete(f"{API}/batches/{batch_id}"), 409, "batch_busy")
    _wait(app, batch_id)
    assert client.delete(f"{API}/batches/{batch_id}").status_code == 204


SMALL = {"zip_members": 20, "zip_bytes": 5000}


@pytest.mark.parametrize(("upload", "limits", "status", "code"), [
    (_zip([("../evil.json", b"{}")]), {}, 422, "zip_member_name"),
    (_zip([("/etc/evil.json", b"{}")]), {}, 422, "zip_member_name"),
    (_zip([("a\\..\\evil.json", b"{}")]), {}, 422, "zip_member_name"),
    (_zip([("ok.json", b"{}")], link="link.json"), {}, 422, "zip_link"),
    (_zip([("ok.json", b"{}"), ("inner.zip", _zip([("a.json", b"{}")]))]), {}, 422,
     "zip_nested"),
    (_zip([("sneaky.json", _zip([("a.json", b"{}")]))]), {}, 422, "zip_nested"),
    (_zip([(f"f{i}.json", b"{}") for i in range(30)]), SMALL, 413, "zip_members"),
    (_zip([("bomb.json", b"{" + b" " * (8 * 1024 * 1024) + b"}")]), {}, 413, "zip_ratio"),
    (_zip([("a.json", b"{}" * 1500), ("b.json", b"{}" * 1500)], method=zipfile.ZIP_STORED),
     SMALL, 413, "zip_size"),
    (b"PK\x03\x04 not really a zip", {}, 422, "bad_zip"),
    (_zip([("a.json", b"{}"), ("b.json", b"{}"), ("a.json", b"{}")]), {}, 422,
     "duplicate_name"),
    (_zip([("README.md", b"hello")]), {}, 400, "no_filing"),
])
def test_a_refused_zip_stores_nothing(checker: Checker, tmp_path: Path, upload: bytes,
                                      limits: dict[str, int], status: int, code: str) -> None:
    built = create_app(str(tmp_path / "r.db"), checker, UploadLimits(**limits))
    _problem(TestClient(built).post(f"{API}/batches", content=upload,
                                    headers={"content-type": "application/zip"}), status, code)
    assert _runs(built) == 0


def test_a_zip_whose_headers_lie_about_its_size_is_refused(checker: Checker,
                                                           tmp_path: Path) -> None:
    """A member that inflates past the size its headers claim is not read past
    it (and then fails its CRC): the limits judge the claimed size, and the
    bytes are counted as they are inflated besides."""
    honest = _zip([("big.json", b"{" + b" " * 20000 + b"}")])
    lying = honest.replace((20002).to_bytes(4, "little"), (10).to_bytes(4, "little"))
    assert lying != honest
    built = create_app(str(tmp_path / "r.db"), checker, UploadLimits(zip_bytes=5000))
    client = TestClient(built)
    _problem(client.post(f"{API}/batches", content=lying,
                         headers={"content-type": "application/zip"}), 422, "bad_zip")
    _problem(client.post(f"{API}/batches", content=honest,
                         headers={"content-type": "application/zip"}), 413, "zip_size")
    assert _runs(built) == 0


def test_multipart_batches_are_judged_before_anything_is_stored(checker: Checker,
                                                                tmp_path: Path) -> None:
    built = create_app(str(tmp_path / "r.db"), checker, UploadLimits(batch_files=3))
    client = TestClient(built)
    _problem(client.post(f"{API}/batches", files=[("files", (f"{i}.json", b"{}"))
                                                  for i in range(5)]), 413, "too_many_files")
    _problem(client.post(f"{API}/batches", files=[("files", ("a.json", b"{}")),
                                                  ("files", ("a.json", b"{}"))]),
             422, "duplicate_name")
    _problem(client.post(f"{API}/batches", files=[("files", ("../a.json", b"{}"))]),
             422, "bad_name")
    _problem(client.post(f"{API}/batches", files=[("files", ("a.pdf", b"%PDF"))]),
             422, "not_a_filing")
    _problem(client.post(f"{API}/batches", content=b"{}", headers={
        "content-type": "application/json"}), 415, "unsupported_media")
    assert _runs(built) == 0


@pytest.mark.parametrize(("name", "refused"), [
    ("a.json", False), ("in/box/a.json", False), ("", True), ("/a.json", True),
    ("C:a.json", True), ("a/../b.json", True), ("a//b.json", True), ("./a.json", True),
    ("a\x00.json", True), ("a\\b.json", True),
])
def test_names(name: str, refused: bool) -> None:
    assert (name_problem(name) is not None) is refused


# -- headers and the OpenAPI document


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for response in (client.get(f"{API}/version"), client.get(f"{API}/rules/NOPE"),
                     client.post(f"{API}/check", params={"format": "html"},
                                 content=LATE.read_bytes(),
                                 headers={"content-type": "application/json"})):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[-1] if "script-src" in csp \
            else True
    html = response.text
    assert not re.findall(r"<script>(.*?)</script>", html, re.S)  # one filing: no script
    # the report's own script (reports of several filings) runs by its hash, nothing else
    script_src = csp.split("script-src ")[1].split(";")[0]
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert script_src == f"'sha256-{digest}'"


def test_no_page_loads_from_elsewhere(client: TestClient) -> None:
    """FastAPI's /docs and /redoc load their scripts from a CDN: not served."""
    for path in ("/docs", "/redoc", f"{API}/docs"):
        assert client.get(path).status_code == 404


def test_the_openapi_document_validates_and_every_route_answers_as_it_says(
        app: FastAPI, client: TestClient) -> None:
    document = client.get(f"{API}/openapi.json").json()
    validate(document)
    batch_id = client.post(f"{API}/batches", files={
        "files": ("a.json", COMPLIANT.read_bytes())}).json()["id"]
    _wait(app, batch_id)
    concrete = {"rule_id": "CN-EIDM-ANN-002", "batch_id": str(batch_id),
                "filing_id": f"{batch_id}-0"}
    bodies: dict[str, dict[str, Any]] = {
        f"POST {API}/check": {"content": COMPLIANT.read_bytes(),
                              "headers": {"content-type": "application/json"}},
        f"POST {API}/batches": {"files": {"files": ("b.json", COMPLIANT.read_bytes())}},
    }
    operations = [(method.upper(), path) for path, item in document["paths"].items()
                  for method in item]
    assert len(operations) == 14
    order = sorted(operations, key=lambda op: op[0] == "DELETE")  # delete last
    for method, template in order:
        path = re.sub(r"\{(\w+)\}", lambda m: concrete[m.group(1)], template)
        response = client.request(method, path, **bodies.get(f"{method} {template}", {}))
        documented = document["paths"][template][method.lower()]["responses"]
        assert str(response.status_code) in documented, (method, template, response.text)
        assert response.status_code < 300, (method, template, response.text)
