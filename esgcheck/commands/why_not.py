"""``esgcheck why-not RULE-ID FILING``: why a rule did not fire."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from esgcheck.commands.common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    _load,
    _say,
    lang_option,
    reading_options,
    with_options,
)
from esgcheck.commands.lookup import _filing_type, _find_rule
from esgcheck.safetext import json_safe


@click.command("why-not")
@click.argument("rule_id", metavar="RULE-ID")
@click.argument("filing", metavar="FILING",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_options(*reading_options)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@lang_option
def why_not_cmd(rule_id: str, filing: Path, as_of: date | None, rules: tuple[Path, ...],
                filing_type: str | None, rules_config: Path | None, fmt: str,
                lang: str) -> None:
    """Why RULE_ID did not fire on FILING: which part of its guard or condition
    held and which did not, with the values read."""
    from pydantic import TypeAdapter

    from esgcheck.checker import as_of_date, display_name
    from esgcheck.filings.errors import InputError
    from esgcheck.filings.reader import file_bytes, read_bytes
    from esgcheck.whynot import Answer, render_text, why_not

    checker = _load(rules, rules_config)
    rb, rule = _find_rule(checker, rule_id)
    rule_id = rule.id
    filing_type = _filing_type(checker, filing_type)
    if rule.is_derive:
        _say(f"{rule_id} is a derive rule; why-not explains check rules / "
             "why-not 只解释检查规则", err=True)
        sys.exit(EXIT_INPUT)
    name = display_name(filing, Path.cwd())
    try:
        read = read_bytes(file_bytes(filing, name), name, checker.registry, filing_type)
    except InputError as exc:
        _say(f"{exc.describe(lang)}", err=True)
        sys.exit(EXIT_INPUT)
    day, _ = as_of_date(read.filing_type, read.doc, as_of)
    answer = why_not(rb, rule, read, day)
    if fmt == "json":
        click.echo(json_safe(TypeAdapter(Answer).dump_json(answer, indent=2).decode()))
    else:
        _say(render_text(answer, lang), nl=False)
    sys.exit(EXIT_FINDINGS if answer.reason == "fires" else EXIT_OK)
