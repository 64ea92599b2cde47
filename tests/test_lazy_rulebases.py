"""esgcheck's own rule bases are built when a filing of their types is checked:
a run builds only what it needs, and its report is the one a checker that
built everything first writes, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from esgcheck.checker import PACKAGE_RULES, Checker, Options
from esgcheck.engine.findings import Report
from esgcheck.engine.rulebase import RuleBaseError

ROOT = Path(__file__).resolve().parent.parent
ANNUAL = ROOT / "fixtures" / "cn-eidm-annual" / "01-compliant-key-discharger.json"
BATTERY = sorted((ROOT / "fixtures" / "eu-battery-cf").glob("*.json"))[0]


def built(checker: Checker) -> set[str]:
    return {rb.id for rb in checker.rulebases if rb.is_built}


def as_json(report: Report) -> str:
    return report.model_dump_json()


def test_nothing_is_built_until_a_filing_needs_it() -> None:
    checker = Checker()
    assert len(checker.rulebases) >= 8
    assert built(checker) == set()
    # what reports say of every rule base comes from the metadata alone
    assert [c.rulebase for c in checker.configuration()] == [rb.id for rb in checker.rulebases]
    assert checker.grades()
    assert built(checker) == set()
    checker.check_paths([ANNUAL])
    assert built(checker) == {"cn-eidm"}


def test_reports_are_those_of_a_checker_that_built_everything() -> None:
    lazy, eager = Checker(), Checker([PACKAGE_RULES])
    assert built(eager) == {rb.id for rb in eager.rulebases}  # --rules: built at once
    for paths in ([ANNUAL], [BATTERY], [ANNUAL, BATTERY]):
        assert as_json(lazy.check_paths(paths)) == as_json(eager.check_paths(paths))
    assert built(lazy) == {"cn-eidm", "eu-battery"}
    assert (lazy.rule_catalogue(["cn-eidm-annual", "eu-battery-cf"])
            == eager.rule_catalogue(["cn-eidm-annual", "eu-battery-cf"]))


def test_forked_workers_share_what_was_built_before_them() -> None:
    checker = Checker()
    report = checker.check_paths([ANNUAL, ANNUAL], Options(filing_type="cn-eidm-annual"),
                                 jobs=2)
    assert built(checker) == {"cn-eidm"}  # built in this process, then forked
    assert as_json(report) == as_json(Checker().check_paths([ANNUAL, ANNUAL]))
    checker.check_paths([ANNUAL, BATTERY], jobs=2)  # types unknown: everything built first
    assert built(checker) == {rb.id for rb in checker.rulebases}


def test_a_broken_rule_base_given_is_refused_at_once(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "cn-eidm"
    shutil.copytree(PACKAGE_RULES / "cn-eidm", copy)
    (copy / "rules" / "scope.yaml").write_text("rules: [", encoding="utf-8")
    with pytest.raises(RuleBaseError):
        Checker([copy])


def test_the_check_command_builds_only_what_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from esgcheck.cli import main
    from esgcheck.commands import common

    made: list[Checker] = []

    def new_checker(*args: object, **kwargs: object) -> Checker:
        made.append(Checker(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(common, "new_checker", new_checker)
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", "json", str(ANNUAL)])
    assert result.exit_code == 0, result.output
    assert built(made[0]) == {"cn-eidm"}
    # a rule selection names rules of every rule base: those are built to find them
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", "json",
                                       "--ignore", "CN-EIDM-SCOPE", str(ANNUAL)])
    assert result.exit_code == 0, result.output
    assert built(made[1]) == {rb.id for rb in made[1].rulebases}


def test_what_is_built_after_the_loaded_was_frozen_is_frozen_too() -> None:
    import gc

    checker = Checker()
    gc.freeze()  # as the command line does once the rule bases are loaded
    before = gc.get_freeze_count()
    checker.check_paths([ANNUAL])
    assert gc.get_freeze_count() > before
