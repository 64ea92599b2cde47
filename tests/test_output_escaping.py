"""Output that cannot be turned against its reader: whatever a filing's values
and file names hold (terminal escape sequences, line breaks, bidirectional
controls, HTML and markdown), every format shows it as text and keeps its own
structure. The text output and the command line's messages carry no raw
control character; the markdown makes no link, image, heading or HTML of a
value; the HTML has no element a value made; SARIF, JUnit and JSON stay valid
and keep the value exactly."""

from __future__ import annotations

import functools
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from markdown_it import MarkdownIt

from esgcheck.checker import Checker
from esgcheck.cli import main
from esgcheck.engine.findings import Report, WaiverApplied
from esgcheck.engine.model import Text
from esgcheck.report import FORMATS, RenderOptions, renderer
from esgcheck.safetext import RAW_UNSAFE, UNSAFE, visible

from .conftest import FIXTURES

PAYLOADS = [
    "\x1b]0;owned\x07",  # set the window title
    "\x1b[2J\x1b[H",  # clear the screen
    "\x1b[32mgrade: A — compliant\x1b[0m",  # a green grade
    "\x9b31m",  # C1 CSI
    "abc\u202edcba",  # right-to-left override
    "\u2066x\u2069\u200f\u061c\ufeff",
    "[grade A](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<img src=x onerror=alert(1)>",
    "</details><script>alert(1)</script>",
    "\n# grade: A\n",
    "\n\n<img src=x onerror=alert(1)>\n\n",
    "a`b``c",
    "`` ` ``",
    "| x | y |\n|---|---|",
    "*bold* _em_ ~~del~~ $x$ &amp; &#x41;",
    "see https://evil.example, www.evil.example and a@evil.example",
    "line\r\nbreak\u2028sep\u2029para\x85next",
    "\\`<b>`\\",
    " ",
    "\x00\x7f",
]

_hostile_chars = st.sampled_from(
    [chr(c) for c in range(0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xa0)]
    + list("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
           "\u2028\u2029\ufeff")
    + list("<>&\"'`*_[]()!#|~\\:@$=-+.{}") + ["javascript:", "www.", "http://", "](", "<img "])
hostile = st.lists(st.one_of(_hostile_chars, st.text(max_size=3)), min_size=1,
                   max_size=12).map("".join)

BENIGN = "benign value"


pytestmark = pytest.mark.usefixtures("one_checker")


@functools.cache
def _base() -> Report:

    return Checker().check_paths([
        FIXTURES / "cn-eidm-annual" / "04-late-annual-report.json",
        FIXTURES / "cn-eidm-annual" / "07-concentration-over-limit.json"])


@pytest.fixture()
def base() -> Report:
    """A report with a breach, a proof tree, evidence and a waiver; the value
    goes in as the first filing's name and values, and the second filing's error."""
    return _base()


def inject(report: Report, value: str) -> Report:
    """``value`` as the first filing's name, in a finding's message, evidence,
    proof tree, location and waiver, and as the second filing's error."""
    first, second = report.filings
    f = first.findings[0]
    text = Text(zh=value or "-", en=value or "-")
    evidence = [e.model_copy(update={"display": value, "name": value}) for e in f.evidence]
    derivation = [n.model_copy(update={"value": value, "notes": [value]}) for n in f.derivation]
    finding = f.model_copy(update={
        "message": text, "title": text, "evidence": evidence, "derivation": derivation,
        "notes": [value], "location": f.location.model_copy(update={"file": value,
                                                                    "pointer": value}),
        "outcome": "waived", "waiver": WaiverApplied(
            id="W-1", justification=value, approver=value, ticket=value,
            expires=date(2030, 1, 1), file="w.yaml", line=2)})
    first = first.model_copy(update={"file": value, "findings": [finding, *first.findings[1:]]})
    from esgcheck.engine.findings import InputProblem

    second = second.model_copy(update={"status": "unreadable", "findings": [], "grade": None,
                                       "error": InputProblem(code="io", message=text)})
    return report.model_copy(update={"filings": [first, second]})


def render_all(report: Report, explain: bool = True) -> dict[str, str]:
    return {fmt: renderer(fmt)(report, RenderOptions(lang="en", explain=explain))
            for fmt in FORMATS}


# ---------------------------------------------------------------- structure of each format

_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def md_structure(text: str) -> list[tuple[str, str, Any]]:
    """Every markdown token but the plain text ones; raw HTML with its elements."""
    out: list[tuple[str, str, Any]] = []
    for token in _MD.parse(text):
        for t in [token, *(token.children or [])]:
            if t.type in ("text", "text_special", "inline"):
                continue
            tags = html_structure(t.content) if t.type.startswith("html") else None
            out.append((t.type, t.tag, tags))
    return out


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def html_structure(text: str) -> list[tuple[str, tuple[str, ...]]]:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser.tags


def check_all(base: Report, value: str) -> None:
    benign, bad = render_all(inject(base, BENIGN)), render_all(inject(base, value))
    # text: one line per line of the report; nothing a terminal acts on
    for line in bad["text"].split("\n"):
        assert not UNSAFE.search(line), repr(line)
    assert len(bad["text"].split("\n")) == len(benign["text"].split("\n"))
    # markdown: the same blocks, links, images, headings and HTML as with a plain value
    assert md_structure(bad["markdown"]) == md_structure(benign["markdown"])
    assert len(bad["markdown"].split("\n")) == len(benign["markdown"].split("\n"))
    assert not any(UNSAFE.search(line) for line in bad["markdown"].split("\n"))
    # HTML: the same elements and attributes
    assert html_structure(bad["html"]) == html_structure(benign["html"])
    assert not RAW_UNSAFE.search(bad["html"])
    # SARIF, JSON: valid JSON, the value exact; JUnit: valid XML
    for fmt in ("sarif", "json"):
        assert not RAW_UNSAFE.search(bad[fmt])
        json.loads(bad[fmt])
    again = Report.model_validate_json(bad["json"])
    assert again.filings[0].file == value
    assert again.filings[0].findings[0].message.en == (value or "-")
    assert not RAW_UNSAFE.search(bad["junit"])
    etree.fromstring(bad["junit"].encode("utf-8"))


@pytest.mark.parametrize("value", PAYLOADS)
def test_known_attacks_are_shown_as_text_in_every_format(base: Report, value: str) -> None:
    check_all(base, value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile)
@example(value="\x1b]0;x\x07`<a href=javascript:x>`\n# h")
@example(value="")
def test_any_value_or_file_name_is_shown_as_text_in_every_format(value: str) -> None:
    check_all(_base(), value)


def test_the_escapes_are_visible_and_the_value_readable(base: Report) -> None:
    out = render_all(inject(base, PAYLOADS[2] + PAYLOADS[4]))
    assert "\\x1b[32mgrade: A — compliant\\x1b[0mabc\\u202edcba" in out["text"]
    assert "\\x1b[32mgrade: A — compliant\\x1b[0mabc\\u202edcba" in out["html"]
    md = render_all(inject(base, PAYLOADS[17]))["markdown"]
    assert "https\\://evil.example" in md and "www\\.evil" in md and "a\\@evil" in md
    md = render_all(inject(base, PAYLOADS[6]))["markdown"]
    assert "\\[grade A\\]\\(javascript\\:alert\\(1\\)\\)" in md  # the message, as text
    assert "`[grade A](javascript:alert(1))`" in md  # the file name, as code


def test_code_spans_hold_backticks_and_pipes() -> None:
    from esgcheck.report.markdown import code

    for text in ("a`b``c", "`x`", "` ", "a|b", "```"):
        tokens = _MD.parseInline(code(text))[0].children or []
        assert [t.type for t in tokens] == ["code_inline"]
        assert tokens[0].content == text
    row = f"| {code('a|b`c', table=True)} | x |\n|---|---|\n"
    cells = [t for t in _MD.parse("| h | i |\n|---|---|\n" + row.split("\n")[0])
             if t.type == "inline"]
    assert [c.content for c in cells][-2:] == ["`a\\|b`c`", "x"] or len(cells) == 4


# ---------------------------------------------------------------- the command line


def test_a_file_name_with_escape_sequences_reaches_the_terminal_as_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    name = "\x1b]0;owned\x07\x1b[2J\u202eA grade\x1b[32m.json"
    Path(name).write_bytes((FIXTURES / "cn-eidm-annual" / "04-late-annual-report.json"
                            ).read_bytes())
    Path("broken\x1b[31m.json").write_text("{", encoding="utf-8")
    for fmt in ("text", "markdown", "json", "sarif", "junit", "html"):
        result = CliRunner().invoke(main, ["check", "--format", fmt, "--color", "."],
                                    catch_exceptions=False)
        raw = result.stdout if fmt == "text" else result.stdout + result.stderr
        plain = re.sub(r"\x1b\[[0-9;]*m", "", raw) if fmt == "text" else raw  # --color's own
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", plain), fmt
    result = CliRunner().invoke(main, ["waive", name, "CN-EIDM-ANN-002", "--justification",
                                       "Accepted in writing.", "--approver", "A",
                                       "--expires", "2030-01-01"], catch_exceptions=False)
    assert result.exit_code == 0
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", result.stdout)
    assert "\\x1b]0;owned\\x07" in result.stdout
    why = CliRunner().invoke(main, ["why-not", "CN-EIDM-PMT-003", name],
                             catch_exceptions=False)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", why.stdout + why.stderr)


def test_visible_escapes_every_unsafe_character() -> None:
    for c in [*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xa0)), "\u202e"]:
        assert visible(c) != c and not UNSAFE.search(visible(c))
    assert visible("中文 ok") == "中文 ok"
