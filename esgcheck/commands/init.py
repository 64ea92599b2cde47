"""``esgcheck init FILING-TYPE``: write a skeleton filing (esgcheck.skeleton)."""

from __future__ import annotations

import sys
from pathlib import Path as PathLib

import click

from esgcheck.commands.common import EXIT_INPUT


@click.command("init")
@click.argument("filing_type", metavar="FILING-TYPE")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=PathLib),
              help="Write the skeleton here (default: standard output); an existing file "
              "is left as it is.")
@click.option("--format", "fmt", type=click.Choice(["json", "xml"]), default="json",
              show_default=True, help="JSON (fields described in $comment members) or XML "
              "(fields described in comments).")
@click.option("--rules", "rules", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=PathLib),
              help="Rule-base folder (repeatable). Default: the built-in ones.")
def init_command(filing_type: str, output: PathLib | None, fmt: str,
                 rules: tuple[PathLib, ...]) -> None:
    """Write a skeleton filing of FILING-TYPE: every field the schema requires
    and every field a rule reads, in the schema's order, described, with
    placeholders to replace (TODO texts, 2099-12-31, zero amounts). Checking
    it reports findings, never a structural error."""
    from esgcheck.checker import Checker
    from esgcheck.engine.rulebase import RuleBaseError
    from esgcheck.outputs import write_text
    from esgcheck.selection import did_you_mean
    from esgcheck.skeleton import PLACEHOLDER_DATE, skeleton

    try:
        checker = Checker(list(rules) or None)
    except RuleBaseError as exc:
        click.echo("rule base errors / 规则库错误:\n" + "\n".join(
            f"  {p}" for p in exc.problems), err=True)
        sys.exit(EXIT_INPUT)
    known = [ft.id for ft in checker.registry]
    ft = next((checker.registry.get(k) for k in known
               if k.lower() == filing_type.strip().lower()), None)
    if ft is None:
        click.echo(f"unknown filing type '{filing_type}' / 未知的申报类型"
                   + did_you_mean(filing_type, known) + f" (types: {', '.join(known)})",
                   err=True)
        sys.exit(EXIT_INPUT)
    try:
        text = skeleton(ft, checker.rulebases_for(ft), fmt)
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_INPUT)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists():
        click.echo(f"{output} exists; it is left as it is (give a new file) / 文件已存在，未覆盖",
                   err=True)
        sys.exit(EXIT_INPUT)
    try:
        write_text(output, text)
    except OSError as exc:
        click.echo(f"cannot write / 无法写入 {output}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"wrote a {ft.id} skeleton ({fmt}) to {output}: replace every TODO, "
               f"{PLACEHOLDER_DATE} and 0, then run esgcheck check {output}", err=True)
