"""The GitHub Action (action.yml, composite), as far as it runs outside GitHub.

Its inputs are held to the live ``esgcheck check --help``, and its shell steps
are run here with bash the way the runner runs them (``bash --noprofile
--norc -eo pipefail``), with the runner's files (GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY) and expressions (``${{ inputs.x }}``, ``${{
steps.id.outputs.y }}``) simulated. The install step runs for real (a
virtual environment and pip install of this checkout, once for the module);
the ``uses:`` steps (setup-python, upload-sarif) are not run, but their
conditions are evaluated and recorded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.clihelp import commands

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
INPUTS: dict[str, dict[str, Any]] = ACTION["inputs"]
ANNUAL = ROOT / "fixtures" / "cn-eidm-annual"
BATTERY = ROOT / "fixtures" / "eu-battery-cf"

# Inputs that are not an `esgcheck check` option of the same name, and what they are.
NOT_AN_OPTION = {
    "paths": "the PATHS argument",
    "sarif": "--output sarif=FILE",
    "upload-sarif": "the upload step",
    "sarif-category": "the upload step",
    "args": "further options, passed as they are",
    "python-version": "the setup-python step",
}


def test_the_action_is_a_composite_with_the_expected_steps() -> None:
    assert ACTION["runs"]["using"] == "composite"
    uses = [step["uses"].split("@")[0] for step in STEPS if "uses" in step]
    assert uses == ["actions/setup-python", "github/codeql-action/upload-sarif"]
    for step in STEPS:
        if "run" in step:
            assert step["shell"] == "bash"
    upload = next(s for s in STEPS if "upload-sarif" in s.get("uses", ""))
    assert "inputs.upload-sarif == 'true'" in upload["if"]


def _expressions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _expressions(value)
    elif isinstance(node, str):
        yield node


def test_every_input_is_used_and_every_reference_is_an_input() -> None:
    text = "\n".join(_expressions(ACTION["runs"]))
    used = set(re.findall(r"inputs\.([\w-]+)", text))
    assert used == set(INPUTS), (set(INPUTS) - used, used - set(INPUTS))


def test_no_expression_is_pasted_into_a_script() -> None:
    """Inputs reach scripts as environment variables, so a value cannot run as code."""
    for step in STEPS:
        assert "${{" not in step.get("run", ""), step["name"]


def test_every_input_is_an_option_of_check() -> None:
    check = commands()[("check",)]
    for name, spec in INPUTS.items():
        if name in NOT_AN_OPTION:
            continue
        option = check.option(f"--{name}")
        assert option is not None, f"input {name!r} is not an option of esgcheck check"
        assert f"--{name}" in spec["description"], name
        for choice in option.choices:  # the description names every value the CLI takes
            assert choice in spec["description"], (name, choice)
    assert "PATHS" in check.usage
    assert check.option("--output") is not None
    assert check.option("--no-fail-on-not-assessable") is not None
    assert "sarif" in check.option("--format").choices  # type: ignore[union-attr]


# --- running the shell steps ----------------------------------------------------------------


@dataclass
class Run:
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)     # step id or name -> exit code
    skipped: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)           # actions that would run
    logs: dict[str, str] = field(default_factory=dict)
    summary: str = ""


def _value(expr: str, inputs: dict[str, str], run: Run) -> str:
    expr = expr.strip()
    m = re.fullmatch(r"inputs\.([\w-]+)", expr)
    if m:
        return inputs[m.group(1)]
    m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
    if m:
        return run.outputs.get(m.group(1), {}).get(m.group(2), "")
    raise AssertionError(f"expression the simulation does not know: {expr}")


def _substitute(text: str, inputs: dict[str, str], run: Run) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: _value(m.group(1), inputs, run), text)


def _condition(expr: str | None, inputs: dict[str, str], run: Run, failed: bool) -> bool:
    """GitHub's `if:` for the forms action.yml uses; success() unless a status is named."""
    if expr is None:
        return not failed
    python = expr
    has_status = bool(re.search(r"\b(always|success|failure)\(\)", expr))
    python = re.sub(r"(inputs\.[\w-]+|steps\.[\w-]+\.outputs\.[\w-]+)",
                    lambda m: repr(_value(m.group(1), inputs, run)), python)
    python = python.replace("&&", " and ").replace("||", " or ")
    python = re.sub(r"!(?!=)", " not ", python)
    python = (python.replace("always()", "True").replace("success()", repr(not failed))
              .replace("failure()", repr(failed)))
    result = bool(eval(python, {"__builtins__": {}}, {}))  # only the literals built above
    return result if has_status else result and not failed


def _read_outputs(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep:
            out[name] = value
    return out


def simulate(work: Path, given: dict[str, str], *, esgcheck: str | None = None) -> Run:
    """Run the action's steps in `work` with these inputs (the rest at their defaults).

    With `esgcheck`, the install step is taken as done with that executable."""
    inputs = {name: str(spec.get("default", "")) for name, spec in INPUTS.items()}
    unknown = set(given) - set(inputs)
    assert not unknown, unknown
    inputs.update(given)
    temp = work / "_runner_temp"
    temp.mkdir(exist_ok=True)
    summary = temp / "step_summary.md"
    summary.write_text("", encoding="utf-8")
    run = Run()
    failed = False
    for n, step in enumerate(STEPS):
        key = step.get("id") or step["name"]
        if not _condition(step.get("if"), inputs, run, failed):
            run.skipped.append(key)
            continue
        if "uses" in step:
            run.uses.append(step["uses"].split("@")[0])
            continue
        if key == "install" and esgcheck is not None:
            run.outputs[key] = {"esgcheck": esgcheck}
            continue
        output = temp / f"output_{n}"
        output.write_text("", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
        env.update({
            "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
            "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(work),
            "RUNNER_TEMP": str(temp), "NO_COLOR": "1",
        })
        env.update({k: _substitute(str(v), inputs, run) for k, v in step.get("env", {}).items()})
        script = temp / f"step_{n}.sh"
        script.write_text(step["run"], encoding="utf-8")
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=work, env=env, capture_output=True, text=True, timeout=900)
        run.codes[key] = proc.returncode
        run.logs[key] = proc.stdout + proc.stderr
        run.outputs[key] = _read_outputs(output)
        failed = failed or proc.returncode != 0
    run.summary = summary.read_text(encoding="utf-8")
    return run


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The install step, run for real once: a virtual environment with this checkout."""
    work = tmp_path_factory.mktemp("action-install")
    run = simulate(work, {"paths": str(ANNUAL / "01-compliant-key-discharger.json")})
    assert run.codes["install"] == 0, run.logs["install"]
    esgcheck = run.outputs["install"]["esgcheck"]
    assert Path(esgcheck).is_file() and str(work) in esgcheck  # not the test's own esgcheck
    assert run.codes["check"] == 0 and run.codes["Gate"] == 0, run.logs
    return esgcheck


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A checkout with two filings, as a workflow's workspace would hold."""
    (tmp_path / "filings").mkdir()
    for name in ("01-compliant-key-discharger.json", "07-concentration-over-limit.json"):
        shutil.copy(ANNUAL / name, tmp_path / "filings" / name)
    return tmp_path


def test_a_failing_filing_fails_the_job_and_still_gives_sarif_and_summary(
        installed: str, work: Path) -> None:
    run = simulate(work, {"paths": "filings/07-concentration-over-limit.json", "lang": "en"},
                   esgcheck=installed)
    assert run.codes["check"] == 0, run.logs["check"]  # the check step records, the gate fails
    assert run.outputs["check"]["exit-code"] == "1"
    assert run.codes["Gate"] == 1
    assert run.outputs["check"]["sarif"] == "esgcheck.sarif"
    sarif = json.loads((work / "esgcheck.sarif").read_text(encoding="utf-8"))
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "CN-EIDM-PMT-003" in rules
    assert run.uses == ["actions/setup-python", "github/codeql-action/upload-sarif"]
    assert "CN-EIDM-PMT-003" in run.summary and "07-concentration-over-limit.json" in run.summary
    assert "Concentration within its limit" in run.summary  # --lang en reached esgcheck


def test_a_passing_folder_passes(installed: str, work: Path) -> None:
    (work / "filings" / "07-concentration-over-limit.json").unlink()
    run = simulate(work, {"paths": "filings", "fail-on-grade": "C"}, esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "0", run.logs["check"]
    assert run.codes["Gate"] == 0
    assert "01-compliant-key-discharger.json" in run.summary


def test_the_gate_inputs_reach_esgcheck(installed: str, work: Path) -> None:
    both = "filings/01-compliant-key-discharger.json\n  filings/07-concentration-over-limit.json"
    code = {}
    for label, given in {
        "default": {},
        "never": {"fail-on": "never"},
        "never+grade": {"fail-on": "never", "fail-on-grade": "C"},
        "critical": {"fail-on": "critical"},
    }.items():
        run = simulate(work, {"paths": both, **given}, esgcheck=installed)
        code[label] = run.outputs["check"]["exit-code"]
        assert "2 files" in run.logs["check"] or "2 个文件" in run.logs["check"], run.logs
    assert code == {"default": "1", "never": "0", "never+grade": "1", "critical": "1"}

    missing = str(ANNUAL / "13-receipt-date-missing.json")  # grade N: not assessable
    run = simulate(work, {"paths": missing}, esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "1"
    run = simulate(work, {"paths": missing, "fail-on-not-assessable": "false"},
                   esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "0", run.logs["check"]
    run = simulate(work, {"paths": missing, "fail-on-not-assessable": "maybe"},
                   esgcheck=installed)
    assert run.codes["check"] == 2 and run.codes["Gate"] == 2


def test_the_file_inputs_reach_esgcheck(installed: str, work: Path) -> None:
    battery = str(BATTERY / "06-threshold-exceeded-under-user-config.json")
    run = simulate(work, {"paths": battery}, esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "0", run.logs["check"]
    run = simulate(work, {"paths": battery,
                          "rules-config": str(BATTERY / "adopted-acts.yaml")}, esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "1", run.logs["check"]  # grade D with the acts

    failing = "filings/07-concentration-over-limit.json"
    created = subprocess.run([installed, "baseline", "create", failing, "-o", "baseline.json"],
                             cwd=work, capture_output=True, text=True)
    assert created.returncode in (0, 1), created.stderr
    run = simulate(work, {"paths": failing, "baseline": "baseline.json"}, esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "0", run.logs["check"]

    (work / "waivers.yaml").write_text(
        "waivers:\n"
        "  - rule: CN-EIDM-PMT-003\n"
        f"    filings: {failing}\n"
        "    justification: Exceedance reported to the bureau separately (letter 12).\n"
        "    approver: Audit lead\n"
        "    expires: 2030-12-31\n", encoding="utf-8")
    run = simulate(work, {"paths": failing, "waivers": "waivers.yaml", "today": "2026-01-01",
                          "explain": "true"}, esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "0", run.logs["check"]
    assert "waived" in run.summary.lower() or "豁免" in run.summary
    run = simulate(work, {"paths": failing, "waivers": "waivers.yaml", "today": "2031-01-01"},
                   esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "1"  # --today reached: the waiver expired

    run = simulate(work, {"paths": failing, "as-of": "2020-01-01", "type": "cn-eidm-annual"},
                   esgcheck=installed)
    assert "ASOF.before-first-version" in run.logs["check"], run.logs["check"]

    run = simulate(work, {"paths": failing, "rules": str(ROOT / "tests" / "rulebases" / "demo")},
                   esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "2"  # no rule base for the type: --rules reached

    run = simulate(work, {"paths": failing, "args": "--fail-on never"}, esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "0"


def test_without_sarif_nothing_is_uploaded(installed: str, work: Path) -> None:
    run = simulate(work, {"paths": "filings", "sarif": ""}, esgcheck=installed)
    assert "sarif" not in run.outputs["check"]
    assert "github/codeql-action/upload-sarif" not in run.uses
    assert not (work / "esgcheck.sarif").exists()
    run = simulate(work, {"paths": "filings", "upload-sarif": "false"}, esgcheck=installed)
    assert (work / "esgcheck.sarif").exists()
    assert "github/codeql-action/upload-sarif" not in run.uses


def test_a_path_is_never_run_as_a_command(installed: str, work: Path) -> None:
    run = simulate(work, {"paths": '$(touch pwned) `touch pwned2` ";touch pwned3"'},
                   esgcheck=installed)
    assert run.outputs["check"]["exit-code"] == "2"  # three paths that do not exist
    assert not list(work.glob("pwned*"))
