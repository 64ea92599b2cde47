"""``esgcheck enterprise``: an enterprise's filings checked against each other.

    esgcheck enterprise DIR...                      # check each filing, then each group
    esgcheck enterprise --store results.db [--run N]   # the filings of a stored run
    esgcheck enterprise DIR --store results.db --cluster local:4   # both stages on Dask

Standard error says which groups were formed from which files and why (the
places the USCC and year were read), and which filings joined none; the report
(any format of ``esgcheck check``) holds each filing's own report, then one
per group (``enterprise/USCC/YEAR``), then one per filing that joined no group.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from esgcheck.checker import Checker
from esgcheck.engine.grading import EXIT_FINDINGS, exit_code
from esgcheck.engine.rulebase import RuleBaseError
from esgcheck.engine.userconfig import UserConfigError, load_user_config
from esgcheck.enterprise.reference import ReferenceError, with_reference
from esgcheck.enterprise.run import EnterpriseRun, check_enterprises, describe
from esgcheck.report import FORMATS, RenderOptions, renderer
from esgcheck.safetext import visible_lines

EXIT_INPUT = 2


def default_lang() -> str:
    """The output language from the locale, as esgcheck check chooses it."""
    for var in ("ESGCHECK_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _say(text: str) -> None:
    click.echo(visible_lines(text), err=True)


def load(rules: tuple[Path, ...], rules_config: Path | None, ratings: Path | None,
         double_high: Path | None) -> Checker:
    try:
        config = load_user_config(rules_config) if rules_config is not None else None
        config = with_reference(config, ratings, double_high)
        return Checker(list(rules) or None, user_config=config)
    except (UserConfigError, ReferenceError) as exc:
        _say(f"rules configuration error / 规则配置错误: {exc}")
    except RuleBaseError as exc:
        _say("rule base errors / 规则库错误:")
        for problem in exc.problems:
            _say(f"  {problem}")
    sys.exit(EXIT_INPUT)


def stage(checker: Checker, paths: tuple[Path, ...], store_url: str | None, run_id: int | None,
          cluster_spec: str | None, quiet: bool, rules: tuple[Path, ...]) -> EnterpriseRun:
    """Both stages on the folder, or the group stage on a stored run (checking
    the paths into the store first when paths are given), on Dask with a
    cluster."""
    if store_url is None:
        return check_enterprises(checker, list(paths))
    from esgcheck.batch.cluster import ClusterError
    from esgcheck.enterprise.reference import config_bytes
    from esgcheck.enterprise.stored import from_store
    from esgcheck.store import StoreError

    config = checker.user_config
    try:
        return from_store(checker, store_url, list(paths), run_id, cluster_spec, quiet,
                          config_bytes(config) if config is not None else None,
                          tuple(str(p.resolve()) for p in rules) or None)
    except StoreError as exc:
        _say(f"store error / 结果库错误: {exc}")
    except ClusterError as exc:
        _say(f"cluster error / 集群错误: {exc}")
    sys.exit(EXIT_INPUT)


@click.command("enterprise")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--store", "store_url", metavar="URL",
              help="A results store: group the filings of a run in it (with PATHS, check "
                   "them into it first).")
@click.option("--run", "run_id", type=int, help="The stored run to group (default: the latest "
                                                "complete one).")
@click.option("--cluster", "cluster_spec", metavar="local:N|tcp://HOST:PORT",
              help="Run the per-filing checks and the group checks on Dask (needs --store).")
@click.option("--ratings", type=click.Path(dir_okay=False, path_type=Path),
              help="Environmental credit ratings: CSV of uscc, scheme, grade, year, authority.")
@click.option("--double-high", type=click.Path(dir_okay=False, path_type=Path),
              help="双高 products of the 环境保护综合名录: one product name a line.")
@click.option("--groups-only", is_flag=True,
              help="Report only the groups and the filings that joined none.")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text",
              show_default=True)
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report here instead of standard output.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=default_lang,
              show_default="from the locale", help="Language of the output.")
@click.option("--explain", is_flag=True, help="Show each finding's proof tree.")
@click.option("--fail-on", type=click.Choice(["critical", "major", "minor", "info", "never"]),
              default="major", show_default=True)
@click.option("--rules", multiple=True, type=click.Path(exists=True, file_okay=False,
                                                        path_type=Path))
@click.option("--rules-config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Do not list the groups on standard error.")
def enterprise(paths: tuple[Path, ...], store_url: str | None, run_id: int | None,
               cluster_spec: str | None, ratings: Path | None, double_high: Path | None,
               groups_only: bool, fmt: str, output: Path | None, lang: str, explain: bool,
               fail_on: str, rules: tuple[Path, ...], rules_config: Path | None,
               quiet: bool) -> None:
    """Check one enterprise's filings against each other: filings of one USCC and
    year (annual and temporary reports, solid-waste ledgers) are grouped and
    the group is checked by the rule base cn-enterprise.

    Exit 0 when nothing fails --fail-on, 1 when a filing or a group does, 2
    when a filing could not be read, checked or grouped."""
    if not paths and store_url is None:
        _say("give filings or folders, or --store / 请给出文件或目录，或 --store")
        sys.exit(EXIT_INPUT)
    if cluster_spec is not None and store_url is None:
        _say("--cluster needs --store / --cluster 须与 --store 同用")
        sys.exit(EXIT_INPUT)
    checker = load(rules, rules_config, ratings, double_high)
    run = stage(checker, paths, store_url, run_id, cluster_spec, quiet, rules)
    if not quiet:
        for line in describe(run, lang):
            _say(line)
    from esgcheck.checkerparts import make_report

    filings = run.reports[len(run.filings):] if groups_only else run.reports
    report = make_report([checker.in_order(f) for f in filings], fail_on,
                         checker.configuration(), checker.rule_catalogue(
                             {f.filing_type for f in filings if f.filing_type}))
    code = exit_code(report.filings, fail_on)
    text = renderer(fmt)(report, RenderOptions(lang=lang, explain=explain, fail_on=fail_on,
                                               exit_code=code))
    if output is None:
        click.echo(text, nl=False)
    else:
        from esgcheck.outputs import write_text

        write_text(output, text)
    sys.exit(code if code in (EXIT_FINDINGS, EXIT_INPUT, 0) else EXIT_INPUT)


__all__ = ["enterprise"]
