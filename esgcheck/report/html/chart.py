"""The chart of findings by section and severity, as inline SVG."""

from __future__ import annotations

from esgcheck.engine.findings import Finding
from esgcheck.report.html.labels import CHART_KEYS
from esgcheck.report.html.page import Page, chart_rows, esc
from esgcheck.report.html.style import COLORS

_CHART_WIDTH = 680
_LABEL_WIDTH = 150
_BAR_SPACE = 440
_ROW = 26
_BAR = 16
_LEGEND_STEP = 130


def chart_svg(page: Page, findings: list[Finding], ident: str) -> str:
    rows = [(page.section_name(*key), key[1], counts) for key, counts in chart_rows(findings)]
    if not rows:
        return f'<p class="muted">{page.lb("chart_empty")}</p>'
    biggest = max(sum(c.values()) for _, _, c in rows)
    height = len(rows) * _ROW + 40
    summary = "; ".join(
        f"{name}: " + ", ".join(f"{page.word(k)} {v}" for k, v in counts.items() if v)
        for name, _, counts in rows)
    label = f"{page.label('chart')} — {summary}"
    bars = "".join(_bar(page, i, name, section, counts, biggest)
                   for i, (name, section, counts) in enumerate(rows))
    return (f'<svg class="chart" id="chart-{ident}" role="img" aria-label="{esc(label)}" '
            f'viewBox="0 0 {_CHART_WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{esc(label)}</title>{bars}{_legend(page, len(rows) * _ROW + 14)}</svg>")


def _bar(page: Page, i: int, name: str, section: str, counts: dict[str, int],
         biggest: int) -> str:
    y = 6 + i * _ROW
    short = name if len(name) <= 22 else name[:21] + "…"
    parts = [f'<g class="bar" data-section="{esc(section)}">',
             f'<text x="{_LABEL_WIDTH - 8}" y="{y + 12}" text-anchor="end">{esc(short)}</text>']
    x = float(_LABEL_WIDTH)
    for key, count in counts.items():
        if not count:
            continue
        width = count / biggest * _BAR_SPACE
        parts.append(
            f'<rect class="seg" data-key="{key}" data-count="{count}" x="{x:.2f}" y="{y}" '
            f'width="{width:.2f}" height="{_BAR}" fill="{COLORS[key]}">'
            f"<title>{esc(name)} — {page.wd(key)}: {count}</title></rect>")
        x += width
    parts.append(f'<text x="{x + 6:.2f}" y="{y + 12}">{sum(counts.values())}</text></g>')
    return "".join(parts)


def _legend(page: Page, y: int) -> str:
    items = "".join(
        f'<g class="legend-item" data-key="{key}">'
        f'<rect x="{10 + i * _LEGEND_STEP}" y="{y}" width="12" height="12" '
        f'fill="{COLORS[key]}"></rect>'
        f'<text x="{28 + i * _LEGEND_STEP}" y="{y + 11}">{page.wd(key)}</text></g>'
        for i, key in enumerate(CHART_KEYS))
    return f'<g class="legend">{items}</g>'


