"""A broken rule base is refused at load, with file, line and rule id."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from esgcheck.checker import PACKAGE_RULES, Checker
from esgcheck.cli import main
from esgcheck.engine.rulebase import RuleBaseError

SCOPE = "cn-eidm/rules/scope.yaml"
REPORT = "cn-eidm/rules/report.yaml"


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE_RULES / "cn-eidm", tmp_path / "cn-eidm")
    return tmp_path


def edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace text in a rule file; return the 1-based line of the replacement."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[:text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def problems(root: Path) -> list[tuple[str, int | None, str | None, str]]:
    with pytest.raises(RuleBaseError) as info:
        Checker([root])
    return [(p.file, p.line, p.rule, p.message) for p in info.value.problems]


def test_the_shipped_rule_bases_load() -> None:
    assert Checker().rulebases


def test_misspelt_field(rules: Path) -> None:
    line = edit(rules, REPORT, "assert: cover.uscc == basic_info.uscc",
                "assert: cover.uscc == basic_info.usc")
    [(file, at, rule, message)] = problems(rules)
    assert (file, at, rule) == (REPORT, line, "CN-EIDM-ANN-008")
    assert "unknown field 'usc'" in message and "uscc" in message


def test_unknown_function(rules: Path) -> None:
    line = edit(rules, REPORT, "assert: cover.uscc == basic_info.uscc",
                "assert: same_code(cover.uscc, basic_info.uscc)")
    [(file, at, rule, message)] = problems(rules)
    assert (file, at, rule) == (REPORT, line, "CN-EIDM-ANN-008")
    assert "unknown function 'same_code'" in message


def test_unit_clash(rules: Path) -> None:
    edit(rules, SCOPE, "assert: fine_amount >= config.art8_fine_threshold",
         "assert: fine_amount >= 100000[t]")
    [(file, _, rule, message)] = problems(rules)
    assert (file, rule) == (SCOPE, "CN-EIDM-SCOPE-003")
    assert "unit clash" in message and "CNY" in message and "mass" in message


def test_text_compared_with_a_number(rules: Path) -> None:
    edit(rules, REPORT, "assert: cover.uscc == basic_info.uscc", "assert: cover.uscc > 3")
    [(_, _, rule, message)] = problems(rules)
    assert rule == "CN-EIDM-ANN-008" and "between string and number" in message


def test_derive_cycle(rules: Path) -> None:
    edit(rules, SCOPE, "value: \"'listed_company' in discloser.categories",
         "value: \"facts.obligated_discloser or 'listed_company' in discloser.categories")
    found = problems(rules)
    assert found and all("derive cycle" in p[3] for p in found)
    assert {p[2] for p in found} >= {"CN-EIDM-SCOPE-D03"}
    assert all(p[0] == SCOPE and p[1] is not None for p in found)


def test_model_error_names_the_field_and_rule(rules: Path) -> None:
    line = edit(rules, REPORT, "    severity: minor\n", "    severity: trivial\n")
    [(file, at, rule, message)] = problems(rules)
    assert (file, at, rule) == (REPORT, line, "CN-EIDM-ANN-008")
    assert "severity" in message


def test_broken_yaml(rules: Path) -> None:
    edit(rules, REPORT, "section: report", "section: [report")
    [(file, at, _, message)] = problems(rules)
    assert file == REPORT and at is not None and "invalid YAML" in message


def test_duplicate_yaml_key(rules: Path) -> None:
    twice = "    severity: minor\n    severity: major\n"
    line = edit(rules, REPORT, "    severity: minor\n", twice)
    [(file, at, _, message)] = problems(rules)
    assert (file, at) == (REPORT, line + 1) and "duplicate key 'severity'" in message


def test_template_parameter_must_exist(rules: Path) -> None:
    edit(rules, REPORT, "differs from the one in the basic information, {basic}.",
         "differs from {basick}.")
    [(_, _, rule, message)] = problems(rules)
    assert rule == "CN-EIDM-ANN-008" and "{basick}" in message


def test_cli_exits_2_with_the_problems(rules: Path) -> None:
    edit(rules, REPORT, "assert: cover.uscc == basic_info.uscc",
         "assert: cover.uscc == basic_info.usc")
    result = CliRunner().invoke(main, ["rules", "lint", "--rules", str(rules)])
    assert result.exit_code == 2
    assert f"{REPORT}:" in result.output and "CN-EIDM-ANN-008" in result.output
