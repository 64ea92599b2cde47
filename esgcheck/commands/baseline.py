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
    _refuse_inputs,
    _say,
    _to_output,
)
from esgcheck.commands.settled import settled_report, settling_options


@click.group()
def baseline() -> None:
    """Baselines: record today's findings, so that checks report only new ones."""


@baseline.command("create")
@click.argument("paths", nargs=-1, required=True, type=FILING_PATHS)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the baseline here (default: standard output).")
@settling_options
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes (default 0: one per CPU).")
def baseline_create(paths: tuple[Path, ...], output: Path | None, as_of: date | None,
                    rules: tuple[Path, ...], filing_type: str | None,
                    rules_config: Path | None, waivers: Path | None, today: date | None,
                    jobs: int) -> None:
    """Record every finding of PATHS (waived ones excepted) as a baseline."""
    from esgcheck.baseline import dumps, unusable

    _refuse_inputs([output] if output else [], [*paths, rules_config, waivers])
    report = settled_report(_load(rules, rules_config), paths, as_of, filing_type, waivers,
                            today, jobs=jobs or os.cpu_count() or 1)
    for problem in unusable(report):  # why a file is not in the baseline
        _say(f"not in the baseline / 未记入基线: {problem}", err=True)
    if report.filings and all(r.status != "checked" for r in report.filings):
        _say("no filing was checked: no baseline written / 没有文件得到检查，未写入基线", err=True)
        sys.exit(EXIT_INPUT)
    text = dumps(report, output.absolute().parent if output is not None else None)
    _to_output(output, text)
    if output is not None:
        n = sum(len(r.findings) for r in report.filings)
        _say(f"baseline of {n} findings in {len(report.filings)} files: {output}")
    if any(r.status != "checked" for r in report.filings):
        sys.exit(EXIT_INPUT)
