"""esgcheck serve's batches checked in forked worker processes (--workers) and
on a local Dask cluster (--cluster) store the same reports as in the server
process; the page's files carry the page's security headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from esgcheck.batch.cluster import Cluster
from esgcheck.checker import Checker
from esgcheck.service.app import create_app

from .conftest import FIXTURES

API = "/api/v1"
SAMPLES = sorted((FIXTURES / "cn-eidm-annual").glob("*"))[:12] + sorted(
    (FIXTURES / "cn-eidm-temporary").glob("*.json"))[:4]


def _batch(client: TestClient) -> int:
    files = [("files", (f"in/{p.name}", p.read_bytes())) for p in SAMPLES
             if p.suffix in (".json", ".xml")]
    files.append(("files", ("in/broken.json", b'{"filing_type": ')))
    accepted = client.post(f"{API}/batches", files=files)
    assert accepted.status_code == 202, accepted.text
    batch_id: int = accepted.json()["id"]
    return batch_id


def _reports(checker: Checker, tmp_path: Path, name: str, workers: int = 1,
             cluster: Cluster | None = None) -> list[bytes]:
    app = create_app(str(tmp_path / f"{name}.db"), checker, workers=workers, cluster=cluster)
    try:
        with TestClient(app) as client:
            batch_id = _batch(client)
            assert app.state.service.batches.wait(batch_id, 300)
            listed = client.get(f"{API}/batches/{batch_id}/filings",
                                params={"per_page": 500}).json()["items"]
            return [client.get(f"{API}/filings/{f['id']}", params={"format": "json"}).content
                    for f in listed]
    finally:
        app.state.service.batches.stop()


def test_workers_and_a_cluster_store_what_the_server_process_does(
        checker: Checker, tmp_path: Path) -> None:
    alone = _reports(checker, tmp_path, "alone")
    assert len(alone) == len([p for p in SAMPLES if p.suffix in (".json", ".xml")]) + 1
    assert _reports(checker, tmp_path, "workers", workers=2) == alone
    with Cluster.connect("local:2") as cluster:
        assert _reports(checker, tmp_path, "cluster", cluster=cluster) == alone


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/app.css"])
def test_the_page_loads_only_its_own_files(checker: Checker, tmp_path: Path, path: str) -> None:
    client = TestClient(create_app(str(tmp_path / "r.db"), checker))
    answer = client.get(path)
    assert answer.status_code == 200
    csp = answer.headers["content-security-policy"]
    script = re.search(r"script-src ([^;]*)", csp)
    assert script is not None and "'unsafe-inline'" not in script.group(1)
    assert "'unsafe-eval'" not in csp and "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    if path == "/":
        html = answer.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
        assert [u for u in re.findall(r'(?:src|href)="([^"]+)"', html)
                if not u.startswith("#")] == [
            "data:,", "/static/app.css", "/static/app.js"]  # nothing from elsewhere
        assert not re.search(r"\son\w+\s*=", html, re.I)  # no inline event handler
