"""The command line: the ``esgcheck`` group and its commands, by name.

Each command lives in a module of esgcheck.commands (``init`` in
esgcheck.skeleton, ``serve`` in esgcheck.service.command), imported only when
that command runs or its own help is asked for: ``esgcheck --help`` lists the
commands from the summaries below and ``--version`` loads nothing else, so
neither pays for the checker, pydantic, lxml or the renderers. A test holds
each summary to its command's own help.
"""

from __future__ import annotations

import errno
import importlib
import sys
from typing import Any

import click

from esgcheck import __version__, signals

# command -> module, attribute, the first paragraph of its help
COMMANDS: dict[str, tuple[str, str, str]] = {
    "baseline": ("esgcheck.commands.baseline", "baseline",
                 "Baselines: record today's findings, so that checks report only new ones."),
    "check": ("esgcheck.commands.check", "check",
              "Check filings (files or folders of .json/.xml files)."),
    "enterprise": ("esgcheck.enterprise.command", "enterprise",
                   "Check one enterprise's filings against each other: filings of one USCC "
                   "and year (annual and temporary reports, solid-waste ledgers) are grouped "
                   "and the group is checked by the rule base cn-enterprise."),
    "explain": ("esgcheck.commands.rules", "explain",
                "What a rule checks, why, and examples of where it fires and where it does "
                "not (RULE-ID in any case)."),
    "init": ("esgcheck.commands.init", "init_command",
             "Write a skeleton filing of FILING-TYPE: every field the schema requires and "
             "every field a rule reads, in the schema's order, described, with placeholders "
             "to replace (TODO texts, 2099-12-31, zero amounts). Checking it reports "
             "findings, never a structural error."),
    "render": ("esgcheck.commands.render", "render",
               "Render a report saved with --format json in another format (HTML for the "
               "file, SARIF for code scanning) without checking the filings again."),
    # SQLAlchemy and Alembic, a third of a second, load only for this one
    "results": ("esgcheck.commands.results", "results",
                "Ask a results store what its runs found (see --store on esgcheck check)."),
    "rules": ("esgcheck.commands.rules", "rules", "List, show, lint and test rule bases."),
    "schemas": ("esgcheck.commands.schemas", "schemas",
                "Filing-type schemas and the report schema."),
    # FastAPI and uvicorn load only for the server
    "serve": ("esgcheck.service.command", "serve",
              "Serve the HTTP API (/api/v1) and the web page (/) over a results store."),
    "waive": ("esgcheck.commands.waive", "waive",
              "Write a waiver entry for the findings of RULE-ID in FILING (the order of "
              "why-not; FILING RULE-ID, the old order, still works and says so)."),
    "why-not": ("esgcheck.commands.why_not", "why_not_cmd",
                "Why RULE_ID did not fire on FILING: which part of its guard or condition "
                "held and which did not, with the values read."),
}

EXIT_INPUT = 2  # esgcheck.engine.grading's


def command(name: str) -> click.Command:
    """The command ``name``, its module imported."""
    module, attr, _ = COMMANDS[name]
    found: click.Command = getattr(importlib.import_module(module), attr)
    return found


class _Main(click.Group):
    """The command group, ending an interrupted run with 130, or 143 for
    SIGTERM (click's own handling exits 1, which here means "a breach was
    found"), and an output
    that cannot be written, standard output on a full device included, with
    a message and 2 instead of a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            if ctx.resilient_parsing:  # shell completion: the command's own options
                self.add_command(command(name), name)
            else:  # listed, not imported
                return click.Command(name, help=COMMANDS[name][2])
        return super().get_command(ctx, name)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in COMMANDS and args[0] not in self.commands:
            self.add_command(command(args[0]), args[0])
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


def _say(text: str, err: bool = False) -> None:
    from esgcheck.safetext import visible_lines

    click.echo(visible_lines(text), err=err)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="esgcheck")
def main() -> None:
    """Check ESG and environmental disclosure filings against rule bases."""
