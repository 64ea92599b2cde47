"""A small driver for headless Chromium over the DevTools protocol, for tests.

Chromium runs with ``--remote-debugging-pipe``: it reads protocol messages on
file descriptor 3 and writes on 4, each a JSON object ended by a NUL byte. The
driver is single-threaded: a call sends a message and reads until its answer,
keeping the events it reads on the way with the page they belong to. Every
wait has a deadline, so a hung browser fails a test instead of blocking it.

    with Browser.launch() as browser, browser.open(path.as_uri()) as page:
        assert page.problems() == []
        title = page.evaluate("document.title")
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

TIMEOUT = 30.0
DEBIAN_PATH = Path("/usr/bin/chromium")
INSTALL_HINT = ("headless Chromium is needed for the HTML report tests: install Debian's "
                "chromium package (apt-get install chromium)")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)


class ChromiumError(RuntimeError):
    """The browser failed, answered with an error, or did not answer in time."""


def find_chromium() -> str | None:
    """Debian's /usr/bin/chromium, else ``chromium`` on PATH."""
    if DEBIAN_PATH.is_file() and os.access(DEBIAN_PATH, os.X_OK):
        return str(DEBIAN_PATH)
    return shutil.which("chromium")


def _text_of(args: list[dict[str, Any]]) -> str:
    return " ".join(str(a.get("value", a.get("description", a.get("type", "")))) for a in args)


@dataclass
class Page:
    """One tab: what it logged, threw, requested and opened, and a way to ask it."""

    browser: Browser
    target_id: str
    session_id: str
    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.call(method, params, self.session_id)

    def problems(self) -> list[str]:
        """Every console error or warning, uncaught exception, error log entry,
        failed request and dialog, each prefixed with its kind."""
        return ([f"console: {m}" for m in self.console]
                + [f"exception: {m}" for m in self.exceptions]
                + [f"log: {m}" for m in self.log_errors]
                + [f"failed request: {m}" for m in self.failed_requests]
                + [f"dialog: {m}" for m in self.dialogs])

    def navigate(self, url: str, timeout: float = TIMEOUT) -> None:
        """Go to ``url`` and return once its load event has fired."""
        seen = len(self.events)
        answer = self.call("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise ChromiumError(f"cannot open {url}: {answer['errorText']}")
        self.browser.wait(lambda: "Page.loadEventFired" in self.events[seen:],
                          f"the load event of {url}", timeout)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page, as JSON."""
        answer = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True})
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise ChromiumError(f"{expression!r} threw: {text}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = TIMEOUT) -> None:
        """Wait until a JavaScript expression is true in the page: what a
        click sets off (a details element's toggle event, say) runs in a task
        of its own, after the click has returned."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise ChromiumError(f"timed out waiting for {what}")
            time.sleep(0.02)

    def click(self, selector: str) -> None:
        """Click the middle of the first element matching ``selector`` with the
        mouse, as a user would (scrolled into view first)."""
        box = self.evaluate(f"""(e => {{ if (!e) return null; e.scrollIntoView({{block: 'center'}});
            const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];
            }})(document.querySelector({json.dumps(selector)}))""")
        if box is None:
            raise ChromiumError(f"nothing to click: {selector}")
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def type_text(self, selector: str, text: str) -> None:
        """Click into the field matching ``selector`` and type ``text`` as
        keyboard input (each character an input event)."""
        self.click(selector)
        for ch in text:
            self.call("Input.insertText", {"text": ch})

    def emulate_media(self, media: str) -> None:
        """Apply the style sheets of ``media`` ("print", "screen"; "" for none)."""
        self.call("Emulation.setEmulatedMedia", {"media": media})

    def print_to_pdf(self) -> bytes:
        answer = self.call("Page.printToPDF", {"printBackground": False})
        return base64.b64decode(answer["data"])

    def close(self) -> None:
        self.browser.call("Target.closeTarget", {"targetId": self.target_id})
        self.browser.pages.pop(self.session_id, None)

    def record(self, method: str, params: dict[str, Any]) -> None:
        """Keep what an event of this page says."""
        self.events.append(method)
        if method == "Runtime.consoleAPICalled" and params["type"] in (
                "error", "warning", "assert"):
            self.console.append(f"{params['type']}: {_text_of(params.get('args', []))}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.exceptions.append(
                details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            self.log_errors.append(f"{entry.get('text', '')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            self.failed_requests.append(
                f"{params.get('errorText', '')} {params.get('blockedReason', '')}".strip())
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(f"{params.get('type')}: {params.get('message')}")
            self.browser.send("Page.handleJavaScriptDialog", {"accept": True}, self.session_id)

    def __enter__(self) -> Page:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.browser.process.poll() is None:
            self.close()


class Browser:
    """A headless Chromium with a fresh profile, driven over a pipe."""

    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int,
                 profile: Path) -> None:
        self.process = process
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.profile = profile
        self.buffer = b""
        self.next_id = 0
        self.answers: dict[int, dict[str, Any]] = {}
        self.pages: dict[str, Page] = {}

    @classmethod
    def launch(cls, executable: str | None = None) -> Browser:
        executable = executable or find_chromium()
        if executable is None:
            raise ChromiumError(INSTALL_HINT)
        profile = Path(tempfile.mkdtemp(prefix="esgcheck-chromium-"))
        child_in, to_browser = os.pipe()
        from_browser, child_out = os.pipe()

        def onto_3_and_4() -> None:
            # In the child: copy the pipe ends above 10 first, so neither copy
            # can overwrite the other, then onto the descriptors Chromium reads.
            high_in = fcntl.fcntl(child_in, fcntl.F_DUPFD, 10)
            high_out = fcntl.fcntl(child_out, fcntl.F_DUPFD, 10)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        # pipe() takes the lowest free descriptors, so 3 and 4 are open here
        # now; pass_fds keeps them open in the child across the closing of
        # every other descriptor, which happens after preexec_fn.
        with open(profile / "chromium.log", "wb") as log:
            process = subprocess.Popen(
                [executable, *FLAGS, f"--user-data-dir={profile / 'data'}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(3, 4),
                preexec_fn=onto_3_and_4)
        os.close(child_in)
        os.close(child_out)
        return cls(process, to_browser, from_browser, profile)

    # -- protocol
    def send(self, method: str, params: dict[str, Any] | None = None,
             session_id: str | None = None) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.to_browser, data):]
        return self.next_id

    def call(self, method: str, params: dict[str, Any] | None = None,
             session_id: str | None = None, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Send a command and return its result; a protocol error raises."""
        ident = self.send(method, params, session_id)
        self.wait(lambda: ident in self.answers, f"the answer to {method}", timeout)
        answer = self.answers.pop(ident)
        if "error" in answer:
            raise ChromiumError(f"{method}: {answer['error'].get('message')}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def wait(self, done: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
        """Read messages until ``done()``; past the deadline, raise."""
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChromiumError(f"no {what} within {timeout:.0f} s{self._log_tail()}")
            self._read(left)

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.from_browser], [], [], timeout)
        if not ready:
            return
        chunk = os.read(self.from_browser, 1 << 16)
        if not chunk:
            raise ChromiumError(f"Chromium closed the pipe{self._log_tail()}")
        self.buffer += chunk
        *messages, self.buffer = self.buffer.split(b"\0")
        for raw in messages:
            self._dispatch(json.loads(raw))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            self.answers[message["id"]] = message
            return
        page = self.pages.get(message.get("sessionId", ""))
        if page is not None:
            page.record(message["method"], message.get("params", {}))

    def _log_tail(self) -> str:
        try:
            tail = (self.profile / "chromium.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""
        return f"; Chromium's log ends:\n{tail}" if tail else ""

    # -- pages
    def open(self, url: str) -> Page:
        """A new tab with the page domains enabled, loaded with ``url``."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        self.pages[session] = page
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.navigate(url)
        return page

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.call("Browser.close", timeout=5)
        except (ChromiumError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        finally:
            os.close(self.to_browser)
            os.close(self.from_browser)
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

