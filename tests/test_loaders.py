"""Every file esgcheck loads besides filings and journals (waivers, a rules
configuration, baselines, rule bases and their rule files, data files and rule
tests, a saved report given to ``render``) is refused with the file, the place
and what was expected, exit 2, never a traceback; fuzzed, nothing is written
half."""

from __future__ import annotations

import functools
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esgcheck.baseline import BaselineError, load_baseline
from esgcheck.checker import Checker
from esgcheck.cli import main
from esgcheck.engine.expr import parser
from esgcheck.engine.filing_types import default_registry
from esgcheck.engine.rbload import load_rulebase
from esgcheck.engine.rulebase import RuleBaseError
from esgcheck.engine.userconfig import UserConfigError, load_user_config
from esgcheck.ruletest import RuleTester
from esgcheck.waivers import WaiverError, parse_waivers

from .conftest import ROOT

DEMO = ROOT / "tests" / "rulebases" / "demo"
BATTERY_ASSERT = "assert: footprint <= lookup_dated('cf-thresholds', category, declared).max"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


pytestmark = pytest.mark.usefixtures("one_checker")


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


# ---------------------------------------------------------------- fuzzing every loader

settings.register_profile("loaders-ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("loaders-long", max_examples=2_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
FUZZ = "loaders-long" if os.environ.get("ESGCHECK_FUZZ") == "long" else "loaders-ci"
SLOW_EXAMPLES = 500 if FUZZ == "loaders-long" else 25  # each loads a rule base

LATE = ROOT / "fixtures" / "cn-eidm-annual" / "04-late-annual-report.json"
WAIVERS = ("waivers:\n  - id: W-1\n    rule: CN-EIDM-ANN-002\n    filings: a.json\n"
           "    path: /submission/date\n    justification: Accepted by the bureau in writing.\n"
           "    approver: Li Wei\n    ticket: AUD-7\n    expires: 2030-01-31\n"
           "  - rule: SCHEMA.required\n    filings_glob: 'in/*.json'\n"
           "    justification: Known gap, fixed next year.\n    approver: Li Wei\n"
           "    expires: 2026-12-31\n")
CONFIG = ("demo:\n  data:\n    cf-thresholds:\n      - {category: ev, valid_from: 2025-01-01, "
          "max: {value: 90, unit: kgCO2e/kWh}}\n  notes: adopted values\n")

# What hostile and careless files hold: impossible dates, huge integers, deep
# nesting, aliases, tags, control and bidirectional characters, broken quotes.
SNIPPETS = ["2030-13-01", "2024-02-30", "0000-01-01", "1" * 5001, "[" * 3000, "{" * 3000,
            "&a [*a, *a]", "*a", "!!python/object/apply:os.system ['true']", "\x00", "\x1b[2J",
            "\u202e", "\t", ": ", "- ", "'", '"', "\\", "null", "~", "-1", "1e999", ".nan",
            "?", "---", "...", "\ufeff", "中文", "<<: *a", "{a: 1, a: 2}", "%YAML 1.1",
            "filing: x", "waivers: 1", "[]", "{}", "true", "12345678901234567890"]


@st.composite
def mutated(draw: st.DrawFn, text: str) -> bytes:
    """``text`` with a few lines deleted, duplicated, cut or spliced with snippets."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        op = draw(st.sampled_from(["delete", "insert", "splice", "dup", "cut"]))
        snippet = draw(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=8)))
        if op == "delete" and lines:
            del lines[i]
        elif op == "insert":
            lines.insert(i, draw(st.sampled_from(["", "  ", "    "])) + snippet)
        elif op == "splice" and lines:
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + snippet + lines[i][at:]
        elif op == "dup" and lines:
            lines.insert(i, lines[i])
        elif op == "cut" and lines:
            lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b""]))
        data = data[:at] + bad + data[at:]
    return data


def files(text: str) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(text), st.binary(max_size=200))


def named(exc: Exception, name: str) -> None:
    """A loader's error: the file named first, no pydantic text, no traceback."""
    message = str(exc)
    assert message.startswith(name) or f"{name}:" in message, message
    assert "validation error for" not in message and "pydantic.dev" not in message, message


@settings(settings.get_profile(FUZZ))
@given(data=files(WAIVERS))
def test_fuzzed_waiver_files_load_or_name_the_file(data: bytes) -> None:
    try:
        parse_waivers(data, "fuzz-waivers.yaml")
    except WaiverError as exc:
        named(exc, "fuzz-waivers.yaml")


@settings(settings.get_profile(FUZZ))
@given(data=files('{"esgcheck_baseline": 1, "findings": [{"rule_id": "CN-EIDM-ANN-002", '
                  '"file": "a.json", "fingerprint": "ab12", "pointer": "/submission/date", '
                  '"severity": "major"}]}').map(lambda b: b.replace(b"\n", b"")))
def test_fuzzed_baselines_load_or_name_the_file(tmp_path_factory: pytest.TempPathFactory,
                                                data: bytes) -> None:
    path = tmp_path_factory.mktemp("b") / "fuzz-baseline.json"
    path.write_bytes(data)
    try:
        load_baseline(path, "fuzz-baseline.json")
    except BaselineError as exc:
        named(exc, "fuzz-baseline.json")


@settings(settings.get_profile(FUZZ))
@given(data=files(CONFIG))
def test_fuzzed_rules_configurations_load_or_name_the_file(
        tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("c") / "fuzz-config.yaml"
    path.write_bytes(data)
    try:
        config = load_user_config(path, "fuzz-config.yaml")
        Checker([DEMO], user_config=config)
    except UserConfigError as exc:
        named(exc, "fuzz-config.yaml")
    except RuleBaseError as exc:
        assert all(p.file == "fuzz-config.yaml" for p in exc.problems), exc.problems


@pytest.mark.parametrize("rel", ["rulebase.yaml", "rules/battery.yaml",
                                 "data/cf-thresholds.yaml", "schemas/demo-discharge.schema.json"])
@settings(settings.get_profile(FUZZ), max_examples=SLOW_EXAMPLES)
@given(data=st.data())
def test_fuzzed_rule_base_files_load_or_name_the_file(
        tmp_path_factory: pytest.TempPathFactory, rel: str, data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("rb") / "demo"
    shutil.copytree(DEMO, folder)
    (folder / rel).write_bytes(data.draw(files((DEMO / rel).read_text(encoding="utf-8"))))
    try:
        load_rulebase(folder, default_registry(), display_root=folder.parent)
    except RuleBaseError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file.startswith("demo"), problem
            assert "validation error for" not in problem.message


@settings(settings.get_profile(FUZZ), max_examples=SLOW_EXAMPLES)
@given(data=st.data())
def test_fuzzed_rule_tests_run_or_name_the_file(tmp_path_factory: pytest.TempPathFactory,
                                                data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("rt") / "demo"
    shutil.copytree(DEMO, folder)
    target = folder / "tests" / "DEMO-BAT-001.yaml"
    target.write_bytes(data.draw(files(target.read_text(encoding="utf-8"))))
    registry = default_registry()
    rb = load_rulebase(folder, registry)
    [report] = RuleTester(rb, registry).run({"DEMO-BAT-001"}, formats=("json",))
    if report.unusable:
        assert any(p.startswith("DEMO-BAT-001.yaml") for p in report.problems), report.problems


@settings(settings.get_profile(FUZZ), max_examples=SLOW_EXAMPLES)
@given(data=st.data())
def test_fuzzed_saved_reports_render_or_name_the_file(tmp_path_factory: pytest.TempPathFactory,
                                                      data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("render")
    report = folder / "fuzz-report.json"
    report.write_bytes(data.draw(files(_saved_report())))
    out = folder / "out.html"
    code, _, err = run("render", str(report), "-o", str(out))
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert "fuzz-report.json" in err and not out.exists()
        assert not [p for p in folder.iterdir() if p.name.endswith(".part")]


@functools.cache
def _saved_report() -> str:
    return run("check", "--format", "json", str(LATE))[1]


# ---------------------------------------------------------------- each loader on the command line


HOSTILE = [
    ("impossible date", "expires: 2030-13-01", "cannot be read as a date"),
    ("5,001 digits", "ticket: " + "1" * 5001, "5001 digits"),
    ("not UTF-8", "approver: Li \xff Wei", "UTF-8"),
    ("deep", "approver: " + "[" * 3000, "nesting depth"),
    ("aliases", "approver: &a [*a]", ""),
    ("typo", "filing: a.json", "did you mean 'filings'"),
]


@pytest.mark.parametrize(("what", "line", "says"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_broken_waiver_file_is_exit_2_with_file_and_line_and_nothing_written(
        tmp_path: Path, what: str, line: str, says: str) -> None:
    text = WAIVERS.replace("    approver: Li Wei\n    ticket: AUD-7\n", f"    {line}\n", 1)
    if what == "not UTF-8":
        raw = text.encode("utf-8").replace("\xff".encode(), b"\xff")
    else:
        raw = text.replace("approver: Li Wei\n    ticket: AUD-7", line).encode("utf-8")
    path = tmp_path / "w.yaml"
    path.write_bytes(raw)
    out = tmp_path / "out.json"
    code, stdout, err = run("check", str(LATE), "--waivers", str(path), "-o", f"json={out}",
                            "--evidence", str(tmp_path / "ev"))
    assert code == 2 and stdout == "" and "Traceback" not in err
    assert f"{path.as_posix()}:" in err and says in err
    assert not out.exists() and not (tmp_path / "ev").exists()


@pytest.mark.parametrize(("option", "name", "text", "says"), [
    ("--rules-config", "c.yaml", "eu-battery:\n  data:\n    acts:\n      - {id: x, in_force: "
     "2030-13-01}\n", "c.yaml:4: '2030-13-01' cannot be read as a date"),
    ("--rules-config", "c.yaml", "eu-battery:\n  config:\n    energy_tolerance: 1" + "0" * 5000
     + "\n", "c.yaml:3: an integer of 5001 digits"),
    ("--rules-config", "c.yaml", "eu-battery: " + "[" * 3000 + "\n", "c.yaml"),
    ("--rules-config", "c.yaml", "eu-battery:\n  data:\n    thresholds:\n      - {id: ev, "
     "max_footprint: {value: 1, unit: 2030-13-01kg}}\n",
     "c.yaml:4: eu-battery: table thresholds, row 1, max_footprint: unknown unit"),
    ("--baseline", "b.json", "[" * 100_000, "b.json: line 1, column 501: not an esgcheck "
     "baseline: nested more than 500 levels deep"),
    ("--baseline", "b.json", "\xff\xfe{}", "b.json: not UTF-8 text"),
    ("--baseline", "b.json", '{"esgcheck_baseline": 1, "findings": [{"rule": "X"}]}',
     "findings.0.rule: unknown key 'rule'; did you mean 'rule_id'?"),
    ("--baseline", "b.json", '{"esgcheck_baseline": 1' + "0" * 5000 + ', "findings": []}',
     "b.json: line 1, column 23: not an esgcheck baseline: a number of 5001 digits"),
])
def test_a_broken_configuration_or_baseline_is_exit_2_with_file_and_place(
        tmp_path: Path, option: str, name: str, text: str, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode())
    out = tmp_path / "out.json"
    code, stdout, err = run("check", str(LATE), option, str(path), "-o", f"json={out}")
    assert code == 2 and stdout == "" and "Traceback" not in err
    assert says in err.replace(str(tmp_path) + "/", ""), err
    assert not out.exists()


def test_a_rule_base_date_or_schema_ref_is_a_load_error(demo: Path) -> None:
    meta = demo / "rulebase.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(
        "effective_from: 2020-01-01", "effective_from: 2020-13-01"), encoding="utf-8")
    code, _, err = run("rules", "lint", "--rules", str(demo))
    assert code == 2 and "demo/rulebase.yaml:" in err and "'2020-13-01' cannot be read" in err
    shutil.copy(DEMO / "rulebase.yaml", meta)
    schema = demo / "schemas" / "demo-discharge.schema.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["properties"]["evil"] = {"$ref": "http://127.0.0.1:9/schema.json"}
    schema.write_text(json.dumps(data, indent=1), encoding="utf-8")
    code, _, err = run("check", "--rules", str(demo), str(DEMO / "tests" / "base-discharge.json"))
    assert code == 2 and "Traceback" not in err
    assert "demo-discharge.schema.json:" in err and "/properties/evil/$ref" in err
    assert "never fetched" in err


def test_a_rule_base_key_error_is_said_plainly(demo: Path) -> None:
    rules = demo / "rules" / "battery.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "    kind: check\n", "    kind: check\n    severty: major\n", 1), encoding="utf-8")
    code, _, err = run("rules", "lint", "--rules", str(demo))
    assert code == 2 and "unknown key 'severty'; did you mean 'severity'?" in err
    assert "Extra inputs" not in err and "pydantic" not in err


def test_a_broken_rule_test_is_exit_2_with_file_and_line(demo: Path) -> None:
    tests = demo / "tests" / "DEMO-BAT-001.yaml"
    tests.write_text(tests.read_text(encoding="utf-8").replace(
        "patch: {declared: \"2028-01-01\", footprint: {value: 85}}",
        "as_of: 2028-13-01", 1), encoding="utf-8")
    code, out, _ = run("rules", "test", "--rules", str(demo), "DEMO-BAT-001")
    assert code == 2 and "DEMO-BAT-001.yaml:" in out and "'2028-13-01' cannot be read" in out
    tests.write_text("rule: DEMO-BAT-001\ncases:\n  - name: x\n    expectt: []\n",
                     encoding="utf-8")
    code, out, _ = run("rules", "test", "--rules", str(demo), "DEMO-BAT-001")
    assert code == 2 and "DEMO-BAT-001.yaml:4: cases.0.expectt: unknown key 'expectt'" in out
    assert "did you mean 'expect'" in out


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "1e400", "-1", "0",
                                   "1" * 5001])
def test_a_limit_must_be_a_finite_positive_number(value: str) -> None:
    code, _, err = run("check", "--limit", f"seconds={value}", str(LATE))
    assert code == 2 and "Traceback" not in err and "limit seconds" in err


def test_a_saved_report_that_is_not_one_is_named_plainly(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text(_saved_report().replace('"severity": "major"', '"severity": "huge"', 1),
                      encoding="utf-8")
    code, _, err = run("render", str(report))
    assert code == 2 and "r.json" in err and "'huge' is not one of" in err
    assert "validation error" not in err
