"""The HTML report, opened in real headless Chromium: it loads nothing but
itself, logs no error, shows the grade and labels in the report's language,
charts and lists every finding, prints with its proof trees expanded, and
shows hostile filing text as text. One browser serves the whole module."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from esgcheck.checker import Checker
from esgcheck.checkerparts import make_report
from esgcheck.engine import grading
from esgcheck.engine.findings import (
    BaselineEntry,
    BaselineUsed,
    FilingReport,
    Finding,
    Report,
    WaiverApplied,
    WaiverStatus,
    WaiversUsed,
)
from esgcheck.engine.model import Text
from esgcheck.messages import MESSAGES, message
from esgcheck.report import RenderOptions, renderer
from esgcheck.report.html import GROUPS, LABELS, key_of, render

from .chromium import INSTALL_HINT, Browser, Page, find_chromium
from .conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # the benchmark's filing generator

ANNUAL = FIXTURES / "cn-eidm-annual"
LATE = ANNUAL / "04-late-annual-report.json"
PWN = "<script>window.__pwned = 1; alert('pwned')</script>"
PWN_ATTR = '"><img src=x onerror="window.__pwned = 2">'

KEYS = ("critical", "major", "minor", "info", "not_assessable", "waived")

# JavaScript run in the page; each gives a JSON value.
CHART_JS = """[...document.querySelectorAll('section.filing')].map(s => {
  const svg = s.querySelector('svg.chart');
  if (!svg) return null;
  return {role: svg.getAttribute('role'), label: svg.getAttribute('aria-label'),
          legend: svg.querySelectorAll('.legend-item').length,
          untitled: [...svg.querySelectorAll('rect.seg')].filter(
            r => !r.querySelector('title')).length,
          bars: [...svg.querySelectorAll('g.bar')].map(g => [g.dataset.section,
            Object.fromEntries([...g.querySelectorAll('rect.seg')].map(
              r => [r.dataset.key, Number(r.dataset.count)]))])};
})"""
CHART_ONE_JS = """(svg => ({role: svg.getAttribute('role'), label: svg.getAttribute('aria-label'),
  untitled: [...svg.querySelectorAll('rect.seg')].filter(r => !r.querySelector('title')).length,
  bars: [...svg.querySelectorAll('g.bar')].map(g => [g.dataset.section,
    Object.fromEntries([...g.querySelectorAll('rect.seg')].map(
      r => [r.dataset.key, Number(r.dataset.count)]))])}))(document.querySelector('SEL'))"""
SHOWN_JS = """(sel => [...document.querySelectorAll(sel)].map(
  e => getComputedStyle(e).display !== 'none' && e.checkVisibility()
       && e.getBoundingClientRect().height > 0))"""


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with Browser.launch(executable) as b:
        yield b


@pytest.fixture(scope="module")
def late(checker: Checker) -> Report:
    return checker.check_paths([LATE])


def write(tmp_path: Path, report: Report, name: str = "report.html", lang: str = "en",
          explain: bool = False) -> Path:
    path = tmp_path / name
    path.write_text(render(report, RenderOptions(lang=lang, explain=explain)), encoding="utf-8")
    return path


def open_clean(browser: Browser, path: Path) -> Page:
    """The page, after checking that it loaded only itself and complained of nothing."""
    page = browser.open(path.as_uri())
    assert page.problems() == []
    assert page.requests == [path.as_uri()]
    return page


def expected_grade(path: Path) -> str:
    expected = yaml.safe_load((path.parent / "expected.yaml").read_text(encoding="utf-8"))
    grade: str = expected[path.stem]["grade"]
    return grade


def chart_expected(filing: FilingReport) -> dict[str, dict[str, int]]:
    """Per section, the count of each charted kind: severities of breaches and not
    assessable; waived findings are not charted."""
    out: dict[str, dict[str, int]] = {}
    for f in filing.findings:
        if f.outcome == "waived":
            continue
        kind = f.severity if f.outcome == "breach" else "not_assessable"
        counts = out.setdefault(f.section or "—", {})
        counts[kind] = counts.get(kind, 0) + 1
    return out


def recount(filing: FilingReport, findings: list[Finding]) -> FilingReport:
    return filing.model_copy(update={"findings": findings,
                                     "counts": grading.count(findings)})


def hostile(report: Report) -> Report:
    """The report with attacker-chosen text wherever a filing supplies it."""
    filing = report.filings[0]
    f = filing.findings[0]
    evidence = [e.model_copy(update={"display": PWN, "name": PWN_ATTR}) for e in f.evidence]
    f = f.model_copy(update={
        "message": Text(zh=PWN, en=PWN), "title": Text(zh=PWN, en=PWN),
        "section": PWN_ATTR, "notes": [PWN], "evidence": evidence,
        "location": f.location.model_copy(update={"file": PWN, "pointer": PWN_ATTR})})
    rules = [r.model_copy(update={"url": "javascript:window.__pwned = 3"}) for r in report.rules]
    return report.model_copy(update={"rules": rules, "filings": [recount(
        filing.model_copy(update={"file": f"{PWN}.json"}), [f, *filing.findings[1:]])]})


def with_waivers_and_baseline(report: Report) -> Report:
    """Report 03 with its breach waived, a waivers file with an expired and an
    unused entry besides, and a baseline that knew three findings, two now fixed."""
    filing = next(r for r in report.filings if r.file.endswith("03-audit-block-missing.json"))
    waiver = WaiverApplied(id="W-1", justification="Audit deferred by the regulator",
                           approver="张三", ticket="ESG-42", expires=date(2025, 1, 31),
                           file="waivers.yaml", line=3)
    findings = [f.model_copy(update={"outcome": "waived", "waiver": waiver})
                if f.rule_id == "CN-EIDM-ANN-005" else f for f in filing.findings]

    def entry(ident: str, status: str) -> WaiverStatus:
        return WaiverStatus.model_validate({
            "id": ident, "rule": "CN-EIDM-ANN-002", "filings": "*.json", "path": None,
            "justification": f"entry {ident}", "approver": "李四", "expires": "2024-01-01",
            "line": 9, "status": status, "matched": 0})

    waivers = WaiversUsed(file="waivers.yaml", sha256="ab" * 32, today=date(2024, 6, 1),
                          entries=[entry("W-1", "applied"), entry("W-2", "expired"),
                                   entry("W-3", "unused")])
    fixed = [BaselineEntry(rule_id=rule, file=filing.file, fingerprint="0" * 32,
                           pointer="/x", severity="major") for rule in ("R-1", "R-2")]
    baseline = BaselineUsed(file="baseline.json", sha256="cd" * 32, known=3, fixed=fixed)
    filing = recount(filing, findings).model_copy(update={"baselined": 3})
    return make_report([filing], configuration=report.configuration,
                       rules=report.rules).model_copy(
        update={"waivers": waivers, "baseline": baseline})


# ---------------------------------------------------------------- tests

def test_opens_clean_and_shows_the_grade(browser: Browser, tmp_path: Path,
                                         late: Report) -> None:
    grade = expected_grade(LATE)
    filing = late.filings[0]
    assert filing.grade == grade != "A"
    with open_clean(browser, write(tmp_path, late)) as page:
        badges = page.evaluate("[...document.querySelectorAll('.grade')].map(g => "
                               "[g.dataset.grade, g.querySelector('.grade-letter').textContent,"
                               " g.querySelector('.grade-label').textContent])")
        assert badges == [[grade, grade, filing.grade_label.en if filing.grade_label else ""]]
        csp = page.evaluate("document.querySelector('meta[http-equiv="
                            "\"Content-Security-Policy\"]').content")
        assert "default-src 'none'" in csp
        assert page.evaluate("document.characterSet") == "UTF-8"
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate("document.querySelectorAll('.finding').length") == len(
            filing.findings)


@pytest.mark.parametrize(("lang", "index", "html_lang"), [("zh", 0, "zh-CN"), ("en", 1, "en")])
def test_labels_follow_the_language(browser: Browser, tmp_path: Path, late: Report,
                                    lang: str, index: int, html_lang: str) -> None:
    filing = late.filings[0]
    assert filing.grade_label is not None
    with open_clean(browser, write(tmp_path, late, lang=lang)) as page:
        assert page.evaluate("document.documentElement.lang") == html_lang
        assert page.evaluate("document.querySelector('h1').textContent") == \
            LABELS["title"][index]
        assert page.evaluate("document.querySelector('.grade-label').textContent") == \
            filing.grade_label.get(lang)
        groups = page.evaluate("[...document.querySelectorAll('h4.group .badge')]"
                               ".map(b => b.textContent)")
        assert groups == [MESSAGES[key][index] for key in ("major", "info")]
        assert page.evaluate("document.querySelector('.finding .message').textContent") == \
            filing.findings[0].message.get(lang)
        other = LABELS["section_grades"][1 - index]
        assert page.evaluate(f"document.body.textContent.includes({other!r})") is False


def test_chart_has_a_bar_per_section_with_findings(browser: Browser, tmp_path: Path,
                                                   annual_samples: Report) -> None:
    """A batch charts all its findings once, in its summary; one filing's page
    charts that filing's."""
    with open_clean(browser, write(tmp_path, annual_samples)) as page:
        charts: list[dict[str, Any] | None] = page.evaluate(CHART_JS)
        batch = page.evaluate(CHART_ONE_JS.replace("SEL", "#summary svg.chart"))
    assert charts == [None] * len(annual_samples.filings)
    total: dict[str, dict[str, int]] = {}
    for filing in annual_samples.filings:
        for section, counts in chart_expected(filing).items():
            for kind, n in counts.items():
                total.setdefault(section, {})[kind] = total.get(section, {}).get(kind, 0) + n
    assert batch["role"] == "img" and batch["label"] and batch["untitled"] == 0
    assert dict(batch["bars"]) == total and len(batch["bars"]) == len(total)
    shown = 0
    for filing in annual_samples.filings:
        expected = chart_expected(filing)
        if not expected or shown == 3:
            continue
        shown += 1
        one = make_report([filing], configuration=annual_samples.configuration,
                          rules=annual_samples.rules)
        with open_clean(browser, write(tmp_path, one, name=f"one-{shown}.html")) as page:
            chart = page.evaluate(CHART_JS)[0]
        assert chart is not None
        assert chart["role"] == "img" and chart["label"]
        assert chart["legend"] == 5 and chart["untitled"] == 0
        assert dict(chart["bars"]) == expected, filing.file
        assert len(chart["bars"]) == len(expected)
    assert shown == 3


def test_every_finding_is_rendered(browser: Browser, tmp_path: Path,
                                   annual_samples: Report) -> None:
    with open_clean(browser, write(tmp_path, annual_samples)) as page:
        per_filing = page.evaluate(
            "[...document.querySelectorAll('section.filing')].map(s => "
            "[...s.querySelectorAll('.finding')].map(f => [f.dataset.rule, f.dataset.key]))")
        absent = page.evaluate("document.querySelectorAll('.finding .loc-absent').length")
    assert sum(map(len, per_filing)) == sum(len(r.findings) for r in annual_samples.filings)
    for filing, shown in zip(annual_samples.filings, per_filing, strict=True):
        kinds = [[f.rule_id, f.severity if f.outcome == "breach" else f.outcome]
                 for f in filing.findings]
        assert sorted(shown) == sorted(kinds), filing.file
    assert absent == sum(not f.location.exists
                         for r in annual_samples.filings for f in r.findings) > 0


def test_print_expands_proof_trees_and_hides_screen_parts(browser: Browser, tmp_path: Path,
                                                          annual_samples: Report) -> None:
    with open_clean(browser, write(tmp_path, annual_samples)) as page:
        assert page.evaluate("document.querySelectorAll('details.proof[open]').length") == 0
        proofs = page.evaluate("document.querySelectorAll('details.proof').length")
        assert proofs > 0 and page.evaluate("document.querySelectorAll('ul.proof').length") == 0
        assert all(page.evaluate(f"{SHOWN_JS}('.screen-only')"))
        assert page.print_to_pdf().startswith(b"%PDF-")  # printing draws every proof tree
        assert page.evaluate("document.querySelectorAll('details.proof > ul.proof').length") \
            == proofs
        on_screen = page.evaluate(f"{SHOWN_JS}('ul.proof')")
        assert on_screen and not any(on_screen)
        page.emulate_media("print")
        assert all(page.evaluate(f"{SHOWN_JS}('ul.proof')"))
        hidden = page.evaluate("[...document.querySelectorAll('.screen-only')]"
                               ".map(e => getComputedStyle(e).display)")
        assert hidden and set(hidden) == {"none"}
        style = page.evaluate("(s => [s.color, s.backgroundColor])"
                              "(getComputedStyle(document.body))")
        assert style == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
        breaks = page.evaluate("[...document.querySelectorAll('section.filing')]"
                               ".map(s => getComputedStyle(s).breakBefore)")
        assert set(breaks) == {"page"}
        assert page.print_to_pdf().startswith(b"%PDF-")
        assert page.problems() == []


def test_hostile_text_is_shown_as_text(browser: Browser, tmp_path: Path, late: Report) -> None:
    report = hostile(late)
    text = render(report, RenderOptions(lang="en", explain=True))
    assert "<script" not in text and "<img" not in text and "javascript:" not in text
    with open_clean(browser, write(tmp_path, report, explain=True)) as page:
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate("document.images.length") == 0
        assert page.evaluate("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
        shown = page.evaluate(f"""[...document.querySelectorAll('.finding')]
          .filter(f => f.querySelector('.message').textContent === {json.dumps(PWN)})
          .map(f => [f.dataset.section, f.querySelector('.finding-title').textContent,
                     [...f.querySelectorAll('table.evidence tr td:first-child')]
                       .map(td => td.textContent),
                     [...f.querySelectorAll('table.evidence tr td:nth-child(2)')]
                       .map(td => td.textContent)])""")
        assert len(shown) == 1
        section, title, names, values = shown[0]
        assert section == PWN_ATTR and title == PWN
        assert names and all(name.endswith(PWN_ATTR) for name in names)
        assert values == [PWN] * len(values)
        bars = page.evaluate("[...document.querySelectorAll('g.bar')].map(g => g.dataset.section)")
        assert PWN_ATTR in bars
        assert page.evaluate("document.title").endswith(f"{PWN}.json")
        assert page.dialogs == []


def test_summary_table_has_a_row_per_filing(browser: Browser, tmp_path: Path, checker: Checker,
                                            annual_samples: Report) -> None:
    broken = checker.check_bytes(b'{"filing_type": ', "broken.json")
    assert broken.status == "unreadable" and broken.error is not None
    filings = [*annual_samples.filings, broken]
    report = make_report(filings, configuration=annual_samples.configuration,
                         rules=annual_samples.rules)
    with open_clean(browser, write(tmp_path, report)) as page:
        rows = page.evaluate(
            "[...document.querySelectorAll('table.summary-table tbody tr')].map(tr => "
            "[tr.querySelector('a').textContent, tr.dataset.status || 'checked',"
            " !!document.querySelector(tr.querySelector('a').getAttribute('href'))])")
        error = page.evaluate("document.querySelector('section.filing[data-status=unreadable]"
                              " .problem').textContent")
        summary = page.evaluate("document.querySelector('#summary > dl').textContent")
    assert rows == [[r.file, r.status, True] for r in filings]
    assert broken.error.message.en in error
    if broken.error.location is not None:
        assert broken.error.location.file in error
    assert f"files{len(filings)}" in summary and "unreadable1" in summary


def test_waivers_and_baseline_are_listed(browser: Browser, tmp_path: Path,
                                         annual_samples: Report) -> None:
    report = with_waivers_and_baseline(annual_samples)
    with open_clean(browser, write(tmp_path, report, lang="zh")) as page:
        waived = page.evaluate("document.querySelector('.finding[data-key=waived]"
                               " .waiver').textContent")
        open_entries = page.evaluate("[...document.querySelectorAll('#waivers tbody tr')]"
                                     ".map(tr => tr.dataset.status)")
        applied = page.evaluate("document.querySelector('#waivers .waivers-applied').textContent")
        fixed = page.evaluate("document.querySelectorAll('#baseline tbody tr').length")
        known = page.evaluate("document.querySelector('#baseline .baseline-known').textContent")
        header = page.evaluate("document.querySelector('#run').textContent")
        baselined = page.evaluate("document.querySelector('.filing .baselined').textContent")
    for part in ("Audit deferred by the regulator", "张三", "ESG-42", "2025-01-31", "W-1"):
        assert part in waived
    assert open_entries == ["expired", "unused"]
    assert applied.endswith("1")
    assert fixed == 2 and known.endswith("3")
    assert baselined == message("baselined", "zh", n=3)
    assert "waivers.yaml" in header and "baseline.json" in header and "ab" * 32 in header


def test_rendering_is_deterministic(annual_samples: Report) -> None:
    options = RenderOptions(lang="zh")
    first = render(annual_samples, options)
    assert render(annual_samples, options) == first
    assert render(Report.model_validate_json(annual_samples.model_dump_json()), options) == first
    assert renderer("html") is render
    explained = render(annual_samples, RenderOptions(lang="zh", explain=True))
    assert explained.count('<details class="proof" open>') == first.count('<details class="proof"')
    assert explained.count('<details class="proof" open>') > 0


def test_page_addresses_the_network_only_in_links(late: Report) -> None:
    text = render(late, RenderOptions())
    addresses = re.findall(r'([\w-]+)="(https?://[^"]*)"', text)
    assert addresses and all(attr in ("href", "xmlns") for attr, _ in addresses)
    assert re.findall(r"url\(|@import|src=", text) == []


def test_every_label_has_both_languages() -> None:
    for key, (zh, en) in LABELS.items():
        assert zh.strip() and en.strip(), key
        assert re.findall(r"\{\w+\}", zh) == re.findall(r"\{\w+\}", en), key


# ---------------------------------------------------------------- what comes first, and where

RANKS = {key: i for i, key in enumerate(GROUPS)}


def test_grade_and_counts_come_before_the_findings(browser: Browser, tmp_path: Path,
                                                   late: Report) -> None:
    with open_clean(browser, write(tmp_path, late)) as page:
        order = page.evaluate("""(() => {
          const first = document.querySelector('.finding');
          const before = e => !!(e.compareDocumentPosition(first)
                                 & Node.DOCUMENT_POSITION_FOLLOWING);
          const grade = document.querySelector('.grade');
          const counts = document.querySelector('ul.counts');
          return [before(grade), before(counts), before(document.querySelector('#run')),
                  grade.getBoundingClientRect().bottom < innerHeight,
                  counts.getBoundingClientRect().bottom < innerHeight];
        })()""")
        counts = page.evaluate("[...document.querySelector('ul.counts').children].map("
                               "li => [li.dataset.key, Number(li.textContent.split(' ').pop())])")
    assert order == [True, True, False, True, True]
    assert dict(counts) == late.filings[0].counts.model_dump()


@pytest.mark.parametrize("batch", [True, False])
def test_findings_are_listed_worst_first(browser: Browser, tmp_path: Path,
                                         annual_samples: Report, batch: bool) -> None:
    filings = annual_samples.filings
    reports = [annual_samples] if batch else [
        make_report([r], configuration=annual_samples.configuration, rules=annual_samples.rules)
        for r in filings if len({f.outcome + f.severity for f in r.findings}) > 2]
    assert reports
    seen = 0
    for n, report in enumerate(reports):
        with open_clean(browser, write(tmp_path, report, name=f"{n}.html")) as page:
            shown = page.evaluate("[...document.querySelectorAll('section.filing')].map(s => "
                                  "[...s.querySelectorAll('.finding')].map(f => f.dataset.key))")
        for filing, keys in zip(report.filings, shown, strict=True):
            assert [RANKS[k] for k in keys] == sorted(RANKS[k] for k in keys), filing.file
            assert sorted(keys) == sorted(key_of(f) for f in filing.findings)
            seen += len(set(keys)) > 1
    assert seen


def bundled_section_names(lang: str) -> dict[str, str]:
    meta = yaml.safe_load((ROOT / "esgcheck/rules/cn-eidm/rulebase.yaml").read_text("utf-8"))
    return {s["id"]: s["title"][lang] for s in meta["sections"]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_section_names_follow_the_language(browser: Browser, tmp_path: Path,
                                           annual_samples: Report, lang: str) -> None:
    names = bundled_section_names(lang)
    with open_clean(browser, write(tmp_path, annual_samples, lang=lang)) as page:
        shown = page.evaluate("[...document.querySelectorAll('.finding')].map(f => "
                              "[f.dataset.section, f.querySelector('.section-name').textContent])")
        bars = page.evaluate("[...document.querySelectorAll('#summary g.bar')].map(g => "
                             "[g.dataset.section, g.querySelector('text').textContent])")
    assert shown and all(name == names[section] for section, name in shown)
    assert bars and all(names[section].startswith(label.rstrip("…")) for section, label in bars)
    if lang == "zh":
        assert all(re.search("[\u4e00-\u9fff]", name) for _, name in shown)


def test_configuration_is_collapsed_and_only_for_the_rule_bases_used(
        browser: Browser, tmp_path: Path, late: Report) -> None:
    configured = {c.rulebase for c in late.configuration if c.values or c.data}
    used = {rb.id for rb in late.filings[0].rulebases if rb.ran != "none"}
    assert used < configured  # the run loaded rule bases this filing did not use
    with open_clean(browser, write(tmp_path, late, explain=True)) as page:
        state = page.evaluate("[...document.querySelectorAll('details.config')]"
                              ".map(d => [d.open, d.closest('#run') !== null])")
        listed = page.evaluate("[...document.querySelectorAll('details.config h4')]"
                               ".map(h => h.dataset.rulebase)")
        hidden = page.evaluate(f"{SHOWN_JS}('details.config table')")
    assert state == [[False, True]]
    assert set(listed) == used
    assert hidden and not any(hidden)


def test_citations_link_to_their_instrument(browser: Browser, tmp_path: Path,
                                            annual_samples: Report) -> None:
    urls = {r.id: r.url for r in annual_samples.rules}
    one = make_report([annual_samples.filings[0]], configuration=annual_samples.configuration,
                      rules=annual_samples.rules)
    for name, report, rows, link in (("one.html", one, ".finding", "dl a[href]"),
                                     ("all.html", annual_samples, "table.rules-table tr[id]",
                                      ".cite a[href]")):
        with open_clean(browser, write(tmp_path, report, name=name)) as page:
            links = page.evaluate(f"[...document.querySelectorAll({rows!r})].map(e => "
                                  f"[e.dataset.rule, (e.querySelector({link!r}) || {{}}).href"
                                  " || null])")
        assert links
        for rule, href in links:
            assert href == urls[rule], rule
    assert any(urls.values()) and not all(urls.values())  # some instruments have no address


# ---------------------------------------------------------------- a batch

SUMMARY_ROWS_JS = """[...document.querySelectorAll('table.summary-table tbody tr')]
  .filter(tr => !tr.hidden).map(tr => [...tr.cells].map(td => td.textContent))"""
TOTALS_JS = """[...document.querySelector('table.summary-table tfoot tr').cells]
  .slice(4).map(td => Number(td.textContent))"""


def test_the_summary_table_sorts_and_filters_by_clicking_and_typing(
        browser: Browser, tmp_path: Path, annual_samples: Report) -> None:
    filings = annual_samples.filings
    ranks = {g: i for i, g in enumerate("DCNBA")}
    with open_clean(browser, write(tmp_path, annual_samples)) as page:
        assert page.evaluate(TOTALS_JS) == [getattr(annual_samples.summary.counts, k)
                                            for k in KEYS]
        page.click("table.summary-table thead th:nth-child(4) button")
        by_grade = page.evaluate(SUMMARY_ROWS_JS)
        page.click("table.summary-table thead th:nth-child(4) button")
        by_grade_down = page.evaluate(SUMMARY_ROWS_JS)
        page.click("table.summary-table thead th:nth-child(6) button")  # major
        page.click("table.summary-table thead th:nth-child(6) button")
        by_major = page.evaluate(SUMMARY_ROWS_JS)
        sort_state = page.evaluate("[...document.querySelectorAll('th[aria-sort]')]"
                                   ".map(th => th.getAttribute('aria-sort'))")
        page.type_text("#filter", "late")
        filtered = page.evaluate(SUMMARY_ROWS_JS)
        totals = page.evaluate(TOTALS_JS)
        shown = page.evaluate("document.querySelector('#shown').textContent")
        page.evaluate("(s => { s.value = 'D'; s.dispatchEvent(new Event('change')); })"
                      "(document.querySelector('#grade-filter'))")
        grade_d = page.evaluate(SUMMARY_ROWS_JS)
        assert page.problems() == [] and len(page.requests) == 1
    grades = [ranks[row[3]] for row in by_grade]
    assert grades == sorted(grades) and grades[0] < grades[-1]
    assert [ranks[row[3]] for row in by_grade_down] == sorted(grades, reverse=True)
    majors = [int(row[5]) for row in by_major]
    assert majors == sorted(majors, reverse=True) and majors[0] > 0
    assert sort_state == ["descending"]
    late = [r for r in filings if "late" in r.file.lower()]
    assert late and sorted(row[1] for row in filtered) == sorted(r.file for r in late)
    assert totals == [sum(getattr(r.counts, k) for r in late) for k in KEYS]
    assert shown == f"{len(late)} of {len(filings)} shown"
    assert sorted(row[1] for row in grade_d) == sorted(
        r.file for r in late if r.grade == "D")


def test_rules_table_counts_filings_failed(browser: Browser, tmp_path: Path,
                                           annual_samples: Report) -> None:
    with open_clean(browser, write(tmp_path, annual_samples)) as page:
        rows = page.evaluate("[...document.querySelectorAll('table.rules-table tbody tr')]"
                             ".map(tr => [tr.dataset.rule, ...[...tr.querySelectorAll('td.num')]"
                             ".map(td => Number(td.textContent))])")
        linked = page.evaluate("[...document.querySelectorAll('.finding .rule-id a')].every("
                               "a => document.querySelector(a.getAttribute('href'))"
                               "?.dataset.rule === a.textContent)")
    expected = {}
    for f in {f.rule_id: f for r in annual_samples.filings for f in r.findings}.values():
        with_rule = [r for r in annual_samples.filings
                     if any(x.rule_id == f.rule_id for x in r.findings)]
        failed = [r for r in with_rule if any(
            x.rule_id == f.rule_id and x.outcome in ("breach", "not_assessable")
            and x.severity in ("critical", "major") for x in r.findings)]
        expected[f.rule_id] = [len(failed), len(with_rule), sum(
            x.rule_id == f.rule_id for r in with_rule for x in r.findings)]
    assert {rule: counts for rule, *counts in rows} == expected
    failed_order = [counts[0] for _, *counts in rows]
    assert failed_order == sorted(failed_order, reverse=True) and failed_order[0] > 0
    assert linked


def test_a_proof_tree_is_drawn_as_written_when_opened(browser: Browser, tmp_path: Path,
                                                      annual_samples: Report) -> None:
    with open_clean(browser, write(tmp_path, annual_samples, explain=True,
                                   name="explained.html")) as page:
        static = page.evaluate("[...document.querySelectorAll('.finding')].map(f => "
                               "[f.id, (f.querySelector('ul.proof') || {}).textContent || null])")
    with open_clean(browser, write(tmp_path, annual_samples)) as page:
        first = page.evaluate("document.querySelector('details.proof').closest('.finding').id")
        page.evaluate("document.querySelectorAll('details.findings').forEach(d => d.open = true)")
        page.click(f"#{first} details.proof > summary")
        page.wait_for(f"document.querySelector('#{first} ul.proof') !== null",
                      "the proof tree drawn on opening")
        drawn_one = page.evaluate(f"document.querySelector('#{first} ul.proof').textContent")
        page.print_to_pdf()
        drawn = page.evaluate("[...document.querySelectorAll('.finding')].map(f => "
                              "[f.id, (f.querySelector('ul.proof') || {}).textContent || null])")
        assert page.problems() == []
    assert drawn == static and any(text for _, text in drawn)
    assert drawn_one == dict(static)[first]


def test_a_batch_page_stays_small(checker: Checker) -> None:
    """300 generated filings (30 % with a breach): the page that wrote every
    finding in full took about 7,000 bytes a filing; it now takes under 2,500."""
    filings = [checker.check_bytes(data, f"filings/{i:05d}.json")
               for i, data in enumerate(generate(300, seed=3))]
    report = make_report(filings, rules=checker.rule_catalogue(["cn-eidm-annual"]))
    assert sum(r.grade != "A" for r in filings) > 50
    page = render(report, RenderOptions(lang="en"))
    assert len(page.encode("utf-8")) < 2_500 * len(filings)
    assert page.count('<article class="finding') == sum(len(r.findings) for r in filings)
    explained = render(report, RenderOptions(lang="en", explain=True))
    assert page.count('<details class="proof"') == explained.count('<details class="proof"') > 0
