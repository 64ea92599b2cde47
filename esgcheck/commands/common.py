"""What the commands share: options, messages to the user, loading the rule
bases, refusing outputs that would overwrite inputs, writing outputs.

Only click and light modules are imported here; the checker and the rest of the
library are imported when a command uses them.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from esgcheck.safetext import visible_lines

if TYPE_CHECKING:
    from esgcheck.baseline import Baseline
    from esgcheck.checker import Checker
    from esgcheck.engine.userconfig import UserConfig
    from esgcheck.filings.limits import Limits
    from esgcheck.journal import Journal
    from esgcheck.waivers import Waivers

# The exit codes of esgcheck.engine.grading (a test holds them equal), here so
# that parsing options does not import the findings' models.
EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2

# esgcheck.engine.model's severities, worst first (a test holds them equal)
SEVERITIES = ("critical", "major", "minor", "info")
SEVERITY_CHOICES = [*SEVERITIES, "never"]

# the output formats of esgcheck.report (a test holds them equal)
FORMAT_NAMES = ("text", "json", "sarif", "junit", "markdown", "html")


def _default_lang() -> str:
    for var in ("ESGCHECK_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _limits(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Limits:
    from esgcheck.filings.limits import Limits

    settings: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"'{item}': expected NAME=VALUE")
        try:
            number = float(value)
        except ValueError:
            number = 0.0  # not a number: Limits says so
        if not math.isfinite(number) or len(value.strip()) > 30:
            raise click.BadParameter(f"limit {name.strip()}: '{value.strip()[:30]}' is not a "
                                     "finite number of reasonable size / 不是有限的数值")
        settings[name.strip()] = value.strip()
    try:
        return Limits().with_settings(settings)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def new_checker(rules: list[Path] | None, user_config: UserConfig | None = None) -> Checker:
    """A checker of the rule bases in ``rules`` (None: the built-in ones). The
    tests put the session's loaded rule bases here."""
    from esgcheck.checker import Checker

    return Checker(rules, user_config=user_config)


def _load(rules: Sequence[Path], rules_config: Path | None = None) -> Checker:
    import gc

    from esgcheck.engine.rulebase import RuleBaseError
    from esgcheck.engine.userconfig import UserConfigError, load_user_config

    try:
        user_config = load_user_config(rules_config) if rules_config is not None else None
        checker = new_checker(list(rules) or None, user_config=user_config)
    except UserConfigError as exc:
        _say(f"rules configuration error / 规则配置错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    except RuleBaseError as exc:
        _say("rule base errors / 规则库错误:", err=True)
        for problem in exc.problems:
            _say(f"  {problem}", err=True)
        sys.exit(EXIT_INPUT)
    # The compiled rule bases live as long as the process; keeping them out of
    # the cyclic collector's sight makes each filing's collections cheaper.
    gc.freeze()
    return checker


rules_option = click.option(
    "--rules", "rules", multiple=True, type=click.Path(exists=True, file_okay=False,
                                                      path_type=Path),
    help="Rule-base folder, or a folder of rule bases (repeatable). Default: the built-in ones.")
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default=_default_lang,
                           show_default="from the locale", help="Language of the output.")


def _say(text: str, err: bool = False, nl: bool = True) -> None:
    """A message to the user, every control character made visible first
    (file names and values come from filings: see esgcheck.safetext)."""
    click.echo(visible_lines(text), err=err, nl=nl)


def _refuse_inputs(outputs: Sequence[Path], inputs: Sequence[Path | None],
                   journal: Path | None = None) -> None:
    """Exit 2, writing nothing, when an output would overwrite an input (the
    same file by device and inode, through any link), or the journal names a
    file that is not a journal."""
    from esgcheck.outputs import clashes, is_journal

    problems = [f"{out} is the input {given}; an output never overwrites an input / "
                f"输出文件即输入文件 {given}，不会覆盖输入"
                for out, given in clashes([*outputs, *([journal] if journal else [])],
                                          [p for p in inputs if p is not None])]
    if journal is not None and not problems and not is_journal(journal):
        problems.append(f"--journal {journal} exists and is not an esgcheck journal; it is "
                        "left as it is (give a new file or an earlier run's journal) / "
                        "该文件已存在且不是 esgcheck 日志，未改动")
    for problem in problems:
        _say(f"refused / 拒绝写入: {problem}", err=True)
    if problems:
        sys.exit(EXIT_INPUT)


def _outputs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
             ) -> list[tuple[str | None, Path]]:
    """``--output PATH`` (in the --format format) or ``--output FORMAT=PATH``."""
    out: list[tuple[str | None, Path]] = []
    for item in values:
        name, sep, rest = item.partition("=")
        if sep and name in FORMAT_NAMES:
            out.append((name, Path(rest)))
        elif sep and name and "/" not in name and "." not in name:
            raise click.BadParameter(
                f"unknown format '{name}' (formats: {', '.join(FORMAT_NAMES)})")
        else:
            out.append((None, Path(item)))
    return out


def _load_policy(waivers: Path | None, baseline: Path | None
                 ) -> tuple[Waivers | None, Baseline | None]:
    from esgcheck.baseline import BaselineError, load_baseline
    from esgcheck.waivers import WaiverError, load_waivers

    try:
        return (load_waivers(waivers) if waivers is not None else None,
                load_baseline(baseline) if baseline is not None else None)
    except WaiverError as exc:
        _say(f"waiver file error / 豁免文件错误: {exc}", err=True)
    except BaselineError as exc:
        _say(f"baseline error / 基线文件错误: {exc}", err=True)
    sys.exit(EXIT_INPUT)


reading_options = [
    click.option("--as-of", callback=_as_of, metavar="YYYY-MM-DD",
                 help="Date that selects rule-base versions (default: the filing's own "
                 "submission date or reporting period)."),
    rules_option,
    click.option("--type", "filing_type", metavar="FILING-TYPE",
                 help="Filing type, when it cannot be detected (see 'esgcheck schemas list')."),
    click.option("--rules-config", type=click.Path(dir_okay=False, path_type=Path),
                 help="YAML file of configuration values and reference-table rows that "
                 "replace the rule bases' own (dates of new acts, adopted thresholds); the "
                 "report names it and lists the values used."),
]
waiver_options = [
    click.option("--waivers", type=click.Path(dir_okay=False, path_type=Path),
                 help="YAML file of waivers: findings they match are reported as waived, "
                 "with their justification."),
    click.option("--today", callback=_as_of, metavar="YYYY-MM-DD",
                 help="The day waiver expiry is judged on (default: the system date)."),
]


# Filings and folders to check: one that is missing or cannot be read is an
# entry of its own in the report (unreadable, with the reason; exit 2), and the
# others are still checked, so the command line does not refuse the whole run.
FILING_PATHS = click.Path(exists=False, readable=False, path_type=Path)

F = TypeVar("F", bound=Callable[..., Any])


def with_options(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Decorate a command with several shared options, in the order given."""
    def apply(fn: F) -> F:
        for option in reversed(options):
            fn = option(fn)
        return fn
    return apply


# markdown's size bound: 65,536 is what a GitHub pull-request comment holds
markdown_limit_option = click.option(
    "--markdown-limit", type=click.IntRange(min=4096), default=65536, show_default=True,
    metavar="CHARS", help="Markdown: the most characters (counted as UTF-8 bytes) to write; "
    "a longer report keeps the summary, the rules that fired most and the failed filings, "
    "and says what it left out. 1048576 for a GitHub step summary.")


def _format_option(default: str) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                        default=default, show_default=True, help="Output format.")


def _utc_now() -> str:
    """The time now, UTC, to the second, as SARIF writes times."""
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _open_journal(path: Path, settings: dict[str, Any]) -> Journal:
    """The run's journal; exit 2 with the file and place when it cannot be used."""
    from esgcheck.journal import Journal, JournalError

    try:
        return Journal(path, settings)
    except JournalError as exc:
        _say(f"journal error / 日志文件错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)


def _write(path: Path, text: str) -> bool:
    """Write one output, whole or not at all; on failure say why and go on
    with the others."""
    from esgcheck.outputs import write_text

    try:
        write_text(path, text)
    except OSError as exc:
        _say(f"cannot write / 无法写入 {path}: {exc.strerror or exc}", err=True)
        return False
    return True


def _to_output(path: Path | None, text: str) -> None:
    """Write ``text`` to ``path``, or to standard output when there is none;
    exit 2 when it cannot be written (said why)."""
    if path is None:
        click.echo(text, nl=False)
    elif not _write(path, text):
        sys.exit(EXIT_INPUT)
