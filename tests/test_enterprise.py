"""One enterprise's filings checked against each other: the sample enterprise
folders give their expected groups and findings, a mismatch names both files
and both places, grouping is deterministic and never crosses enterprises, and
the same groups come from a folder, from a results store and from Dask."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from esgcheck.checker import Checker
from esgcheck.enterprise.grouping import Member, group, place
from esgcheck.enterprise.run import EnterpriseRun, check_enterprises, check_members

from .conftest import FIXTURES

FOLDER = FIXTURES / "enterprises"
EXPECTED = yaml.safe_load((FOLDER / "expected-groups.yaml").read_text("utf-8"))


def outcome(run: EnterpriseRun) -> dict[str, object]:
    """What expected-groups.yaml records, from a run."""
    groups = {}
    for g, report in zip(run.groups, run.group_reports, strict=True):
        assert report.file == g.label
        groups[g.key] = {
            "members": [Path(p.file).name for p in g.members],
            "grade": report.grade,
            "findings": sorted(({"rule": f.rule_id, "outcome": f.outcome,
                                 "file": Path(f.location.file).name, "at": f.location.pointer}
                                for f in report.findings), key=lambda d: json.dumps(d))}
    refused = [{"file": Path(r.file).name, "code": r.code,
                "at": r.location.pointer if r.location else None} for r in run.refused]
    return {"groups": groups, "refused": refused}


def expected(name: str) -> dict[str, object]:
    want = EXPECTED[name]
    for g in want["groups"].values():
        g["findings"] = sorted(g["findings"], key=lambda d: json.dumps(d))
    return want  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_enterprise_gives_its_expected_groups(checker: Checker, name: str) -> None:
    run = check_enterprises(checker, [FOLDER / name])
    assert outcome(run) == expected(name)
    # each filing is still checked on its own, first
    assert sorted(Path(f.file).name for f in run.filings) == sorted(
        p.name for p in (FOLDER / name).iterdir())


def test_a_mismatch_names_both_files_and_both_places(checker: Checker) -> None:
    run = check_enterprises(checker, [FOLDER / "02-ledger-records-more-waste"])
    [finding] = run.group_reports[0].findings
    annual = "fixtures/enterprises/02-ledger-records-more-waste/annual-2023.json"
    ledger = "fixtures/enterprises/02-ledger-records-more-waste/ledger-2023.xml"
    assert (finding.location.file, finding.location.pointer) == (
        annual, "/pollution/solid_waste/generated")
    assert finding.location.line is not None and finding.location.column is not None
    places = {e.name: e.location for e in finding.evidence}
    read = places[f"{ledger}#/streams/0/generated"]
    assert read is not None and read.file == ledger and read.pointer == "/streams/0/generated"
    assert read.line is not None and read.xpath is not None  # XML: line and XPath
    assert places[f"{annual}#/pollution/solid_waste/generated"] is not None
    # the message gives both figures; the proof crosses into the ledger
    assert "1860 t" in finding.message.en and "2360 t" in finding.message.en
    [cover] = [n for n in finding.derivation if n.fact == "ledgers_cover_year"]
    assert {e.location.file for e in cover.evidence if e.location} >= {ledger}


def test_grouping_does_not_depend_on_the_order_of_the_filings(checker: Checker) -> None:
    folder = FOLDER / "05-other-enterprise-and-unidentified"
    base = check_enterprises(checker, [folder])
    members = [Member(p.name, json.loads(p.read_text("utf-8"))["filing_type"],
                      json.loads(p.read_text("utf-8")), lambda path: None)  # type: ignore
               for p in sorted(folder.iterdir())]
    first = group(place(m) for m in members)
    for seed in range(5):
        random.Random(seed).shuffle(members)
        assert group(place(m) for m in members) == first
    assert [g.key for g in first[0]] == [g.key for g in base.groups]


def test_a_filing_never_joins_another_enterprises_group(checker: Checker) -> None:
    run = check_enterprises(checker, [FOLDER / "05-other-enterprise-and-unidentified"])
    for g in run.groups:
        block = {"annual": "basic_info", "sustainability": "company", "fi": "institution"}
        codes = {json.loads(Path(p.file).read_text("utf-8"))[block.get(p.role, "enterprise")][
            "uscc"] for p in g.members}
        assert codes == {g.uscc}


def test_a_full_width_code_is_the_same_enterprise(checker: Checker, tmp_path: Path) -> None:
    shutil.copytree(FOLDER / "01-consistent", tmp_path / "x")
    path = tmp_path / "x" / "temporary-penalty.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["enterprise"]["uscc"] = "".join(chr(ord(c) + 0xFEE0) for c in doc["enterprise"]["uscc"])
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    run = check_enterprises(checker, [tmp_path / "x"])
    assert [len(g.members) for g in run.groups] == [3]


def test_a_ledger_across_two_years_and_a_report_without_a_date_join_no_group(
        checker: Checker) -> None:
    ledger = json.loads((FOLDER / "01-consistent" / "ledger-2023.json").read_text("utf-8"))
    ledger["period"] = {"start": "2023-07-01", "end": "2024-06-30", "granularity": "year"}
    temporary = json.loads((FOLDER / "01-consistent" / "temporary-penalty.json")
                           .read_text("utf-8"))
    del temporary["document"]["date"]
    temporary["disclosed"] = "2023-13-40"
    run = check_members(checker, [
        Member("l.json", "cn-solid-waste-ledger", ledger, lambda p: None),  # type: ignore
        Member("t.json", "cn-eidm-temporary", temporary, lambda p: None)])  # type: ignore
    assert run.groups == []
    assert [(r.file, r.code) for r in run.refused] == [("l.json", "two_years"),
                                                      ("t.json", "no_year")]


def test_the_group_schema_is_generated_from_the_member_schemas() -> None:
    from esgcheck.enterprise.schema import SCHEMA_FILE, build, text

    assert SCHEMA_FILE.read_text("utf-8") == text(build()), (
        "stale: run python -m esgcheck.enterprise.schema")


def test_the_sample_folders_are_what_the_builder_writes() -> None:
    from fixtures.enterprises.make import all_files

    for path, data in all_files().items():
        assert path.read_bytes() == data, f"{path} is stale: run fixtures/enterprises/make.py"


@pytest.fixture
def one_checker(monkeypatch: pytest.MonkeyPatch, checker: Checker) -> None:
    """The command's runs share the session's loaded rule bases (as conftest's
    fixture of that name does for esgcheck check); a run with reference data
    or its own rule bases loads its own."""
    import copy

    import esgcheck.commands.common
    import esgcheck.enterprise.command

    def make(rules: object = None, user_config: object = None) -> Checker:
        if rules is None and user_config is None:
            return copy.copy(checker)
        return Checker(rules, user_config=user_config)  # type: ignore[arg-type]

    monkeypatch.setattr(esgcheck.commands.common, "new_checker", make)
    monkeypatch.setattr(esgcheck.enterprise.command, "Checker", make)


def _cli(args: list[str]) -> tuple[int, str, str]:
    from esgcheck import cli

    result = CliRunner().invoke(cli.main, args)
    return result.exit_code, result.stdout, result.stderr


def test_the_command_reports_the_groups_and_why(one_checker: None, tmp_path: Path) -> None:
    code, out, err = _cli(["enterprise", str(FOLDER / "05-other-enterprise-and-unidentified"),
                           "--format", "json"])
    assert code == 2  # a filing could not be grouped
    assert "group 91110000600037341L/2023: annual" in err and "(USCC /basic_info/uscc" in err
    assert "not grouped:" in err and "temporary-without-uscc.json" in err
    report = json.loads(out)
    files = [f["file"] for f in report["filings"]]
    assert "enterprise/91110000600037341L/2023" in files
    refused = [f for f in report["filings"] if f["error"] and f["error"]["code"] == "group.no_uscc"]
    assert refused[0]["error"]["location"]["pointer"] == "/enterprise/uscc"
    code, out, err = _cli(["enterprise", str(FOLDER / "01-consistent"), "--groups-only",
                           "-q", "--format", "json"])
    assert code == 0 and err == ""
    assert [f["file"] for f in json.loads(out)["filings"]] == [
        "enterprise/91110000600037341L/2023"]


def test_reference_ratings_and_products_from_files(tmp_path: Path) -> None:
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("uscc,scheme,grade,year,authority\n"
                       "91110000600037341L,national,环保警示,2023,广东省生态环境厅\n"
                       "91110000600037341L,local,red,2023,广州市生态环境局\n", "utf-8")
    products = tmp_path / "double-high.txt"
    products.write_text("# 双高 products\n有机化学原料\n", "utf-8")
    code, out, _ = _cli(["enterprise", str(FOLDER / "01-consistent"), "--groups-only", "-q",
                         "--format", "json", "--ratings", str(ratings),
                         "--double-high", str(products)])
    [grp] = json.loads(out)["filings"]
    got = sorted((f["rule_id"], f["location"]["file"] if f["location"]["file"].startswith(
        "enterprise/") else Path(f["location"]["file"]).name) for f in grp["findings"])
    assert got == [("CN-ENT-CR-001", "annual-2023.json"),
                   ("CN-ENT-CR-002", "enterprise/91110000600037341L/2023"),
                   ("CN-ENT-HJML-001", "annual-2023.json")]
    assert code == 0  # minor and info: under --fail-on major
    bad = tmp_path / "bad.csv"
    bad.write_text("uscc,scheme,grade,year,authority\nX,national,purple,2023,A\n", "utf-8")
    code, _, err = _cli(["enterprise", str(FOLDER / "01-consistent"), "--ratings", str(bad)])
    assert code == 2 and "bad.csv:2" in err and "purple" in err


def test_groups_from_a_stored_run(one_checker: None, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES.parent)
    db = tmp_path / "results.db"
    folder = "fixtures/enterprises/02-ledger-records-more-waste"
    code, out, _ = _cli(["check", folder, "--store", str(db), "-q"])
    assert code == 0  # each filing on its own is fine
    code, out, err = _cli(["enterprise", "--store", str(db), "--groups-only",
                           "--format", "json"])
    assert code == 1, err
    [grp] = json.loads(out)["filings"]
    assert [f["rule_id"] for f in grp["findings"]] == ["CN-ENT-SW-001"]
    # the same report as from the folder
    code, direct, _ = _cli(["enterprise", folder, "--groups-only", "--format", "json", "-q"])
    assert json.loads(direct)["filings"] == json.loads(out)["filings"]


def test_a_stored_filing_changed_since_joins_no_group(one_checker: None, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FOLDER / "01-consistent", tmp_path / "inbox")
    monkeypatch.chdir(tmp_path)
    assert _cli(["check", "inbox", "--store", "results.db", "-q"])[0] == 0
    ledger = Path("inbox/ledger-2023.json")
    ledger.write_text(ledger.read_text("utf-8").replace("1860", "1861"), "utf-8")
    code, out, err = _cli(["enterprise", "--store", "results.db", "--groups-only",
                           "--format", "json"])
    assert code == 2
    assert "not grouped: inbox/ledger-2023.json" in err
    codes = [f["error"]["code"] for f in json.loads(out)["filings"] if f["error"]]
    assert codes == ["group.changed"]


def test_both_stages_on_dask_give_the_folders_report(one_checker: None, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES.parent)
    folder = "fixtures/enterprises/05-other-enterprise-and-unidentified"
    code, out, err = _cli(["enterprise", folder, "--store", str(tmp_path / "r.db"),
                           "--cluster", "local:1", "--format", "json"])
    assert code == 2, err
    code, direct, _ = _cli(["enterprise", folder, "--format", "json", "-q"])
    on_dask = json.loads(out)["filings"]
    assert on_dask == json.loads(direct)["filings"]
    assert any(f["file"] == "enterprise/91440101MA59XK3R2N/2023" for f in on_dask)


