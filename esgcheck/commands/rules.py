"""``esgcheck rules ...`` (list, show, lint, test, functions) and ``esgcheck
explain RULE-ID``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from esgcheck.commands.common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_OK,
    _format_option,
    _load,
    _say,
    lang_option,
    rules_option,
)
from esgcheck.commands.lookup import _all_rules, _filing_type, _find_rule
from esgcheck.messages import message
from esgcheck.selection import did_you_mean

if TYPE_CHECKING:
    from esgcheck.engine.rulebase import RuleBase


@click.group()
def rules() -> None:
    """List, show, lint and test rule bases."""


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


@click.command()
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
