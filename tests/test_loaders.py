"""Every file esgcheck loads besides filings and journals (waivers, a rules
configuration, baselines, rule bases and their rule files, data files and rule
tests, a saved report given to ``render``) is refused with the file, the place
and what was expected, exit 2, never a traceback; fuzzed, nothing is written
half."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from esgcheck.cli import main
from esgcheck.engine.expr import parser

from .conftest import ROOT

DEMO = ROOT / "tests" / "rulebases" / "demo"
BATTERY_ASSERT = "assert: footprint <= lookup_dated('cf-thresholds', category, declared).max"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def demo(tmp_path: Path) -> Path:
    shutil.copytree(DEMO, tmp_path / "demo")
    return tmp_path / "demo"


# ---------------------------------------------------------------- rule expressions


@pytest.mark.parametrize(("expression", "says"), [
    ("(" * 20_000 + "true" + ")" * 20_000, "longer than 10000 tokens"),
    ("(" * 500 + "true" + ")" * 500, "nests more than 32 levels"),
    ("not " * 200 + "true", "nests more than 32 levels"),
    ("0 < " + "- " * 200 + "1", "nests more than 32 levels"),
    (" or ".join(["true"] * 50_000), "longer than 10000 tokens"),
    (" or ".join(["true"] * 300), "more than 100 operations deep"),
    ("1" + "0" * 200_000 + " > 2", "number literal of 200001 characters"),
    ("1" + "0" * 5_000 + " > 2", "number literal of 5001 characters"),
    ("1." + "0" * 5_000 + " > 2", "number literal of 5002 characters"),
])
def test_expressions_past_the_bounds_are_load_errors(demo: Path, expression: str,
                                                     says: str) -> None:
    rules = demo / "rules" / "battery.yaml"
    text = rules.read_text(encoding="utf-8")
    line = text[:text.index(BATTERY_ASSERT)].count("\n") + 1
    rules.write_text(text.replace(BATTERY_ASSERT, f"assert: {expression}"), encoding="utf-8")
    code, out, err = run("rules", "lint", "--rules", str(demo))
    assert code == 2, (out, err[-2000:])
    assert "Traceback" not in err
    first = err.splitlines()[1]
    assert f"battery.yaml:{line}: [DEMO-BAT-001] syntax: " in first and says in first


def test_the_shipped_rules_are_well_inside_the_bounds() -> None:
    import yaml

    deepest = longest = 0
    for path in sorted((ROOT / "esgcheck" / "rules").glob("*/rules/**/*.yaml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            for text in [rule.get(k) for k in ("when", "assert", "value")] + list(
                    (rule.get("params") or {}).values()):
                if text:
                    longest = max(longest, len(parser.tokenize(text)))
                    deepest = max(deepest, _depth(parser.parse(text)))
    assert deepest * 2 < parser.MAX_DEPTH and longest * 10 < parser.MAX_TOKENS


def _depth(node: parser.Node) -> int:
    children = [c for v in vars(node).values()
                for c in (v if isinstance(v, tuple) else (v,)) if isinstance(c, parser.Node)]
    return 1 + max((_depth(c) for c in children), default=0)


def test_an_expression_at_the_bounds_still_compiles(demo: Path) -> None:
    rules = demo / "rules" / "battery.yaml"
    nested = "(" * 30 + "footprint > 0[kgCO2e/kWh]" + ")" * 30
    chain = " or ".join(["footprint > 0[kgCO2e/kWh]"] * 90)
    text = rules.read_text(encoding="utf-8").replace(
        BATTERY_ASSERT, f"assert: {nested} and ({chain})")
    rules.write_text(text, encoding="utf-8")
    code, _, err = run("rules", "lint", "--rules", str(demo))
    assert code == 0, err
