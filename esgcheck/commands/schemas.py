"""``esgcheck schemas ...``: filing-type schemas and the report schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from esgcheck.commands.common import EXIT_INPUT, _load, rules_option


@click.group()
def schemas() -> None:
    """Filing-type schemas and the report schema."""


@schemas.command("list")
@rules_option
def schemas_list(rules: tuple[Path, ...]) -> None:
    """The filing types this installation knows."""
    checker = _load(rules)
    for ft in checker.registry:
        xml = f"<{ft.xml_root}> {ft.xml_namespace or ''}".strip() if ft.xml_root else "-"
        click.echo(f"{ft.id:<24} {ft.title.en}  |  {ft.title.zh}  |  XML {xml}")


@schemas.command("show")
@click.argument("name")
@rules_option
def schemas_show(name: str, rules: tuple[Path, ...]) -> None:
    """Print a filing type's JSON Schema, or 'report' or 'rule-file'."""
    from esgcheck.schemas_export import generated

    if name in generated():
        click.echo(generated()[name], nl=False)
        return
    checker = _load(rules)
    ft = checker.registry.get(name)
    if ft is None:
        click.echo(f"unknown schema {name}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(json.dumps(ft.schema, ensure_ascii=False, indent=2))


@schemas.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path),
                default=Path("esgcheck/schemas"))
def schemas_export(folder: Path) -> None:
    """Write the report and rule-file schemas (generated from the models) to FOLDER."""
    from esgcheck.schemas_export import generated

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in generated().items():
        (folder / f"{name}.schema.json").write_text(text, encoding="utf-8")
        click.echo(f"wrote {folder / f'{name}.schema.json'}")
