"""One run of ``esgcheck check``, the same on this machine and with --store or
--cluster: the options it was given (the configuration file's taken in), what
it loads before checking (``prepared``), and what it does with the report after
(the render options, the outputs, the evidence bundle).

Like common.py, this imports the library only when a run uses it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from esgcheck.commands.common import _load, _load_policy, _say, _utc_now, _write
from esgcheck.commands.lookup import _check_grade, _filing_type, _known_waiver_rules
from esgcheck.commands.project import _select
from esgcheck.selection import Selection

if TYPE_CHECKING:
    from esgcheck.baseline import Baseline
    from esgcheck.checker import Checker, Options
    from esgcheck.engine.findings import Report
    from esgcheck.filings.limits import Limits
    from esgcheck.projectconfig import ProjectConfig
    from esgcheck.report import RenderOptions
    from esgcheck.waivers import Waivers


@dataclass(frozen=True)
class CheckRun:
    """The options of one ``check``, after the configuration file's."""

    paths: tuple[Path, ...]
    fmt: str
    outputs: list[tuple[str | None, Path]]
    lang: str
    as_of: date | None
    rules: tuple[Path, ...]
    filing_type: str | None
    rules_config: Path | None
    waivers: Path | None
    today: date | None
    baseline: Path | None
    evidence: Path | None
    explain: bool
    color: bool | None
    jobs: int
    limits: Limits
    journal: Path | None
    fail_on: str
    fail_on_grade: str | None
    fail_on_not_assessable: bool
    started: str | None  # the run's start (UTC) with --timestamps
    markdown_limit: int
    selection: Selection
    project: ProjectConfig | None
    store_url: str | None
    label: str | None
    cluster: str | None
    ship_files: bool
    quiet: bool


@dataclass(frozen=True)
class Prepared:
    """What a run loads before it checks: the rule bases with the run's
    selection switched off, the reading options, the waivers and baseline."""

    checker: Checker
    options: Options
    waived: Waivers | None
    known: Baseline | None


def prepared(run: CheckRun) -> Prepared:
    """Load the rule bases, waivers and baseline of ``run``; exit 2 saying why
    when one does not load, or the grade, filing type or selection names
    nothing they know."""
    from esgcheck.checker import Options

    checker = _load(run.rules, run.rules_config)
    _check_grade(checker, run.fail_on_grade)
    filing_type = _filing_type(checker, run.filing_type)
    _select(checker, run.selection, run.project)
    waived, known = _load_policy(run.waivers, run.baseline)
    waived = _known_waiver_rules(checker, waived)
    return Prepared(checker, Options(as_of=run.as_of, filing_type=filing_type,
                                     limits=run.limits), waived, known)


def gate(run: CheckRun, code: int) -> RenderOptions:
    """How the report is rendered, with the exit code the run ends with."""
    from esgcheck.report import RenderOptions

    return RenderOptions(lang=run.lang, explain=run.explain, fail_on=run.fail_on,
                         fail_on_not_assessable=run.fail_on_not_assessable, exit_code=code,
                         start_time=run.started,
                         end_time=_utc_now() if run.started is not None else None,
                         max_chars=run.markdown_limit)


def deliver(run: CheckRun, render: Callable[[str, bool], str]) -> bool:
    """Write each --output in its format, and standard output in --format's
    unless a plain --output PATH took its place; ``render(format, to_stdout)``
    makes the text. False when an output could not be written (said why)."""
    written = True
    for target_fmt, path in run.outputs:
        written &= _write(path, render(target_fmt or run.fmt, False))
    if not any(target_fmt is None for target_fmt, _ in run.outputs):
        click.echo(render(run.fmt, True), nl=False)
    return written


def write_evidence(run: CheckRun, report: Report, ready: Prepared, /, **more: Any) -> bool:
    """The evidence bundle, with --evidence; ``more`` adds to the options it
    records. False when it could not be written (said why)."""
    if run.evidence is None:
        return True
    from esgcheck.evidence import write_bundle

    try:
        write_bundle(run.evidence, report, ready.checker, lang=run.lang,
                     rules_config=run.rules_config, waivers=run.waivers,
                     baseline=run.baseline, options={
                         "as_of": run.as_of.isoformat() if run.as_of else None,
                         "filing_type": ready.options.filing_type, "fail_on": run.fail_on,
                         "fail_on_not_assessable": run.fail_on_not_assessable,
                         "fail_on_grade": run.fail_on_grade, **more,
                         "limits": dataclasses.asdict(run.limits)})
    except OSError as exc:
        _say(f"cannot write the evidence bundle / 无法写入证据包 {run.evidence}: "
             f"{exc.strerror or exc}", err=True)
        return False
    return True
