"""``esgcheck baseline create``: record today's findings."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from esgcheck.commands.common import (
    EXIT_INPUT,
    FILING_PATHS,
    _load,
    _load_policy,
    _refuse_inputs,
    _say,
    _write,
    reading_options,
    waiver_options,
    with_options,
)
from esgcheck.commands.lookup import _filing_type, _known_waiver_rules


@click.group()
def baseline() -> None:
    """Baselines: record today's findings, so that checks report only new ones."""


@baseline.command("create")
@click.argument("paths", nargs=-1, required=True, type=FILING_PATHS)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the baseline here (default: standard output).")
@with_options(*reading_options, *waiver_options)
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes (default 0: one per CPU).")
def baseline_create(paths: tuple[Path, ...], output: Path | None, as_of: date | None,
                    rules: tuple[Path, ...], filing_type: str | None,
                    rules_config: Path | None, waivers: Path | None, today: date | None,
                    jobs: int) -> None:
    """Record every finding of PATHS (waived ones excepted) as a baseline."""
    from esgcheck.baseline import dumps, unusable
    from esgcheck.checker import Options

    _refuse_inputs([output] if output else [], [*paths, rules_config, waivers])
    checker = _load(rules, rules_config)
    filing_type = _filing_type(checker, filing_type)
    waived = _known_waiver_rules(checker, _load_policy(waivers, None)[0])
    report = checker.check_paths(paths, Options(as_of=as_of, filing_type=filing_type),
                                 jobs=jobs or os.cpu_count() or 1)
    report = checker.settle(report, waivers=waived, today=today)
    for problem in unusable(report):  # why a file is not in the baseline
        _say(f"not in the baseline / 未记入基线: {problem}", err=True)
    if report.filings and all(r.status != "checked" for r in report.filings):
        _say("no filing was checked: no baseline written / 没有文件得到检查，未写入基线", err=True)
        sys.exit(EXIT_INPUT)
    text = dumps(report, output.absolute().parent if output is not None else None)
    if output is None:
        click.echo(text, nl=False)
    elif not _write(output, text):
        sys.exit(EXIT_INPUT)
    else:
        n = sum(len(r.findings) for r in report.filings)
        _say(f"baseline of {n} findings in {len(report.filings)} files: {output}")
    if any(r.status != "checked" for r in report.filings):
        sys.exit(EXIT_INPUT)
