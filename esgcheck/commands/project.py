"""The configuration file (esgcheck.toml, [tool.esgcheck]) and the run's rule
selection: options not given on the command line are taken from the file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from esgcheck.commands.common import EXIT_INPUT, _say
from esgcheck.commands.lookup import _rule_refs
from esgcheck.selection import Selection, SelectionError, split

if TYPE_CHECKING:
    from esgcheck.checker import Checker
    from esgcheck.engine.findings import SelectionUsed
    from esgcheck.projectconfig import ProjectConfig

def _select(checker: Checker, selection: Selection, project: ProjectConfig | None) -> None:
    """Switch off the check rules ``selection`` leaves out; exit 2 naming the
    nearest ids for a selector that matches no check rule."""
    if selection.is_default:  # every rule runs: no need to list them (nor build them)
        checker.deselected = frozenset()
        return
    refs = _rule_refs(checker)
    try:
        selection.check(refs)
    except SelectionError as exc:
        where = f" ({project.file})" if project is not None else ""
        for problem in exc.problems:
            _say(f"rule selection{where} / 规则选择: {problem}", err=True)
        sys.exit(EXIT_INPUT)
    checker.deselected = frozenset(selection.deselected(refs))


def _selection_used(checker: Checker, selection: Selection, project: ProjectConfig | None,
                    filing_types: set[str | None]) -> SelectionUsed | None:
    """What the report says of the configuration file and the selection: the
    check rules switched off for the run's filing types, by id."""
    from esgcheck.engine.findings import SelectionUsed

    if project is None and selection.is_default:
        return None
    off = sorted({r.id for rb in checker.rulebases for r in rb.rules
                  if r.id in checker.deselected and r.filing_type in filing_types})
    return SelectionUsed(config=project.file if project else None,
                         select=list(selection.select),
                         extend_select=list(selection.extend_select),
                         ignore=list(selection.ignore), deselected=off)


def _project(config: Path | None, no_config: bool) -> ProjectConfig | None:
    """The configuration file: --config FILE, else the one found from the
    working directory up (see esgcheck.projectconfig); none with --no-config."""
    from esgcheck.projectconfig import ProjectConfigError, discover, load, relative

    if no_config:
        if config is not None:
            raise click.UsageError("--config and --no-config exclude each other")
        return None
    found = config if config is not None else discover(Path.cwd())
    if found is None:
        return None
    try:
        return load(found, relative(found))
    except ProjectConfigError as exc:
        _say(f"configuration file error / 配置文件错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)


def _from_project(project: ProjectConfig | None, name: str, key: str, value: Any) -> Any:
    """An option's value: as given on the command line, else the configuration
    file's (paths relative to the file's folder), else the option's default."""
    ctx = click.get_current_context()
    if project is None or ctx.get_parameter_source(name) not in (
            click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP, None):
        return value
    if key in ("rules-config", "waivers", "baseline"):
        return project.path(key) or value
    given = project.get(key)
    return value if given is None else given


def _selection(project: ProjectConfig | None, select: tuple[str, ...],
               extend_select: tuple[str, ...], ignore: tuple[str, ...]) -> Selection:
    """The run's selection: --select replaces the file's ``select``;
    --extend-select and --ignore add to the file's."""
    own = project.values if project is not None else {}
    return Selection(select=split(select) if select else split(own.get("select", ())),
                     extend_select=split(own.get("extend-select", ())) + split(extend_select),
                     ignore=split(own.get("ignore", ())) + split(ignore))


SELECTOR_HELP = ("a rule id (any case), an id prefix ending at a '-' (CN-EIDM-ANN), "
                 "severity:LEVEL or ALL; comma-separated or repeated")
selection_options = [
    click.option("--select", "select", multiple=True, metavar="SELECTOR",
                 help="Run only the check rules these select (replaces the configuration "
                 f"file's select): {SELECTOR_HELP}."),
    click.option("--extend-select", "extend_select", multiple=True, metavar="SELECTOR",
                 help="Also run the check rules these select."),
    click.option("--ignore", "ignore", multiple=True, metavar="SELECTOR",
                 help="Switch off the check rules these select (adds to the configuration "
                 "file's ignore; ignore wins over select). The report lists them."),
    click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
                 help="The configuration file (default: esgcheck.toml, or [tool.esgcheck] in "
                 "pyproject.toml, in this folder or the nearest one above it, up to the "
                 "repository's root)."),
    click.option("--no-config", is_flag=True, help="Use no configuration file."),
]
