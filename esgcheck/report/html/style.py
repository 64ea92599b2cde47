"""The page's styles: colours of severities and grades, fonts, print rules."""

from __future__ import annotations

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'")
COLORS = {"critical": "#b91c1c", "major": "#a21caf", "minor": "#b45309", "info": "#1d4ed8",
           "not_assessable": "#0e7490", "waived": "#6b7280"}
GRADE_COLORS = {"A": "#15803d", "B": "#b45309", "C": "#a21caf", "D": "#b91c1c",
                 "N": "#0e7490"}
_FONT = ('system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans CJK SC", "PingFang SC", '
         '"Microsoft YaHei", sans-serif')
_MONO = ('ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", '
         'monospace')

_CSS = """
:root { --rule: #d4d4d8; --muted: #52525b; --ink: #18181b; --paper: #fff; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f5; color: var(--ink); font: 15px/1.55 FONT; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem; }
main > header, main > section { background: var(--paper); border: 1px solid var(--rule);
  border-radius: 6px; padding: 1.25rem 1.5rem; margin-bottom: 1.25rem; }
h1 { font-size: 1.5rem; margin: 0 0 .75rem; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; overflow-wrap: anywhere; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; padding-bottom: .2rem;
  border-bottom: 1px solid var(--rule); }
h4 { font-size: .95rem; margin: 1rem 0 .25rem; }
code { font-family: MONO; font-size: .88em; overflow-wrap: anywhere; }
a { color: #1e40af; }
.muted { color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
  margin: .25rem 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
dl.meta ul, .finding ul { margin: 0; padding-left: 1.2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .92em; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--rule);
  vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; color: var(--muted); white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.k-critical { --c: COLOR_critical; } .k-major { --c: COLOR_major; }
.k-minor { --c: COLOR_minor; } .k-info { --c: COLOR_info; }
.k-not_assessable { --c: COLOR_not_assessable; } .k-waived { --c: COLOR_waived; }
.g-A { --g: GRADE_A; } .g-B { --g: GRADE_B; } .g-C { --g: GRADE_C; }
.g-D { --g: GRADE_D; } .g-N { --g: GRADE_N; }
.badge { display: inline-block; padding: 0 .45em; border-radius: 3px; background: var(--c, #3f3f46);
  color: #fff; font-size: .8em; font-weight: 600; line-height: 1.6; white-space: nowrap; }
.grade { display: inline-flex; align-items: center; gap: .75rem; margin: .75rem 0;
  padding: .35rem 1rem .35rem .35rem; border: 2px solid var(--g, #3f3f46); border-radius: 6px; }
.grade-letter { display: inline-block; min-width: 2.6rem; text-align: center; font-size: 1.8rem;
  font-weight: 700; line-height: 1.4; border-radius: 4px; background: var(--g, #3f3f46);
  color: #fff; }
.grade-label { color: var(--g, #3f3f46); font-weight: 600; font-size: 1.1rem; }
.grade-mini { display: inline-block; min-width: 1.6em; text-align: center; font-weight: 700;
  border-radius: 3px; background: var(--g, #3f3f46); color: #fff; }
ul.counts { list-style: none; display: flex; flex-wrap: wrap; gap: .35rem .9rem; padding: 0;
  margin: .25rem 0; }
.status { font-weight: 600; }
.error { color: #991b1b; font-weight: 600; }
.finding { border: 1px solid var(--rule); border-left: 4px solid var(--c, #3f3f46);
  border-radius: 4px; padding: .5rem .9rem; margin: .6rem 0; background: #fcfcfc; }
.finding > header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem; }
.finding-title { font-weight: 600; }
.finding .message { margin: .35rem 0; }
.finding dl.meta { font-size: .92em; }
.absent { font-weight: 600; color: #991b1b; }
details { margin: .4rem 0; }
summary { cursor: pointer; color: var(--muted); font-weight: 600; }
ul.proof, ul.proof ul { list-style: none; padding-left: 1.1rem; margin: .2rem 0; }
ul.proof { padding-left: 0; }
ul.proof ul > li::before { content: "└ "; color: var(--muted); }
svg.chart { display: block; width: 100%; max-width: 680px; height: auto; margin: .5rem 0; }
svg.chart text { font: 12px FONT; fill: #27272a; }
.waiver { border-top: 1px dashed var(--rule); margin-top: .4rem; padding-top: .3rem; }
.section-name { font-size: .85em; }
.finding p.loc { margin: .2rem 0; font-size: .92em; overflow-wrap: anywhere; }
nav.back { position: fixed; right: 1rem; bottom: 1rem; background: var(--paper);
  border: 1px solid var(--rule); border-radius: 4px; padding: .2rem .6rem; }
p.meta { margin: .2rem 0; font-size: .92em; color: var(--muted); }
ul.evidence { margin: .2rem 0; padding-left: 1.2rem; font-size: .92em; }
.cite { font-size: .9em; }
.filter { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
.filter input { min-width: 16rem; }
table.summary-table td:first-child, table.summary-table td:nth-child(n+5),
table.summary-table tfoot td { text-align: right; font-variant-numeric: tabular-nums; }
table.summary-table tfoot th, table.summary-table tfoot td { font-weight: 700;
  border-top: 2px solid var(--ink); }
button.sort { all: unset; cursor: pointer; }
button.sort:focus-visible { outline: 2px solid #1e40af; }
th[aria-sort=ascending] button.sort::after { content: " \\25B2"; }
th[aria-sort=descending] button.sort::after { content: " \\25BC"; }
@media print {
  @page { margin: 14mm; }
  body { background: #fff; color: #000; font-size: 10pt; }
  main { max-width: none; padding: 0; }
  main > header, main > section { border: 0; border-radius: 0; padding: 0; margin: 0 0 1rem; }
  main.multi > section.filing, main > section.appendix, main > section.run {
    break-before: page; }
  .screen-only { display: none !important; }
  details::details-content { content-visibility: visible; }
  summary { list-style: none; color: #000; cursor: auto; }
  summary::-webkit-details-marker { display: none; }
  a { color: #000; text-decoration: none; }
  .muted, th, dl.meta dt, .error, .absent, .grade-label, svg.chart text { color: #000; fill: #000; }
  .badge, .grade-letter, .grade-mini { background: #fff; color: #000; border: 1px solid #000; }
  .grade { border-color: #000; }
  .finding { background: #fff; border-color: #000; break-inside: avoid-page; }
  h2, h3, h4 { break-after: avoid-page; }
  svg.chart { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""


def css() -> str:
    css = _CSS.replace("MONO", _MONO).replace("FONT", _FONT)
    for key, color in COLORS.items():
        css = css.replace(f"COLOR_{key};", f"{color};")
    for grade, color in GRADE_COLORS.items():
        css = css.replace(f"GRADE_{grade};", f"{color};")
    return css.strip()


