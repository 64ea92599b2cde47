"""``esgcheck check``: check filings and report, on this machine; with --store
or --cluster the run goes through esgcheck.commands.at_scale. What the two
share (the run's options, its set-up, its outputs) is checkrun.py."""

from __future__ import annotations

import dataclasses
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from esgcheck.commands.checkrun import CheckRun, deliver, gate, prepared, write_evidence
from esgcheck.commands.common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    FILING_PATHS,
    FORMAT_NAMES,
    SEVERITY_CHOICES,
    _limits,
    _open_journal,
    _outputs,
    _refuse_inputs,
    _say,
    _utc_now,
    lang_option,
    markdown_limit_option,
    reading_options,
    waiver_options,
    with_options,
)
from esgcheck.commands.project import (
    _from_project,
    _project,
    _selection,
    _selection_used,
    selection_options,
)

if TYPE_CHECKING:
    from esgcheck.filings.limits import Limits


@click.command()
@click.argument("paths", nargs=-1, required=True, type=FILING_PATHS)
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text",
              show_default=True, help="Output format on standard output (or of --output PATH).")
@click.option("--output", "-o", "outputs", multiple=True, metavar="[FORMAT=]PATH",
              callback=_outputs, help="Write the report to a file instead of standard output; "
              "FORMAT=PATH writes that format (repeatable: several formats at once).")
@lang_option
@with_options(*reading_options, *waiver_options, *selection_options)
@click.option("--fail-on", type=click.Choice(SEVERITY_CHOICES), default="major",
              show_default=True, help="Exit 1 when a breach of this severity or worse is found, "
              "or a finding this severe or worse could not be assessed; 'never' turns this "
              "test off (--fail-on-grade still applies).")
@click.option("--fail-on-not-assessable/--no-fail-on-not-assessable", default=True,
              show_default=True, help="Whether a finding at or above --fail-on that could not "
              "be assessed (missing or unreadable data; grade N) fails the run like a breach.")
@click.option("--fail-on-grade", metavar="GRADE",
              help="Exit 1 when a filing's grade is this or worse (e.g. C), whatever "
              "--fail-on says.")
@click.option("--timestamps", is_flag=True,
              help="SARIF: record the run's start and end times (UTC) in its invocation. Off "
              "by default, so that the same input gives the same bytes.")
@markdown_limit_option
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only findings this baseline (from 'esgcheck baseline create') does "
              "not know; list its findings that are gone as fixed.")
@click.option("--evidence", type=click.Path(file_okay=False, path_type=Path),
              help="Write an evidence bundle to this folder: the report as JSON and HTML, the "
              "SHA-256 of every input, the rule bases, configuration and waivers used.")
@click.option("--explain", is_flag=True, help="Show each finding's proof tree and remediation.")
@click.option("--color/--no-color", default=None, help="Colour the text output "
              "(default: when writing to a terminal).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes for many files (default 0: one per CPU; 1: none).")
@click.option("--limit", "limit_settings", multiple=True, metavar="NAME=VALUE",
              callback=_limits, help="Change a limit: bytes, depth, values, steps, seconds, "
              "regex_seconds (see the README for the defaults).")
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path),
              help="Record each finished filing here; run again with the same journal to "
              "resume an interrupted run.")
@click.option("--store", "store_url", metavar="URL",
              help="Write every filing's report into a results store as it finishes (a SQLite "
              "file such as results.db, or postgresql://user@host/db); running again skips "
              "unchanged filings. Standard output then gets the run's summary.")
@click.option("--label", help="A name for the run in the store (who, which inbox).")
@click.option("--cluster", metavar="local:N|tcp://HOST:PORT",
              help="Check on Dask: a local cluster of N worker processes, or a running "
              "scheduler whose workers have esgcheck installed.")
@click.option("--ship-files", is_flag=True,
              help="With --cluster: send the filings' bytes to the workers (no shared "
              "file system).")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress on standard error (with --store or --cluster).")
def check(paths: tuple[Path, ...], fmt: str, outputs: list[tuple[str | None, Path]],
          lang: str, as_of: date | None, rules: tuple[Path, ...], filing_type: str | None,
          rules_config: Path | None, waivers: Path | None, today: date | None,
          select: tuple[str, ...], extend_select: tuple[str, ...], ignore: tuple[str, ...],
          config: Path | None, no_config: bool,
          fail_on: str, fail_on_not_assessable: bool, fail_on_grade: str | None,
          timestamps: bool, markdown_limit: int, baseline: Path | None,
          evidence: Path | None, explain: bool, color: bool | None, jobs: int,
          limit_settings: Limits, journal: Path | None, store_url: str | None,
          label: str | None, cluster: str | None, ship_files: bool, quiet: bool) -> None:
    """Check filings (files or folders of .json/.xml files).

    \b
    Exit codes:
      0  nothing fails: no breach at or above --fail-on, nothing at or above it
         left not assessable, no grade at or below --fail-on-grade
      1  a breach at or above --fail-on; a finding at or above it that could not
         be assessed (unless --no-fail-on-not-assessable); or a grade at or
         below --fail-on-grade (this one also with --fail-on never)
      2  unusable input: a file unreadable or not assessed, a rule base, waiver,
         baseline or configuration that does not load, an output that cannot be
         written, a store or cluster that cannot be used, or a bad option
      130  interrupted (Ctrl-C); 143 stopped by SIGTERM

    Options not given are taken from the configuration file (esgcheck.toml or
    [tool.esgcheck] in pyproject.toml: --select, --extend-select, --ignore,
    --fail-on, --fail-on-grade, --fail-on-not-assessable, --lang,
    --rules-config, --waivers, --baseline); see --config.
    """
    started = _utc_now() if timestamps else None
    project = _project(config, no_config)
    fail_on = _from_project(project, "fail_on", "fail-on", fail_on)
    fail_on_grade = _from_project(project, "fail_on_grade", "fail-on-grade", fail_on_grade)
    fail_on_not_assessable = _from_project(project, "fail_on_not_assessable",
                                           "fail-on-not-assessable", fail_on_not_assessable)
    lang = _from_project(project, "lang", "lang", lang)
    rules_config = _from_project(project, "rules_config", "rules-config", rules_config)
    waivers = _from_project(project, "waivers", "waivers", waivers)
    baseline = _from_project(project, "baseline", "baseline", baseline)
    selection = _selection(project, select, extend_select, ignore)
    _refuse_inputs([p for _, p in outputs] + ([evidence] if evidence else []),
                   [*paths, rules_config, waivers, baseline], journal)
    run = CheckRun(paths=paths, fmt=fmt, outputs=outputs, lang=lang, as_of=as_of, rules=rules,
                   filing_type=filing_type, rules_config=rules_config, waivers=waivers,
                   today=today, baseline=baseline, evidence=evidence, explain=explain,
                   color=color, jobs=jobs, limits=limit_settings, journal=journal,
                   fail_on=fail_on, fail_on_grade=fail_on_grade,
                   fail_on_not_assessable=fail_on_not_assessable, started=started,
                   markdown_limit=markdown_limit, selection=selection, project=project,
                   store_url=store_url, label=label, cluster=cluster, ship_files=ship_files,
                   quiet=quiet)
    if store_url is not None or cluster is not None:
        from esgcheck.commands.at_scale import check_at_scale

        check_at_scale(run)
    else:
        _check_here(run)


def _check_here(run: CheckRun) -> None:
    """``check`` on this machine: the whole report in memory, then rendered."""
    if run.ship_files or run.label is not None:
        _say("--label needs --store, --ship-files needs --cluster / 须与 --store 或 --cluster "
             "同用", err=True)
        sys.exit(EXIT_INPUT)
    from esgcheck.checker import summarize
    from esgcheck.engine.grading import exit_code
    from esgcheck.report import renderer

    ready = prepared(run)
    checker, fail_on = ready.checker, run.fail_on
    record = (_open_journal(run.journal, checker.settings(ready.options))
              if run.journal is not None else None)
    try:
        report = checker.check_paths(run.paths, ready.options,
                                     jobs=run.jobs or os.cpu_count() or 1,
                                     journal=record, fail_on=fail_on)
    finally:
        if record is not None:
            record.close()
    report = checker.settle(report, fail_on, ready.waived, run.today, ready.known)
    from esgcheck.waivers import policy_notices  # a file that names no filing, or the old way

    for note in policy_notices(report, ready.waived, ready.known):
        _say(note, err=True)
    report = report.model_copy(update={"selection": _selection_used(
        checker, run.selection, run.project, {f.filing_type for f in report.filings})})
    if not run.fail_on_not_assessable:
        report = report.model_copy(update={"summary": summarize(
            report.filings, fail_on, not_assessable=False)})
    code = exit_code(report.filings, fail_on, run.fail_on_not_assessable)
    if code == EXIT_OK and run.fail_on_grade is not None and any(
            checker.fails_grade(f, run.fail_on_grade) for f in report.filings):
        code = EXIT_FINDINGS
    options = gate(run, code)

    def render(name: str, to_stdout: bool) -> str:
        color = ((sys.stdout.isatty() if run.color is None else run.color) if to_stdout
                 else run.color is True)
        return renderer(name)(report, dataclasses.replace(
            options, color=color and name == "text"))

    written = deliver(run, render)
    written &= write_evidence(run, report, ready)
    sys.exit(code if written else EXIT_INPUT)
