"""The command line's layout: each command's module loads only when it runs,
``esgcheck --help`` loads none of the library, and the package's imports go
down its floors (cli → service → batch → store → report → engine ← filings)
with no cycle between packages."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import click
import pytest

from esgcheck import cli
from esgcheck.commands import common

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "esgcheck"


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_the_listed_summary_is_the_commands_own(name: str) -> None:
    real = cli.command(name)
    assert real.name == name
    first = " ".join(inspect.cleandoc(real.help or "").split("\n\n")[0].split())
    assert cli.COMMANDS[name][2] == first
    listed = click.Command(name, help=cli.COMMANDS[name][2])
    for limit in (30, 45, 80, 200):
        assert listed.get_short_help_str(limit) == real.get_short_help_str(limit)


def test_the_copied_constants_are_the_librarys() -> None:
    from esgcheck.engine import grading
    from esgcheck.engine.model import SEVERITIES
    from esgcheck.report import FORMATS

    assert (common.EXIT_OK, common.EXIT_FINDINGS, common.EXIT_INPUT) == (
        grading.EXIT_OK, grading.EXIT_FINDINGS, grading.EXIT_INPUT)
    assert tuple(FORMATS) == common.FORMAT_NAMES
    assert common.SEVERITIES == SEVERITIES


HEAVY = ("esgcheck.checker", "esgcheck.engine", "esgcheck.report", "esgcheck.store",
         "pydantic", "lxml", "yaml", "jsonschema_rs", "sqlalchemy", "fastapi", "uvicorn")


def loaded_by(*args: str) -> list[str]:
    """The heavy modules a fresh process has loaded after ``esgcheck ARGS``."""
    script = ("import sys\nfrom esgcheck.cli import main\n"
              "try:\n    main(sys.argv[1:], prog_name='esgcheck')\n"
              "except SystemExit:\n    pass\n"
              f"print('loaded:', *(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)})
    return out.stdout.splitlines()[-1].split()[1:]


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("check", "--help"),
                                  ("rules", "list", "--help"), ("init", "--help"),
                                  ("results", "--help"), ("serve", "--help")])
def test_help_and_version_load_none_of_the_library(args: tuple[str, ...]) -> None:
    assert loaded_by(*args) == []


def test_a_command_runs_after_its_module_is_loaded() -> None:
    assert "esgcheck.checker" in loaded_by("schemas", "list")


def test_the_command_modules_stay_small() -> None:
    for path in [PACKAGE / "cli.py", *sorted((PACKAGE / "commands").glob("*.py"))]:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 400, f"{path.name}: {lines} lines"


# ---------------------------------------------------------------- the floors

# Top to bottom: a module imports only from its own floor or the floors below.
# The modules of one floor may import each other (no cycle between packages,
# checked below). The leaves (messages, safetext, signals, diskcache, the
# package's own __init__) import nothing of esgcheck's but its version.
FLOORS: list[tuple[str, ...]] = [
    ("__main__", "cli", "commands"),
    ("service",),
    ("enterprise",),
    ("batch",),
    ("store", "checker", "checkergrades", "checkermany", "checkerparts", "evidence",
     "ruletest", "whynot", "skeleton", "schemas_export"),
    ("waivers", "baseline", "journal", "workers", "projectconfig", "selection", "outputs"),
    ("report",),
    ("filings",),
    ("engine",),
    ("messages", "safetext", "signals", "diskcache", ""),
]


def _unit(module: str) -> str:
    """The part of esgcheck a module belongs to: its subpackage or its own name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _floor(module: str) -> int:
    unit = _unit(module)
    return next(n for n, floor in enumerate(FLOORS) if unit in floor)


def _imports() -> dict[str, set[str]]:
    """Each module of esgcheck and the esgcheck modules it imports, at its
    top or inside a function."""
    out: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        out[name] = {m for m in found if m == "esgcheck" or m.startswith("esgcheck.")}
    return out


def test_every_part_of_the_package_is_on_a_floor() -> None:
    units = {_unit(m) for m in _imports()}
    on_floors = {u for floor in FLOORS for u in floor}
    assert units <= on_floors, units - on_floors


def test_imports_go_down_the_floors() -> None:
    up = [f"{m} imports {t}" for m, targets in _imports().items() for t in targets
          if _floor(t) < _floor(m)]
    assert not up


def test_no_cycle_between_parts_of_the_package() -> None:
    graph: dict[str, set[str]] = {}
    for m, targets in _imports().items():
        graph.setdefault(_unit(m), set()).update(
            _unit(t) for t in targets if _unit(t) != _unit(m))
    for start in graph:  # a part reached again from itself
        seen, todo = set(), list(graph[start])
        while todo:
            unit = todo.pop()
            assert unit != start, f"{start} imports itself through {sorted(seen)}"
            if unit not in seen:
                seen.add(unit)
                todo.extend(graph.get(unit, ()))
