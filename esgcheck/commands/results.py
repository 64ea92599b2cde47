"""``esgcheck results``: questions asked of a results store, weeks after the run.

    esgcheck results runs    --store results.db
    esgcheck results summary --store results.db [--run N] [--format text|json|csv]
    esgcheck results failed  --store results.db [--rule ID | --severity S]
    esgcheck results show    FILE --store results.db [--format html|sarif|...]
    esgcheck results diff    --store results.db --from N --to M
    esgcheck results export  --store results.db --format csv|parquet -o FILE

The run is the latest complete one unless ``--run`` says otherwise. A store
that cannot be opened, or a run or file it does not hold, is exit 2.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from esgcheck.commands.common import EXIT_INPUT, SEVERITIES
from esgcheck.outputs import write_bytes, write_text
from esgcheck.safetext import visible_lines

if TYPE_CHECKING:  # SQLAlchemy and Alembic load when a store is opened
    from esgcheck.store import Store


def _fail(text: str) -> NoReturn:
    click.echo(visible_lines(text), err=True)
    sys.exit(EXIT_INPUT)


def _open(url: str) -> Store:
    from esgcheck.store import StoreError, open_store

    try:
        return open_store(url)
    except StoreError as exc:
        _fail(f"store error / 结果库错误: {exc}")


def _run(store: Store, wanted: int | None) -> int:
    from esgcheck.store import StoreError

    try:
        return store.run_id(wanted)
    except StoreError as exc:
        _fail(f"store error / 结果库错误: {exc}")


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(visible_lines(text), nl=False)
        return
    try:
        write_text(output, text)
    except OSError as exc:
        _fail(f"cannot write / 无法写入 {output}: {exc.strerror or exc}")


def _csv(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()


store_option = click.option("--store", "url", required=True, metavar="URL",
                            help="The results store: a SQLite file (results.db, "
                                 "sqlite:///results.db) or postgresql://user@host/db.")
run_option = click.option("--run", "run", type=int, default=None,
                          help="Run number (default: the latest complete run).")
output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                             default=None, help="Write to FILE instead of stdout.")


@click.group()
def results() -> None:
    """Ask a results store what its runs found (see --store on esgcheck check)."""


@results.command("runs")
@store_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def runs_command(url: str, fmt: str) -> None:
    """The runs a store holds, oldest first."""
    rows = [r.__dict__ for r in _open(url).runs()]
    if fmt == "json":
        _emit(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", None)
        return
    lines = [f"run {r['id']}  {r['status']:<11} {r['started']}  {r['files']} files"
             f"{'  ' + r['label'] if r['label'] else ''}" for r in rows]
    _emit("\n".join(lines) + ("\n" if lines else ""), None)


def summary_text(summary: dict[str, Any]) -> str:
    run = summary["run"]
    counts = summary["counts"]
    grades = " ".join(f"{g}×{n}" for g, n in summary["grades"].items()) or "—"
    lines = [
        f"run {run['id']} ({run['status']}, {run['started']}"
        f"{', ' + run['label'] if run['label'] else ''}), esgcheck {run['esgcheck']}",
        f"{summary['files']} files: {summary['checked']} checked, {summary['unreadable']} "
        f"unreadable, {summary['not_assessed']} not assessed · grade {grades}",
        "findings: " + ", ".join(f"{k.replace('_', ' ')} {counts[k]}" for k in
                                 (*SEVERITIES, "not_assessable", "waived")),
    ]
    if summary["top_rules"]:
        lines.append("rules failed most (filings):")
        lines += [f"  {t['rule']:<22} {t['filings']}" for t in summary["top_rules"]]
    return "\n".join(lines) + "\n"


@results.command("summary")
@store_option
@run_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text")
@click.option("--top", type=click.IntRange(1, 1000), default=10,
              help="How many of the rules failed most to list.")
def summary_command(url: str, run: int | None, fmt: str, top: int) -> None:
    """Files, grades, findings by severity and the rules failed most, of one run."""
    store = _open(url)
    summary = store.summary(_run(store, run), top)
    if fmt == "json":
        _emit(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", None)
    elif fmt == "csv":
        row = {k: summary[k] for k in ("files", "checked", "unreadable", "not_assessed")}
        row |= {f"grade_{g}": n for g, n in summary["grades"].items()}
        row |= summary["counts"]
        _emit(_csv([row], list(row)), None)
    else:
        _emit(summary_text(summary), None)


@results.command("failed")
@store_option
@run_option
@click.option("--rule", default=None, help="Only breaches of this rule.")
@click.option("--severity", type=click.Choice(list(SEVERITIES)), default=None,
              help="Only breaches this severe or worse (default: minor).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text")
def failed_command(url: str, run: int | None, rule: str | None, severity: str | None,
                   fmt: str) -> None:
    """The filings with a breach (not waived) of a rule or a severity."""
    store = _open(url)
    rows = store.failed(_run(store, run), rule=rule.upper() if rule else None,
                        severity=severity)
    if fmt == "json":
        _emit(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", None)
    elif fmt == "csv":
        flat = [{"file": r["file"], "grade": r["grade"], **f} for r in rows
                for f in r["findings"]]
        _emit(_csv(flat, ["file", "grade", "rule", "severity", "pointer"]), None)
    else:
        lines = []
        for r in rows:
            rules = ", ".join(sorted({f["rule"] for f in r["findings"]}))
            lines.append(f"{r['file']}  grade {r['grade']}  {rules}")
        _emit("\n".join(lines) + ("\n" if lines else ""), None)


@results.command("show")
@click.argument("file")
@store_option
@run_option
@click.option("--format", "fmt",
              type=click.Choice(["text", "json", "sarif", "junit", "markdown", "html"]),
              default="text")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@click.option("--explain", is_flag=True, help="With remediation and proof trees (text).")
@output_option
def show_command(file: str, url: str, run: int | None, fmt: str, lang: str, explain: bool,
                 output: Path | None) -> None:
    """One filing's report from a run, in any output format."""
    from esgcheck.checkerparts import make_report
    from esgcheck.report import RenderOptions, renderer

    store = _open(url)
    run_id = _run(store, run)
    filing = store.filing(run_id, file)
    if filing is None:
        _fail(f"run {run_id} of {store.url} has no filing {file} / 该运行中没有此文件")
    report = make_report([filing])
    _emit(renderer(fmt)(report, RenderOptions(lang=lang, explain=explain)), output)


@results.command("diff")
@store_option
@click.option("--from", "old", type=int, required=True, help="The earlier run.")
@click.option("--to", "new", type=int, default=None,
              help="The later run (default: the latest complete run).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text")
def diff_command(url: str, old: int, new: int | None, fmt: str) -> None:
    """Findings new in one run, fixed since another and unchanged, matched by
    file and fingerprint (the rule and the place, not the line)."""
    store = _open(url)
    diff = store.diff(_run(store, old), _run(store, new))
    if fmt == "json":
        _emit(json.dumps(diff, ensure_ascii=False, indent=2) + "\n", None)
    elif fmt == "csv":
        rows = [{"change": k, **row} for k in ("new", "fixed") for row in diff[k]]
        _emit(_csv(rows, ["change", "file", "rule", "severity", "pointer"]), None)
    else:
        lines = [f"{len(diff['new'])} new, {len(diff['fixed'])} fixed, "
                 f"{len(diff['unchanged'])} unchanged"]
        for kind, mark in (("new", "+"), ("fixed", "-")):
            lines += [f"  {mark} {r['file']}  {r['rule']} ({r['severity']})  {r['pointer']}"
                      for r in diff[kind]]
        _emit("\n".join(lines) + "\n", None)


EXPORT_COLUMNS = ["file", "filing_type", "grade", "rule_id", "rulebase", "rulebase_version",
                  "severity", "outcome", "section", "pointer", "line", "column", "fingerprint",
                  "waiver"]


@results.command("export")
@store_option
@run_option
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv")
@output_option
def export_command(url: str, run: int | None, fmt: str, output: Path | None) -> None:
    """Every finding of a run, one row each, for analysis elsewhere."""
    store = _open(url)
    rows = store.finding_rows(_run(store, run))
    if fmt == "csv":
        _emit(_csv(rows, EXPORT_COLUMNS), output)
        return
    if output is None:
        _fail("--format parquet needs -o FILE / parquet 格式须用 -o 指定文件")
    _emit_parquet(rows, output)


def _emit_parquet(rows: Iterator[dict[str, Any]], output: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, list[Any]] = {c: [] for c in EXPORT_COLUMNS}
    for row in rows:
        for c in EXPORT_COLUMNS:
            columns[c].append(row.get(c))
    schema = pa.schema([(c, pa.int64() if c in ("line", "column") else pa.string())
                        for c in EXPORT_COLUMNS])
    table = pa.table(columns, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    try:
        write_bytes(output, sink.getvalue().to_pybytes())
    except OSError as exc:
        _fail(f"cannot write / 无法写入 {output}: {exc.strerror or exc}")
