"""Markdown for a batch fits where it is posted: a GitHub pull-request comment
(65,536 characters) or a step summary (1 MiB), and says what it left out."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from esgcheck.checker import Checker
from esgcheck.cli import main
from esgcheck.engine import grading
from esgcheck.engine.findings import Report
from esgcheck.report import RenderOptions, markdown

from .conftest import FIXTURES

COMMENT, STEP_SUMMARY = 65536, 1048576
CUT = {"en": re.compile(r"Cut to fit (\d+) characters\*\* \(counted as UTF-8 bytes\): (\d+) of "
                        r"(\d+) failed or unusable filings listed, (\d+) of them with their "
                        r"findings; (\d+) filings that passed are not listed and (\d+) findings"),
       "zh": re.compile(r"报告已截短，以不超过 (\d+) 个字符\*\*（按 UTF-8 字节计）：列出 (\d+) 个"
                        r"未通过或无法使用的文件中的 (\d+) 个，其中 (\d+) 个附问题明细；另有 "
                        r"(\d+) 个通过的文件未列出，(\d+) 条问题未显示")}


@pytest.fixture(scope="module")
def batch(checker: Checker, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """2,000 filings: the cn-eidm-annual samples (JSON and XML) over and over,
    each under its own name, and one that is not JSON."""
    folder = tmp_path_factory.mktemp("batch")
    samples = sorted(p for p in (FIXTURES / "cn-eidm-annual").iterdir()
                     if p.suffix in (".json", ".xml"))
    for n in range(1999):
        sample = samples[n % len(samples)]
        shutil.copy(sample, folder / f"{n:04d}-{sample.name}")
    (folder / "1999-broken.json").write_text("{", encoding="utf-8")
    return checker.check_paths([folder], jobs=2)


def notice(text: str, lang: str) -> dict[str, int]:
    found = CUT[lang].search(text)
    assert found, text[:2000]
    if lang == "en":
        limit, shown, failed, detailed, passed, left = map(int, found.groups())
    else:
        limit, failed, shown, detailed, passed, left = map(int, found.groups())
    return {"limit": limit, "shown": shown, "failed": failed, "detailed": detailed,
            "passed": passed, "left": left}


def section(text: str, heading: str) -> list[str]:
    """The table rows under a heading (not its head and rule)."""
    lines = text.split("\n")
    start = lines.index(heading)
    rows = []
    for line in lines[start + 4:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("limit", [COMMENT, STEP_SUMMARY])
def test_a_2000_filing_batch_fits_and_names_what_was_cut(batch: Report, lang: str,
                                                         limit: int) -> None:
    options = RenderOptions(lang=lang, max_chars=limit)
    whole = markdown.render(batch, RenderOptions(lang=lang, max_chars=10**9))
    assert len(whole.encode()) > STEP_SUMMARY  # too long for either place
    text = markdown.render(batch, options)
    assert len(text.encode("utf-8")) <= limit
    assert len(text) <= limit and len(text.encode("utf-16-le")) // 2 <= limit
    assert len(text.encode("utf-8")) > limit * 0.9  # the room is used
    # the verdict and counts come first, as in the whole report
    assert text.split("\n")[:3] == whole.split("\n")[:3]
    said = notice(text, lang)
    failed = [r for r in batch.filings
              if r.status != "checked" or grading.fails(r, "major", True)]
    assert said["limit"] == limit
    assert said["failed"] == len(failed) and said["passed"] == len(batch.filings) - len(failed)
    # the table lists as many failed filings as the notice says, worst first:
    # the unreadable file, then those with a critical breach
    heading = "#### " + ("未通过的文件" if lang == "zh" else "Failed filings")
    rows = section(text, heading)
    assert len(rows) == said["shown"] > 0
    assert "1999-broken.json" in rows[0]
    by_name = {f"`{r.file}`": r for r in failed}
    shown = [by_name[row.split(" | ")[0].removeprefix("| ")] for row in rows]
    assert [r.counts.critical > 0 for r in shown[1:]] == sorted(
        (r.counts.critical > 0 for r in shown[1:]), reverse=True)
    # the findings left out are counted
    detailed = shown[:said["detailed"]]
    total = sum(len(r.findings) for r in batch.filings)
    assert said["left"] == total - sum(len(r.findings) for r in detailed)
    # the rules that fired most, by filings
    rules = section(text, "#### " + ("触发最多的规则" if lang == "zh" else "Rules that fired most"))
    counts = [int(row.split("|")[4]) for row in rules]
    assert len(rules) == 10 and counts == sorted(counts, reverse=True)
    assert "`--format json`" in text and "`--markdown-limit`" in text
    if limit == STEP_SUMMARY:
        assert said["shown"] == len(failed)  # a step summary lists every failed filing
        assert said["detailed"] > 0
    # the cut report is still one well-formed document: its tables are tables
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    assert sum(t.type == "table_open" for t in tokens) == 2
    assert text.endswith("</sub>\n")


def test_a_report_within_the_limit_is_not_cut(batch: Report) -> None:
    small = batch.model_copy(update={"filings": batch.filings[:20]})
    text = markdown.render(small, RenderOptions())
    assert "Cut to fit" not in text and len(text.encode()) <= COMMENT
    assert all(f"`{r.file}`" in text for r in small.filings)


def test_the_command_line_bounds_a_batch_for_a_comment_and_a_step_summary(
        batch: Report, tmp_path: Path) -> None:
    saved = tmp_path / "report.json"
    saved.write_text(batch.model_dump_json(), encoding="utf-8")
    for limit in (None, STEP_SUMMARY):
        args = ["render", "--format", "markdown", str(saved)]
        if limit is not None:
            args += ["--markdown-limit", str(limit)]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0
        assert len(result.stdout.encode()) <= (limit or COMMENT)
        assert notice(result.stdout, "en")["limit"] == (limit or COMMENT)
