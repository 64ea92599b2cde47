"""The command line. Each command parses options and calls the library."""

from __future__ import annotations

import dataclasses
import errno
import gc
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from esgcheck import __version__, signals
from esgcheck.baseline import Baseline, BaselineError, load_baseline
from esgcheck.checker import Checker, Options, summarize
from esgcheck.engine.findings import SelectionUsed
from esgcheck.engine.grading import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, exit_code
from esgcheck.engine.rulebase import RuleBase, RuleBaseError
from esgcheck.engine.userconfig import UserConfigError, load_user_config
from esgcheck.filings.limits import Limits
from esgcheck.journal import Journal, JournalError
from esgcheck.messages import message
from esgcheck.outputs import clashes, is_journal, write_text
from esgcheck.projectconfig import ProjectConfig, ProjectConfigError
from esgcheck.report import FORMATS, RenderOptions, renderer
from esgcheck.safetext import json_safe, visible_lines
from esgcheck.selection import RuleRef, Selection, SelectionError, did_you_mean, split
from esgcheck.waivers import WaiverError, Waivers, load_waivers, parse_waivers, waiver_yaml

SEVERITY_CHOICES = ["critical", "major", "minor", "info", "never"]


def _default_lang() -> str:
    for var in ("ESGCHECK_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _limits(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Limits:
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


def _load(rules: Sequence[Path], rules_config: Path | None = None) -> Checker:
    try:
        user_config = load_user_config(rules_config) if rules_config is not None else None
        checker = Checker(list(rules) or None, user_config=user_config)
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


_LAZY: dict[str, tuple[str, str, str]] = {}  # command -> module, attribute, summary


class _Main(click.Group):
    """The command group, ending an interrupted run with 130, or 143 for
    SIGTERM (click's own handling exits 1, which here means "a breach was
    found"), and an output
    that cannot be written, standard output on a full device included, with
    a message and 2 instead of a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _LAZY and name not in self.commands:  # listed, not imported
            return click.Command(name, help=_LAZY[name][2])
        return super().get_command(ctx, name)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in _LAZY and args[0] not in self.commands:
            import importlib

            module, attr, _ = _LAZY[args[0]]
            self.add_command(getattr(importlib.import_module(module), attr))
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (esgcheck.signals)
            _say("interrupted; no output was written half / 已中断，未写入不完整的输出", err=True)
            sys.exit(signals.exit_code(exc))
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # click ends quietly on a closed pipe
            where = exc.filename or "standard output / 标准输出"
            _say(f"cannot write / 无法写入 {where}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_INPUT)


def _say(text: str, err: bool = False, nl: bool = True) -> None:
    """A message to the user, every control character made visible first
    (file names and values come from filings: see esgcheck.safetext)."""
    click.echo(visible_lines(text), err=err, nl=nl)


def _refuse_inputs(outputs: Sequence[Path], inputs: Sequence[Path | None],
                   journal: Path | None = None) -> None:
    """Exit 2, writing nothing, when an output would overwrite an input (the
    same file by device and inode, through any link), or the journal names a
    file that is not a journal."""
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


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="esgcheck")
def main() -> None:
    """Check ESG and environmental disclosure filings against rule bases."""


def _outputs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
             ) -> list[tuple[str | None, Path]]:
    """``--output PATH`` (in the --format format) or ``--output FORMAT=PATH``."""
    out: list[tuple[str | None, Path]] = []
    for item in values:
        name, sep, rest = item.partition("=")
        if sep and name in FORMATS:
            out.append((name, Path(rest)))
        elif sep and name and "/" not in name and "." not in name:
            raise click.BadParameter(f"unknown format '{name}' (formats: {', '.join(FORMATS)})")
        else:
            out.append((None, Path(item)))
    return out


def _load_policy(waivers: Path | None, baseline: Path | None
                 ) -> tuple[Waivers | None, Baseline | None]:
    try:
        return (load_waivers(waivers) if waivers is not None else None,
                load_baseline(baseline) if baseline is not None else None)
    except WaiverError as exc:
        _say(f"waiver file error / 豁免文件错误: {exc}", err=True)
    except BaselineError as exc:
        _say(f"baseline error / 基线文件错误: {exc}", err=True)
    sys.exit(EXIT_INPUT)


def _rule_refs(checker: Checker) -> list[RuleRef]:
    return [RuleRef(r.id, r.spec.severity, r.is_derive) for _, r in _all_rules(checker)]


def _find_rule(checker: Checker, rule_id: str) -> tuple[RuleBase, Any]:
    """The rule ``rule_id`` names, in any case; exit 2 naming the nearest ids
    when there is none."""
    want = rule_id.strip().upper()
    for rb, r in _all_rules(checker):
        if r.id.upper() == want:
            return rb, r
    _say(f"no rule {rule_id} / 没有规则 {rule_id}"
         + did_you_mean(rule_id, (r.id for _, r in _all_rules(checker))), err=True)
    sys.exit(EXIT_INPUT)


STRUCTURAL = ("SCHEMA.", "ASOF.")  # finding ids of esgcheck's own, not of a rule base


def _finding_rule_id(checker: Checker, rule_id: str) -> str:
    """A rule id as findings carry it: a rule's (in any case) or a structural
    one (SCHEMA.required); exit 2 naming the nearest ids otherwise."""
    for prefix in STRUCTURAL:
        if rule_id.upper().startswith(prefix) and len(rule_id) > len(prefix):
            return prefix + rule_id[len(prefix):]
    return str(_find_rule(checker, rule_id)[1].id)


def _filing_type(checker: Checker, filing_type: str | None) -> str | None:
    """``--type`` as the registry spells it; exit 2 naming the nearest types."""
    if filing_type is None:
        return None
    known = [ft.id for ft in checker.registry]
    for ft_id in known:
        if ft_id.lower() == filing_type.strip().lower():
            return ft_id
    _say(f"--type: unknown filing type '{filing_type}' / 未知的申报类型"
         + did_you_mean(filing_type, known) + f" (types: {', '.join(known)})", err=True)
    sys.exit(EXIT_INPUT)


def _known_waiver_rules(checker: Checker, waived: Waivers | None) -> Waivers | None:
    """The waivers with each rule id as the rule base spells it; a waiver for a
    rule that does not exist is an error (file, line, the nearest ids), exit 2:
    it would match nothing and the finding it was meant for would still fail."""
    if waived is None:
        return None
    ids = {r.id.upper(): r.id for _, r in _all_rules(checker)}
    problems, entries = [], []
    for w in waived.entries:
        rule = w.entry.rule
        if any(rule.upper().startswith(p) for p in STRUCTURAL):
            canonical: str | None = next(p for p in STRUCTURAL if rule.upper().startswith(p)) \
                + rule.split(".", 1)[1]
        else:
            canonical = ids.get(rule.upper())
        if canonical is None:
            problems.append(f"{waived.file}:{w.line or '?'}: waiver {w.id}: no rule {rule} / "
                            "没有该规则" + did_you_mean(rule, ids.values()))
            continue
        entries.append(w if canonical == rule else dataclasses.replace(
            w, entry=w.entry.model_copy(update={"rule": canonical})))
    for problem in problems:
        _say(f"waiver file error / 豁免文件错误: {problem}", err=True)
    if problems:
        sys.exit(EXIT_INPUT)
    return dataclasses.replace(waived, entries=tuple(entries))


def _select(checker: Checker, selection: Selection, project: ProjectConfig | None) -> None:
    """Switch off the check rules ``selection`` leaves out; exit 2 naming the
    nearest ids for a selector that matches no check rule."""
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
    from esgcheck.projectconfig import discover, load, relative

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


def _check_grade(checker: Checker, grade: str | None) -> None:
    if grade is not None and grade not in checker.grades():
        _say(f"--fail-on-grade: no rule base grades '{grade}' (grades, worst first: "
             f"{', '.join(checker.grades())})", err=True)
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


@main.command()
@click.argument("paths", nargs=-1, required=True, type=FILING_PATHS)
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text",
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
    if store_url is not None or cluster is not None:
        _check_at_scale(paths, fmt, outputs, lang, as_of, rules, filing_type, rules_config,
                        waivers, today, fail_on, fail_on_grade, baseline, evidence, explain,
                        jobs, limit_settings, journal, store_url, label, cluster, ship_files,
                        quiet, fail_on_not_assessable=fail_on_not_assessable,
                        started=started, markdown_limit=markdown_limit,
                        selection=selection, project=project)
        return
    if ship_files or label is not None:
        _say("--label needs --store, --ship-files needs --cluster / 须与 --store 或 --cluster "
             "同用", err=True)
        sys.exit(EXIT_INPUT)
    checker = _load(rules, rules_config)
    _check_grade(checker, fail_on_grade)
    filing_type = _filing_type(checker, filing_type)
    _select(checker, selection, project)
    waived, known = _load_policy(waivers, baseline)
    waived = _known_waiver_rules(checker, waived)
    options = Options(as_of=as_of, filing_type=filing_type, limits=limit_settings)
    record = _open_journal(journal, checker.settings(options)) if journal is not None else None
    try:
        report = checker.check_paths(paths, options, jobs=jobs or os.cpu_count() or 1,
                                     journal=record, fail_on=fail_on)
    finally:
        if record is not None:
            record.close()
    report = checker.settle(report, fail_on, waived, today, known)
    from esgcheck.waivers import policy_notices  # a file that names no filing, or the old way

    for note in policy_notices(report, waived, known):
        _say(note, err=True)
    report = report.model_copy(update={"selection": _selection_used(
        checker, selection, project, {f.filing_type for f in report.filings})})
    if not fail_on_not_assessable:
        report = report.model_copy(update={"summary": summarize(
            report.filings, fail_on, not_assessable=False)})
    code = exit_code(report.filings, fail_on, fail_on_not_assessable)
    if code == EXIT_OK and fail_on_grade is not None and any(
            checker.fails_grade(f, fail_on_grade) for f in report.filings):
        code = EXIT_FINDINGS
    gate = RenderOptions(lang=lang, explain=explain, fail_on=fail_on,
                         fail_on_not_assessable=fail_on_not_assessable, exit_code=code,
                         start_time=started, end_time=_utc_now() if timestamps else None,
                         max_chars=markdown_limit)
    written = True
    for target_fmt, path in outputs:
        name = target_fmt or fmt
        written &= _write(path, renderer(name)(report, dataclasses.replace(
            gate, color=color is True and name == "text")))
    if not any(target_fmt is None for target_fmt, _ in outputs):
        use_color = sys.stdout.isatty() if color is None else color
        click.echo(renderer(fmt)(report, dataclasses.replace(
            gate, color=use_color and fmt == "text")), nl=False)
    if evidence is not None:
        from esgcheck.evidence import write_bundle

        try:
            write_bundle(evidence, report, checker, lang=lang, rules_config=rules_config,
                         waivers=waivers, baseline=baseline, options={
                             "as_of": as_of.isoformat() if as_of else None,
                             "filing_type": filing_type, "fail_on": fail_on,
                             "fail_on_not_assessable": fail_on_not_assessable,
                             "fail_on_grade": fail_on_grade,
                             "limits": dataclasses.asdict(limit_settings)})
        except OSError as exc:
            written = False
            _say(f"cannot write the evidence bundle / 无法写入证据包 {evidence}: "
                 f"{exc.strerror or exc}", err=True)
    sys.exit(code if written else EXIT_INPUT)


def _utc_now() -> str:
    """The time now, UTC, to the second, as SARIF writes times."""
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_at_scale(paths: tuple[Path, ...], fmt: str, outputs: list[tuple[str | None, Path]],
                    lang: str, as_of: date | None, rules: tuple[Path, ...],
                    filing_type: str | None, rules_config: Path | None,
                    waivers: Path | None, today: date | None, fail_on: str,
                    fail_on_grade: str | None, baseline: Path | None, evidence: Path | None,
                    explain: bool, jobs: int, limit_settings: Limits, journal: Path | None,
                    store_url: str | None, label: str | None, cluster_spec: str | None,
                    ship_files: bool, quiet: bool, fail_on_not_assessable: bool = True,
                    started: str | None = None, markdown_limit: int = 65536,
                    selection: Selection | None = None,
                    project: ProjectConfig | None = None) -> None:
    """``check`` into a results store and/or on a Dask cluster: reports are
    written as they finish and not kept, so thousands of filings take no more
    memory than one; standard output gets the run's summary (or, for the
    sarif, junit, markdown and html formats, the report read back from the
    store)."""
    from esgcheck.batch.cluster import Cluster, ClusterError, Setup
    from esgcheck.batch.run import check_into_store
    from esgcheck.results_cli import summary_text
    from esgcheck.store import StoreError, open_store

    if journal is not None or baseline is not None:
        _say("--store and --cluster keep their own record of the run: --journal and "
             "--baseline are not used with them / 不与 --journal、--baseline 同用", err=True)
        sys.exit(EXIT_INPUT)
    selection = selection or Selection()
    if cluster_spec is not None and not selection.is_default:
        _say("rule selection (--select, --extend-select, --ignore, or the configuration "
             "file's) is not yet carried to cluster workers: use --store without --cluster, "
             "or --no-config / 规则选择暂不支持 --cluster", err=True)
        sys.exit(EXIT_INPUT)
    checker = _load(rules, rules_config)
    _check_grade(checker, fail_on_grade)
    filing_type = _filing_type(checker, filing_type)
    _select(checker, selection, project)
    waived, _ = _load_policy(waivers, None)
    waived = _known_waiver_rules(checker, waived)
    options = Options(as_of=as_of, filing_type=filing_type, limits=limit_settings)
    settings_extra = {"waivers": waived.sha256 if waived is not None else None,
                      "today": today.isoformat() if today and waived is not None else None}
    scratch = None
    if store_url is None:  # on a cluster without a store: one for this run only
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="esgcheck-run-")
    try:
        store = open_store(store_url or str(Path(scratch.name if scratch else ".") / "run.db"))
    except StoreError as exc:
        _say(f"store error / 结果库错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    setup = Setup(tuple(str(p.resolve()) for p in rules) or None,
                  str(rules_config) if rules_config else None,
                  rules_config.read_bytes() if rules_config else None)
    try:
        connected = Cluster.connect(cluster_spec) if cluster_spec else None
    except ClusterError as exc:
        _say(f"cluster error / 集群错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    try:
        done = check_into_store(
            checker, list(paths), options, store, label=label, jobs=jobs or os.cpu_count() or 1,
            cluster=connected, setup=setup, ship_files=ship_files,
            progress="none" if quiet else "auto", waivers=waived, today=today,
            settings_extra=settings_extra)
    except StoreError as exc:
        _say(f"store error / 结果库错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    finally:
        if connected is not None:
            connected.close()
    summary = store.summary(done.id)
    written = True
    # with a store, text and json give the run's summary; every other format, and
    # every format on a cluster without a store, shows each filing: read back
    full_formats = ("sarif", "junit", "markdown", "html") if store_url else tuple(FORMATS)
    report = None
    if evidence is not None or any((f or fmt) in full_formats
                                   for f in [*(t for t, _ in outputs), None]):
        from esgcheck.checker import make_report

        filings = [f for _, f in store.iter_filings(done.id)]
        report = make_report(filings, fail_on, checker.configuration(),
                             checker.rule_catalogue(f.filing_type for f in filings
                                                    if f.filing_type is not None))
        update: dict[str, Any] = {"summary": summarize(filings, fail_on,
                                                       fail_on_not_assessable)}
        if done.waivers is not None:
            update["waivers"] = done.waivers
        update["selection"] = _selection_used(checker, selection, project,
                                              {f.filing_type for f in filings})
        report = report.model_copy(update=update)
    # the gate, as without --store: a breach at or above --fail-on, or (unless
    # --no-fail-on-not-assessable) a finding at or above it not assessable
    failed = fail_on != "never" and bool(store.failed(
        done.id, severity=fail_on, not_assessable=fail_on_not_assessable))
    failed |= fail_on_grade is not None and _grades_fail(checker, summary["grades"],
                                                          fail_on_grade)
    code = (EXIT_INPUT if summary["unreadable"] or summary["not_assessed"]
            else EXIT_FINDINGS if failed else EXIT_OK)
    gate = RenderOptions(lang=lang, explain=explain, fail_on=fail_on,
                         fail_on_not_assessable=fail_on_not_assessable, exit_code=code,
                         start_time=started, end_time=_utc_now() if started else None,
                         max_chars=markdown_limit)

    def render(name: str) -> str:
        if name in full_formats and report is not None:
            return renderer(name)(report, gate)
        if name == "json":
            return json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
        return summary_text(summary)

    for target_fmt, path in outputs:
        written &= _write(path, render(target_fmt or fmt))
    if not any(target_fmt is None for target_fmt, _ in outputs):
        click.echo(visible_lines(render(fmt)), nl=False)
    if evidence is not None and report is not None:
        from esgcheck.evidence import write_bundle

        try:
            write_bundle(evidence, report, checker, lang=lang, rules_config=rules_config,
                         waivers=waivers, baseline=None, options={
                             "as_of": as_of.isoformat() if as_of else None,
                             "filing_type": filing_type, "fail_on": fail_on,
                             "fail_on_not_assessable": fail_on_not_assessable,
                             "fail_on_grade": fail_on_grade, "store": store.url,
                             "run": done.id, "limits": dataclasses.asdict(limit_settings)})
        except OSError as exc:
            written = False
            _say(f"cannot write the evidence bundle / 无法写入证据包 {evidence}: "
                 f"{exc.strerror or exc}", err=True)
    store.engine.dispose()
    if scratch is not None:
        scratch.cleanup()
    sys.exit(code if written else EXIT_INPUT)


def _grades_fail(checker: Checker, grades: dict[str, int], threshold: str) -> bool:
    """Whether any of the run's grades is ``threshold`` or worse, by the policy
    of a rule base that gives both."""
    for rb in checker.rulebases:
        order = rb.meta.grading.order
        if threshold in order and any(
                g in order and order.index(g) <= order.index(threshold) for g in grades):
            return True
    return False


def _open_journal(path: Path, settings: dict[str, Any]) -> Journal:
    """The run's journal; exit 2 with the file and place when it cannot be used."""
    try:
        return Journal(path, settings)
    except JournalError as exc:
        _say(f"journal error / 日志文件错误: {exc}", err=True)
        sys.exit(EXIT_INPUT)


def _write(path: Path, text: str) -> bool:
    """Write one output, whole or not at all; on failure say why and go on
    with the others."""
    try:
        write_text(path, text)
    except OSError as exc:
        _say(f"cannot write / 无法写入 {path}: {exc.strerror or exc}", err=True)
        return False
    return True


@main.command()
@click.argument("rule_id", metavar="RULE-ID")
@click.argument("filing_arg", metavar="FILING")
@with_options(*reading_options, *waiver_options)
@click.option("--path", "pointer", help="Waive only at this JSON Pointer (default: the "
              "place of each finding of the rule; '' for anywhere in the filing).")
@click.option("--filings-glob", "--filings", "pattern", help="A pattern over filing names "
              "the waiver is meant to cover, written as filings_glob (default: this filing's "
              "name, literally).")
@click.option("--justification", help="Why the finding is accepted (at least 10 "
              "characters; asked for on a terminal when not given).")
@click.option("--approver", help="Who accepted it (asked for on a terminal).")
@click.option("--ticket", help="Reference of the decision (ticket, memo).")
@click.option("--expires", callback=_as_of, metavar="YYYY-MM-DD",
              help="Last day the waiver applies (asked for on a terminal).")
@click.option("--id", "waiver_id", help="Waiver id (default: W-<n> by position in the file).")
@click.option("--append", "append_to", type=click.Path(dir_okay=False, path_type=Path),
              help="Add the entry to this waiver file (created if missing) instead of "
              "printing it.")
def waive(rule_id: str, filing_arg: str, as_of: date | None, rules: tuple[Path, ...],
          filing_type: str | None, rules_config: Path | None, waivers: Path | None,
          today: date | None, pointer: str | None, pattern: str | None,
          justification: str | None, approver: str | None, ticket: str | None,
          expires: date | None, waiver_id: str | None, append_to: Path | None) -> None:
    """Write a waiver entry for the findings of RULE-ID in FILING (the order of
    why-not; FILING RULE-ID, the old order, still works and says so).

    Without --justification, --approver or --expires, esgcheck asks for them
    on a terminal; when standard input is not a terminal (CI), a missing one
    is a usage error (exit 2)."""
    if Path(rule_id).is_file() and not Path(filing_arg).exists():
        _say(f"deprecated / 已弃用: 'esgcheck waive FILING RULE-ID'; write 'esgcheck waive "
             f"{filing_arg} {rule_id}' (RULE-ID first, as in why-not and explain)", err=True)
        rule_id, filing_arg = filing_arg, rule_id
    filing = Path(filing_arg)
    if not filing.is_file():
        raise click.BadParameter(f"'{filing_arg}' is not a file / 不是文件",
                                 param_hint="FILING")
    justification, approver, expires = _asked(justification, approver, expires)
    _refuse_inputs([append_to] if append_to else [], [filing, rules_config])
    checker = _load(rules, rules_config)
    rule_id = _finding_rule_id(checker, rule_id)
    filing_type = _filing_type(checker, filing_type)
    report = checker.check_paths([filing], Options(as_of=as_of, filing_type=filing_type))
    report = checker.settle(report, waivers=_known_waiver_rules(
        checker, _load_policy(waivers, None)[0]), today=today)
    found = [f for r in report.filings for f in r.findings
             if f.rule_id == rule_id and f.outcome != "waived"]
    if not found:
        fired = sorted({f.rule_id for r in report.filings for f in r.findings})
        _say(f"{rule_id} reports nothing on {report.filings[0].file} / 该规则在此文件上"
             f"没有发现 (findings: {', '.join(fired) or 'none'})", err=True)
        sys.exit(EXIT_INPUT)
    name = report.filings[0].file
    places = [pointer or None] if pointer is not None else sorted(
        {f.location.pointer or None for f in found}, key=lambda p: p or "")
    try:
        from esgcheck.baseline import relative_name  # names relative to the waiver file

        entries = [waiver_yaml(rule_id, pattern or relative_name(
                                   name, append_to.absolute().parent if append_to else Path.cwd()),
                               place, justification, approver,
                               ticket, expires, waiver_id if len(places) == 1 else None,
                               glob=pattern is not None)
                   for place in places]
    except ValueError as exc:
        _say(f"invalid waiver / 豁免条目无效: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if append_to is None:
        _say("waivers:\n" + "".join(entries), nl=False)
        return
    try:
        old = append_to.read_bytes().decode("utf-8") if append_to.exists() else "waivers:\n"
        text = old + ("" if old.endswith("\n") else "\n") + "".join(entries)
        parse_waivers(text.encode("utf-8"), append_to.as_posix())  # what is written loads
    except (OSError, UnicodeDecodeError, WaiverError) as exc:
        _say(f"waiver file error / 豁免文件错误: {exc} (file left unchanged)", err=True)
        sys.exit(EXIT_INPUT)
    if not _write(append_to, text):
        sys.exit(EXIT_INPUT)
    _say(f"added {len(entries)} waiver(s) to {append_to}")


def _asked(justification: str | None, approver: str | None, expires: date | None
           ) -> tuple[str, str, date]:
    """The options a waiver needs, asked for on a terminal when not given;
    without a terminal (CI, a closed standard input) a usage error naming the
    missing ones, never a prompt."""
    missing = [name for name, value in (("--justification", justification),
                                        ("--approver", approver), ("--expires", expires))
               if value is None]
    if missing and not sys.stdin.isatty():
        raise click.UsageError(
            f"missing {', '.join(missing)}: standard input is not a terminal, so esgcheck "
            f"does not ask for {'it' if len(missing) == 1 else 'them'} / 缺少选项 "
            f"{', '.join(missing)}（标准输入不是终端，不会提问）")
    if justification is None:
        justification = click.prompt("Justification")
    if approver is None:
        approver = click.prompt("Approver")
    while expires is None:
        answer = click.prompt("Expires (YYYY-MM-DD)")
        try:
            expires = date.fromisoformat(answer)
        except ValueError:
            _say(f"{answer!r} is not a date (YYYY-MM-DD)", err=True)
    return str(justification), str(approver), expires


@main.command()
@click.argument("report_file", metavar="REPORT.json",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="html",
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
    if output is None:
        click.echo(text, nl=False)
    elif not _write(output, text):
        sys.exit(EXIT_INPUT)


@main.command("why-not")
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


@main.group()
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


# ---------------------------------------------------------------- rules


@main.group()
def rules() -> None:
    """List, show, lint and test rule bases."""


def _all_rules(checker: Checker) -> list[tuple[RuleBase, Any]]:
    return [(rb, r) for rb in checker.rulebases for r in rb.rules]


def _format_option(default: str) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                        default=default, show_default=True, help="Output format.")


@rules.command("list")
@rules_option
@lang_option
@click.option("--rulebase", "rulebase_id", metavar="ID", help="Only this rule base's rules.")
@click.option("--type", "filing_type", metavar="FILING-TYPE",
              help="Only the rules for this filing type.")
@click.option("--severity", type=click.Choice(["critical", "major", "minor", "info"]),
              help="Only check rules of this severity.")
@_format_option("text")
def rules_list(rules: tuple[Path, ...], lang: str, rulebase_id: str | None,
               filing_type: str | None, severity: str | None, fmt: str) -> None:
    """One line per rule, sorted by id: id, rule base, kind, severity, title,
    citation."""
    checker = _load(rules)
    filing_type = _filing_type(checker, filing_type)
    if rulebase_id is not None:
        known = [rb.id for rb in checker.rulebases]
        match = [k for k in known if k.lower() == rulebase_id.strip().lower()]
        if not match:
            _say(f"--rulebase: no rule base '{rulebase_id}' / 没有该规则库"
                 + did_you_mean(rulebase_id, known) + f" (loaded: {', '.join(known)})",
                 err=True)
            sys.exit(EXIT_INPUT)
        rulebase_id = match[0]
    chosen = sorted(((rb, r) for rb, r in _all_rules(checker)
                     if (rulebase_id is None or rb.id == rulebase_id)
                     and (filing_type is None or r.filing_type == filing_type)
                     and (severity is None or r.spec.severity == severity)),
                    key=lambda pair: pair[1].id)
    if fmt == "json":
        click.echo(json.dumps([{
            "id": r.id, "rulebase": rb.id, "filing_type": r.filing_type, "kind": r.spec.kind,
            "severity": r.spec.severity, "section": r.section, "title": r.spec.title.get(lang),
            "citation": rb.citation_text(r.spec.citation, lang),
            "data_check": bool(r.spec.data_check)} for rb, r in chosen],
            ensure_ascii=False, indent=2))
        return
    for rb, r in chosen:
        data = f"  ({message('data_check', lang)})" if r.spec.data_check else ""
        _say(f"{r.id:<22} {rb.id:<16} {r.spec.kind:<6} {r.spec.severity or '-':<8} "
             f"{r.spec.title.get(lang)}  [{rb.citation_text(r.spec.citation, lang)}]{data}")


EXPLAIN_LABELS: dict[str, tuple[str, str]] = {
    "rulebase": ("规则库", "rule base"), "file": ("文件", "file"), "kind": ("类型", "kind"),
    "severity": ("严重程度", "severity"), "entity": ("对象", "entity"),
    "section": ("章节", "section"), "citation": ("依据", "citation"),
    "when": ("适用条件 when", "when"), "assert": ("判定条件 assert", "assert"),
    "derive": ("推导 derive", "derive"), "value": ("取值 value", "value"),
    "message": ("消息", "message"), "remediation": ("整改建议", "remediation"),
    "rationale": ("理由", "rationale"), "notes": ("备注", "notes"),
    "fires": ("示例（触发）", "example (fires)"),
    "quiet": ("示例（不触发）", "example (does not fire)"),
}


def _rule_lines(rb: RuleBase, r: Any, lang: str) -> list[str]:
    """A rule as ``explain`` and ``rules show --format text`` print it, with
    labels in ``lang``."""
    from esgcheck.messages import colon

    def lb(key: str) -> str:
        return EXPLAIN_LABELS[key][0 if lang == "zh" else 1] + colon(lang)

    s = r.spec
    out = [f"{s.id}  {s.title.get(lang)}",
           f"  {lb('rulebase')}{rb.id} ({rb.meta.title.get(lang)})  {lb('file')}"
           f"{r.file}:{r.line}",
           f"  {lb('kind')}{s.kind}   {lb('severity')}{s.severity or '-'}   "
           f"{lb('entity')}{s.entity}   {lb('section')}{r.section or '-'}",
           f"  {lb('citation')}{rb.citation_text(s.citation, lang)}"]
    for key, value in (("when", s.when), ("assert", s.assert_), ("derive", s.derive),
                       ("value", s.value)):
        if value:
            out.append(f"  {lb(key)}{' '.join(value.split())}")
    for key, text in (("message", s.message), ("remediation", s.remediation),
                      ("rationale", s.rationale)):
        if text is not None:
            out.append(f"  {lb(key)}{text.get(lang)}")
    if s.notes:
        out.append(f"  {lb('notes')}{' '.join(s.notes.split())}")
    return out


def _rule_data(rb: RuleBase, r: Any) -> dict[str, Any]:
    data = r.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {"rulebase": rb.id, "file": f"{r.file}:{r.line}", **data}


@rules.command("show")
@click.argument("rule_id", metavar="RULE-ID")
@rules_option
@lang_option
@_format_option("json")
def rules_show(rule_id: str, rules: tuple[Path, ...], lang: str, fmt: str) -> None:
    """The full definition of one rule, as loaded (RULE-ID in any case)."""
    checker = _load(rules)
    rb, r = _find_rule(checker, rule_id)
    if fmt == "json":
        click.echo(json.dumps(_rule_data(rb, r), ensure_ascii=False, indent=2))
    else:
        _say("\n".join(_rule_lines(rb, r, lang)))


@rules.command("lint")
@rules_option
def rules_lint(rules: tuple[Path, ...]) -> None:
    """Load and type-check rule bases; report every problem with file and line."""
    checker = _load(rules)
    from esgcheck.ruletest import RuleTester

    missing = 0
    for rb in checker.rulebases:
        tester = RuleTester(rb, checker.registry)
        files = tester.files()
        for r in rb.rules:
            if r.id not in files:
                click.echo(f"{r.file}:{r.line}: [{r.id}] has no test file "
                           f"{rb.folder.name}/tests/{r.id}.yaml")
                missing += 1
        click.echo(f"{rb.id}: {len(rb.rules)} rules, {len(rb.tables)} tables, "
                   f"{len(rb.calendars)} calendars: loaded")
    sys.exit(EXIT_FINDINGS if missing else EXIT_OK)


@rules.command("test")
@click.argument("rule_ids", nargs=-1)
@rules_option
@click.option("--verbose", "-v", is_flag=True, help="List every case.")
def rules_test(rule_ids: tuple[str, ...], rules: tuple[Path, ...], verbose: bool) -> None:
    """Run the rules' data-driven test cases (JSON and XML forms), of every rule
    or of the RULE-IDs given (in any case). A rule base in a folder of its own
    is given with --rules FOLDER."""
    checker = _load(rules)
    from esgcheck.ruletest import RuleTester

    for given in rule_ids:
        if Path(given).exists():
            _say(f"'{given}' is a path, not a rule id: test the rule base in a folder with "
                 f"'esgcheck rules test --rules {given}' / 这是路径而不是规则编号，请用 --rules",
                 err=True)
            sys.exit(EXIT_INPUT)
    rule_ids = tuple(_find_rule(checker, given)[1].id for given in rule_ids)

    failed = total = unusable = 0
    for rb in checker.rulebases:
        for report in RuleTester(rb, checker.registry).run(set(rule_ids) or None):
            total += 1
            status = "ok" if report.ok else "FAIL"
            if verbose or not report.ok:
                click.echo(f"{status:<5}{report.rule}  ({rb.id}/{report.file})")
            for problem in report.problems:
                _say(f"       {problem}")
            for result in report.results:
                if verbose or not result.ok:
                    mark = "ok" if result.ok else "FAIL"
                    fires = "fires" if result.fires else "quiet"
                    click.echo(f"       {mark:<5}[{result.format}] {result.case} ({fires})"
                               + (f": {result.detail}" if result.detail else ""))
            failed += not report.ok
            unusable += report.unusable
    click.echo(f"{total - failed} of {total} rules pass their cases")
    sys.exit(EXIT_INPUT if unusable else EXIT_FINDINGS if failed else EXIT_OK)


@rules.command("functions")
def rules_functions() -> None:
    """The built-in functions of the expression language, with their signatures."""
    from esgcheck.engine.expr.builtins import BUILTINS

    for name in sorted(BUILTINS):
        builtin = BUILTINS[name]
        click.echo(f"{builtin.signature():<58} {builtin.summary}")


@main.command()
@click.argument("rule_id", metavar="RULE-ID")
@rules_option
@lang_option
@_format_option("text")
def explain(rule_id: str, rules: tuple[Path, ...], lang: str, fmt: str) -> None:
    """What a rule checks, why, and examples of where it fires and where it does
    not (RULE-ID in any case)."""
    checker = _load(rules)
    from esgcheck.ruletest import RuleTester

    rb, r = _find_rule(checker, rule_id)
    examples = [(result.case, result.fires)
                for report in RuleTester(rb, checker.registry).run({r.id}, formats=("json",))
                for result in report.results]
    if fmt == "json":
        click.echo(json.dumps({**_rule_data(rb, r), "examples": [
            {"case": case, "fires": fires} for case, fires in examples]},
            ensure_ascii=False, indent=2))
        return
    from esgcheck.messages import colon

    lines = _rule_lines(rb, r, lang)
    for case, fires in examples:
        label = EXPLAIN_LABELS["fires" if fires else "quiet"][0 if lang == "zh" else 1]
        lines.append(f"  {label}{colon(lang)}{case}")
    _say("\n".join(lines))


# ---------------------------------------------------------------- schemas


@main.group()
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


def _register() -> None:
    """``esgcheck results`` is imported when it is run (it brings SQLAlchemy and
    Alembic, a third of a second that no other command needs): listed by
    ``--help`` from its summary alone."""
    _LAZY["results"] = ("esgcheck.results_cli", "results",
                        "Ask a results store what its runs found (see --store on esgcheck check).")
    # FastAPI and uvicorn load only for the server
    _LAZY["serve"] = ("esgcheck.service.command", "serve",
                      "Serve the HTTP API (/api/v1) over a results store.")
    _LAZY["enterprise"] = ("esgcheck.enterprise.command", "enterprise", "Filings checked together.")


_register()


def _register_init() -> None:
    """``esgcheck init FILING-TYPE``: a skeleton filing (esgcheck.skeleton)."""
    from esgcheck.skeleton import init_command

    main.add_command(init_command)


_register_init()
