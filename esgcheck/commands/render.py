"""``esgcheck render REPORT.json``: a saved report in another format."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from esgcheck.commands.common import (
    EXIT_INPUT,
    FORMAT_NAMES,
    SEVERITY_CHOICES,
    _refuse_inputs,
    _say,
    _to_output,
    lang_option,
    markdown_limit_option,
)


@click.command()
@click.argument("report_file", metavar="REPORT.json",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), default="html",
              show_default=True, help="Format to render the saved report in.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@lang_option
@click.option("--explain", is_flag=True, help="Show each finding's proof tree and remediation.")
@click.option("--fail-on", type=click.Choice(SEVERITY_CHOICES), default="major",
              show_default=True, help="JUnit: breaches of this severity or worse fail.")
@markdown_limit_option
def render(report_file: Path, fmt: str, output: Path | None, lang: str, explain: bool,
           fail_on: str, markdown_limit: int) -> None:
    """Render a report saved with --format json in another format (HTML for the
    file, SARIF for code scanning) without checking the filings again."""
    from pydantic import ValidationError

    from esgcheck.engine.findings import REPORT_SCHEMA_VERSION, Report
    from esgcheck.engine.loaderrors import describe, ordered
    from esgcheck.report import RenderOptions, renderer

    _refuse_inputs([output] if output else [], [report_file])
    try:
        report = Report.model_validate_json(report_file.read_bytes())
    except (OSError, ValidationError) as exc:
        first = (describe(ordered(exc.errors())[0], Report)
                 if isinstance(exc, ValidationError) and exc.errors()
                 else getattr(exc, "strerror", None) or exc)
        _say(f"{report_file}: not an esgcheck report (schema {REPORT_SCHEMA_VERSION}) / "
             f"不是 esgcheck 报告: {first}", err=True)
        sys.exit(EXIT_INPUT)
    text = renderer(fmt)(report, RenderOptions(lang=lang, explain=explain, fail_on=fail_on,
                                               max_chars=markdown_limit))
    _to_output(output, text)
