"""The generic rule test: every shipped rule passes its data-driven cases, in
JSON and in XML, and has a case where it fires and one where it does not."""

from __future__ import annotations

import pytest

from esgcheck.checker import Checker
from esgcheck.ruletest import RuleReport, RuleTester

_CHECKER = Checker()
_REPORTS: dict[str, RuleReport] = {}
for _rb in _CHECKER.rulebases:
    for _report in RuleTester(_rb, _CHECKER.registry).run():
        _REPORTS[_report.rule] = _report


@pytest.mark.parametrize("rule_id", sorted(_REPORTS))
def test_rule_cases(rule_id: str) -> None:
    report = _REPORTS[rule_id]
    failures = [f"[{r.format}] {r.case}: {r.detail}" for r in report.results if not r.ok]
    assert not report.problems, report.problems
    assert not failures, "\n".join(failures)


def test_every_rule_is_covered() -> None:
    rules = {r.id for rb in _CHECKER.rulebases for r in rb.rules}
    assert rules and rules <= set(_REPORTS)


def test_every_rule_cites_an_instrument_of_its_rule_base() -> None:
    for rb in _CHECKER.rulebases:
        for rule in rb.rules:
            citation = rule.spec.citation
            assert rb.instrument(citation.instrument) is not None, rule.id
            if citation.instrument in ("measures", "permit-regulation"):
                assert citation.article, f"{rule.id} cites a law without an article"


def test_the_rule_base_readme_lists_every_rule() -> None:
    for rb in _CHECKER.rulebases:
        readme = (rb.folder / "README.md").read_text(encoding="utf-8")
        missing = [r.id for r in rb.rules if f"`{r.id}`" not in readme]
        assert not missing, f"{rb.folder.name}/README.md does not list {missing}"


def test_explain_works_for_every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from esgcheck.cli import main
    from esgcheck.commands import rules as rules_commands

    # the command as it is, with the rule bases loaded once rather than per rule
    monkeypatch.setattr(rules_commands, "_load", lambda rules, rules_config=None: _CHECKER)
    for rb in _CHECKER.rulebases:
        for rule in rb.rules:
            result = CliRunner().invoke(main, ["explain", rule.id, "--lang", "zh"])
            assert result.exit_code == 0, (rule.id, result.output)
            assert rule.id in result.output and "依据：" in result.output  # the citation
