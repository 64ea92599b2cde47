"""``esgcheck waive RULE-ID FILING``: write a waiver entry for a rule's findings."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from esgcheck.commands.common import (
    EXIT_INPUT,
    _as_of,
    _load,
    _refuse_inputs,
    _say,
    _to_output,
)
from esgcheck.commands.lookup import _finding_rule_id
from esgcheck.commands.settled import settled_report, settling_options


@click.command()
@click.argument("rule_id", metavar="RULE-ID")
@click.argument("filing_arg", metavar="FILING")
@settling_options
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
    from esgcheck.waivers import WaiverError, parse_waivers, waiver_yaml

    checker = _load(rules, rules_config)
    rule_id = _finding_rule_id(checker, rule_id)
    report = settled_report(checker, [filing], as_of, filing_type, waivers, today)
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
    _to_output(append_to, text)
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
