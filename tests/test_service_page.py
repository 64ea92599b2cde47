"""esgcheck serve's web page in headless Chromium, driven by Playwright for
Python (Debian's /usr/bin/chromium, no browser of Playwright's own), against a
real server on 127.0.0.1: upload a filing and see its grade and report; upload
a batch, watch it finish, filter it by a rule and open a finding's proof;
switch the language; sign in with a token; print. No console error, and no
request leaves the server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import expect, sync_playwright

from esgcheck.checker import Checker, Options
from esgcheck.service.app import create_app
from esgcheck.service.auth import load_tokens

from .chromium import FLAGS, INSTALL_HINT, find_chromium
from .conftest import FIXTURES

ANNUAL = FIXTURES / "cn-eidm-annual"
BATCH = [ANNUAL / n for n in ("01-compliant-key-discharger.json", "03-audit-block-missing.json",
                              "04-late-annual-report.json", "07-concentration-over-limit.json")]
TOKEN = "page-writer-" + "p" * 32
HOSTILE = "<img src=x onerror=window.__pwned=1>.json"  # a file name is text, never markup


@dataclass
class Served:
    app: FastAPI
    base: str
    server: uvicorn.Server
    thread: threading.Thread = field(repr=False)


def _serve(app: FastAPI) -> Served:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    return Served(app, f"http://127.0.0.1:{port}", server, thread)


def _stop(served: Served) -> None:
    served.server.should_exit = True
    served.thread.join(30)


@pytest.fixture(scope="module")
def served(checker: Checker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    one = _serve(create_app(str(tmp_path_factory.mktemp("page") / "results.db"), checker))
    yield one
    _stop(one)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = find_chromium()
    if executable is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=[f for f in FLAGS if f not in ("--headless", "--remote-debugging-pipe")])
        yield launched
        launched.close()


@dataclass
class Watched:
    page: Any
    problems: list[str]
    requests: list[str]


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Watched]:
    context = browser.new_context(locale="en-GB")
    opened = context.new_page()
    watched = Watched(opened, [], [])
    opened.on("console", lambda m: watched.problems.append(f"{m.type}: {m.text}")
              if m.type in ("error", "warning") else None)
    opened.on("pageerror", lambda e: watched.problems.append(f"exception: {e}"))
    opened.on("requestfailed", lambda r: watched.problems.append(f"failed: {r.url}"))
    opened.on("request", lambda r: watched.requests.append(r.url))
    opened.set_default_timeout(60_000)
    yield watched
    context.close()
    assert watched.problems == []
    outside = [u for u in watched.requests
               if not u.startswith(served.base + "/") and not u.startswith(("about:", "data:"))]
    assert outside == []  # nothing leaves the server


def test_upload_a_filing_and_see_its_grade_and_report(page: Watched, served: Served) -> None:
    p = page.page
    p.goto(served.base + "/")
    p.set_input_files("#files", str(BATCH[2]))
    p.wait_for_selector("#grade")
    assert p.inner_text("#grade") == "C"
    report = p.frame_locator("#report")
    assert BATCH[2].name in report.locator("body").inner_text()
    assert "CN-EIDM-ANN-002" in report.locator("body").inner_text()
    assert p.evaluate("document.querySelector('#report').getAttribute('sandbox')") \
        == "allow-scripts"  # the report runs without the page's origin


def test_drop_files_to_make_a_batch_filter_it_by_rule_and_open_a_proof(
        page: Watched, served: Served) -> None:
    p = page.page
    p.goto(served.base + "/")
    handle = p.evaluate_handle("""(files) => {
        const dt = new DataTransfer();
        for (const [name, text] of files) dt.items.add(new File([text], name,
                                                                {type: 'application/json'}));
        return dt; }""", [[f.name, f.read_text("utf-8")] for f in BATCH]
        + [[HOSTILE, BATCH[0].read_text("utf-8")]])
    p.dispatch_event("#drop", "drop", {"dataTransfer": handle})
    p.wait_for_url("**/#/batch/*")
    p.wait_for_selector("#status[data-status=complete]")
    assert p.inner_text("#done") == "5 / 5"
    bars = p.eval_on_selector_all("#distribution rect", "rs => rs.map(r => [r.dataset.grade, "
                                  "Number(r.dataset.count)])")
    assert dict(bars) == {"A": 2, "C": 2, "D": 1}
    expect(p.locator("#filing-table tbody tr")).to_have_count(5)
    assert HOSTILE in p.inner_text("#filing-table tbody")
    assert p.locator("#filing-table img").count() == 0
    assert p.evaluate("window.__pwned") is None
    p.fill("#f-rule", "CN-EIDM-ANN-002")
    p.click("#f-apply")
    expect(p.locator("#filing-table tbody tr")).to_have_count(1)
    assert BATCH[2].name in p.inner_text("#filing-table tbody")
    p.select_option("#f-grade", "C")
    expect(p.locator("#page")).to_contain_text("(1 ")
    p.click("#filing-table tbody tr")
    p.wait_for_selector("details.finding[data-rule='CN-EIDM-ANN-002']")
    p.click("details.finding[data-rule='CN-EIDM-ANN-002'] > summary")
    finding = p.locator("details.finding[data-rule='CN-EIDM-ANN-002']")
    assert finding.get_attribute("open") is not None
    assert finding.locator("ul.proof.tree li.proof-node").count() >= 1
    assert finding.locator("ul.proof.tree").is_visible()
    expected = next(f for f in served.app.state.service.checker.check_bytes(
        BATCH[2].read_bytes(), BATCH[2].name, Options()).findings
        if f.rule_id == "CN-EIDM-ANN-002")
    assert finding.locator(".citation").inner_text() == expected.citation.text.en
    assert ":" in finding.locator(".location").inner_text()  # file:line:column
    assert finding.locator("table.values tbody tr").count() >= 1
    # sorted by grade, worst last
    p.select_option("#f-grade", "")
    p.fill("#f-rule", "")
    p.click("#f-apply")
    expect(p.locator("#filing-table tbody tr")).to_have_count(5)
    p.click("button.sort[data-sort=grade]")
    p.wait_for_selector("button.sort[data-sort=grade][aria-sort=ascending]")
    grades = p.eval_on_selector_all("#filing-table tbody tr td:nth-child(4)",
                                    "ts => ts.map(t => t.textContent)")
    assert grades == sorted(grades)


def test_switch_language_and_the_rules_page(page: Watched, served: Served) -> None:
    p = page.page
    p.goto(served.base + "/#/rules")
    p.wait_for_selector("#rules tr[data-rule='CN-EIDM-ANN-002']")
    english = p.inner_text("#rules tr[data-rule='CN-EIDM-ANN-002']")
    assert p.inner_text("nav a[href='#/']") == "Check"
    p.click("#lang")
    expect(p.locator("nav a[href='#/']")).to_have_text("检查")
    p.wait_for_selector("#rules tr[data-rule='CN-EIDM-ANN-002']")
    chinese = p.inner_text("#rules tr[data-rule='CN-EIDM-ANN-002']")
    assert chinese != english and "《" in chinese
    assert p.evaluate("document.documentElement.lang") == "zh-CN"
    p.fill("#rule-search", "CN-EIDM-ANN-002")
    assert p.eval_on_selector_all("#rules tbody tr", "rs => rs.length") == 1
    p.emulate_media(media="print")
    assert not p.is_visible("nav")  # printable: no navigation, no controls


def test_with_tokens_the_page_asks_to_sign_in(browser: Any, checker: Checker,
                                               tmp_path: Path) -> None:
    (tmp_path / "tokens.yaml").write_text(
        f"tokens:\n  - token: {TOKEN}\n    tenant: acme\n    role: writer\n", "utf-8")
    one = _serve(create_app(str(tmp_path / "r.db"), checker,
                            tokens=load_tokens(tmp_path / "tokens.yaml")))
    context = browser.new_context()
    try:
        p = context.new_page()
        problems: list[str] = []
        p.on("pageerror", lambda e: problems.append(str(e)))
        p.goto(one.base + "/#/batches")
        p.wait_for_selector("#token")
        p.fill("#token", TOKEN)
        p.click("form.signin button")
        p.wait_for_selector("#who:has-text('acme')")
        assert "writer" in p.inner_text("#who")
        cookies = context.cookies()
        assert [c["httpOnly"] for c in cookies] == [True]
        assert TOKEN not in str(cookies)
        assert problems == []
    finally:
        context.close()
        _stop(one)
