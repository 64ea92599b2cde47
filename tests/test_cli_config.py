"""The project's configuration file (esgcheck.toml, [tool.esgcheck] in
pyproject.toml): found from the working directory up to the repository's root,
paths relative to the file, the command line over the file, unknown keys
named with their line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from esgcheck.cli import main
from esgcheck.projectconfig import ProjectConfigError, discover, load

from .conftest import ROOT

LATE = str(ROOT / "fixtures/cn-eidm-annual/04-late-annual-report.json")
WAIVER = """waivers:
  - rule: CN-EIDM-ANN-002
    filings_glob: "*"
    justification: Late filing accepted by the bureau in writing.
    approver: Li Wei
    expires: 2030-01-31
"""


pytestmark = pytest.mark.usefixtures("one_checker")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repository: its root holds .git; a folder two levels down to work in."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "filings" / "2024").mkdir(parents=True)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def check_json(*args: str) -> tuple[int, dict, str]:
    code, out, err = run("check", "--format", "json", *args)
    return code, (json.loads(out) if out else {}), err


def test_found_from_a_subfolder_with_paths_relative_to_it(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "esgcheck.toml").write_text(
        'ignore = ["severity:minor"]\nwaivers = "policy/waivers.yaml"\nfail-on = "critical"\n',
        encoding="utf-8")
    (repo / "policy").mkdir()
    (repo / "policy" / "waivers.yaml").write_text(WAIVER, encoding="utf-8")
    monkeypatch.chdir(repo / "filings" / "2024")
    code, data, err = check_json("--today", "2025-01-01", LATE)
    assert code == 0, err
    assert data["selection"]["config"] == "../../esgcheck.toml"
    assert data["selection"]["ignore"] == ["severity:minor"]
    assert data["waivers"]["file"] == "../../policy/waivers.yaml"
    assert data["waivers"]["entries"][0]["status"] == "applied"
    assert str(repo) not in json.dumps(data["selection"]) + data["waivers"]["file"]
    # the file's fail-on: the major breach, no longer waived, does not fail under 'critical'
    (repo / "policy" / "waivers.yaml").unlink()
    code, _, err = run("check", LATE)
    assert code == 2 and "../../policy/waivers.yaml" in err  # the file's waivers are gone
    (repo / "esgcheck.toml").write_text('fail-on = "critical"\n', encoding="utf-8")
    code, data, _ = check_json(LATE)
    assert code == 0 and data["summary"]["counts"]["major"] == 1


def test_the_command_line_overrides_the_file(repo: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    (repo / "esgcheck.toml").write_text('fail-on = "never"\nselect = ["CN-EIDM-PMT"]\n'
                                        'ignore = ["CN-EIDM-PMT-003"]\nlang = "zh"\n',
                                        encoding="utf-8")
    monkeypatch.chdir(repo)
    code, data, _ = check_json(LATE)
    assert code == 0 and "CN-EIDM-ANN-002" in data["selection"]["deselected"]
    # --select replaces the file's select; --ignore adds to its ignore
    code, data, _ = check_json("--fail-on", "major", "--select", "CN-EIDM-ANN",
                               "--ignore", "CN-EIDM-ANN-016", LATE)
    assert code == 1
    assert data["selection"]["select"] == ["CN-EIDM-ANN"]
    assert data["selection"]["ignore"] == ["CN-EIDM-PMT-003", "CN-EIDM-ANN-016"]
    code, out, _ = run("check", "--lang", "en", "--no-color", LATE)
    assert "configuration file esgcheck.toml" in out
    code, out, _ = run("check", "--no-color", LATE)
    assert "配置文件 esgcheck.toml" in out  # the file's lang
    code, data, _ = check_json("--no-config", LATE)
    assert code == 1 and data["selection"] is None


def test_pyproject_table_and_the_search_rule(repo: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    sub = repo / "filings"
    (sub / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (repo / "pyproject.toml").write_text('[project]\nname = "y"\n\n[tool.esgcheck]\n'
                                         'fail-on = "never"\n', encoding="utf-8")
    # a pyproject.toml without [tool.esgcheck] is passed over
    assert discover(sub / "2024") == repo / "pyproject.toml"
    # esgcheck.toml comes first in a folder
    (sub / "esgcheck.toml").write_text("", encoding="utf-8")
    assert discover(sub / "2024") == sub / "esgcheck.toml"
    # the search stops at the repository's root
    (sub / "esgcheck.toml").unlink()
    (repo / "pyproject.toml").unlink()
    (repo.parent / "esgcheck.toml").write_text('fail-on = "never"\n', encoding="utf-8")
    try:
        assert discover(sub / "2024") is None
    finally:
        (repo.parent / "esgcheck.toml").unlink()
    monkeypatch.chdir(sub)
    (repo / "pyproject.toml").write_text('[tool.esgcheck]\nfail-on = "never"\n',
                                         encoding="utf-8")
    code, data, _ = check_json(LATE)
    assert code == 0 and data["selection"]["config"] == "../pyproject.toml"


def test_config_option_names_the_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "ci.toml").write_text('ignore = ["CN-EIDM-ANN-002"]\n', encoding="utf-8")
    monkeypatch.chdir(repo / "filings")
    code, data, _ = check_json("--config", str(repo / "ci.toml"), LATE)
    assert code == 0 and data["selection"]["config"] == "../ci.toml"
    code, _, err = run("check", "--config", str(repo / "ci.toml"), "--no-config", LATE)
    assert code == 2 and "exclude each other" in err


@pytest.mark.parametrize("name, text, line, expected", [
    ("esgcheck.toml", 'select = ["CN-EIDM"]\nfail_on = "major"\n', 2,
     "unknown key 'fail_on' / 未知的键 (did you mean fail-on"),
    ("pyproject.toml", '[project]\nname = "x"\n\n[tool.esgcheck]\nlang = "en"\nwaiver = "w"\n',
     6, "unknown key 'waiver'"),
    ("pyproject.toml", '[tool.esgcheck]\n\n[tool.esgcheck.rules]\nx = 1\n', 3,
     "unknown key 'rules'"),
    ("esgcheck.toml", 'fail-on = "severe"\n', 1, "expected critical | major"),
    ("esgcheck.toml", 'ignore = [1]\n', 1, "expected a list of rule ids"),
    ("esgcheck.toml", 'ignore = [\n', 2, "not valid TOML"),
])
def test_a_bad_file_exits_2_naming_file_line_and_key(
        repo: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, line: int,
        expected: str) -> None:
    (repo / name).write_text(text, encoding="utf-8")
    with pytest.raises(ProjectConfigError) as caught:
        load(repo / name, name)
    assert caught.value.line == line
    monkeypatch.chdir(repo / "filings")
    code, out, err = run("check", LATE)
    assert code == 2 and out == ""
    assert f"../{name}:{line}: " in err and expected in err
    assert "Traceback" not in err


def test_unknown_selector_in_the_file_names_the_file(repo: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "esgcheck.toml").write_text('select = ["CN-EIDM-ANN-02"]\n', encoding="utf-8")
    monkeypatch.chdir(repo)
    code, _, err = run("check", LATE)
    assert code == 2 and "(esgcheck.toml)" in err and "did you mean" in err
    assert "CN-EIDM-ANN-002" in err.split("did you mean")[1]
