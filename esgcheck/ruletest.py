"""Data-driven rule tests: one YAML file of named cases per rule.

A rule base keeps its cases in ``tests/<RULE-ID>.yaml``. Each case is a whole
filing, or a JSON merge patch (RFC 7386) on the file's ``base`` filing, and
the findings the rule must produce: every one of them, by outcome and JSON
Pointer, and nothing else. Derive rules list the facts they must derive.

Every case runs twice: on the JSON filing and on its XML form, which proves
that one rule serves both formats. A rule without a case where it fires and a
case where it does not is itself a failure.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from esgcheck.checker import as_of_date
from esgcheck.engine import loaderrors, yamlio
from esgcheck.engine.build import pointer
from esgcheck.engine.chain import Evaluation
from esgcheck.engine.expr.values import MISSING
from esgcheck.engine.files import inside, read_regular
from esgcheck.engine.filing_types import FilingType, Registry
from esgcheck.engine.model import RuleTests, TestCase
from esgcheck.engine.rbload import load_rulebase
from esgcheck.engine.rulebase import CompiledRule, RuleBase, RuleBaseError
from esgcheck.engine.userconfig import Overrides
from esgcheck.filings import jsonread, xmlparse, xmlread

TESTS_DIR = "tests"


@dataclass
class CaseResult:
    rule: str
    case: str
    format: str
    ok: bool
    fires: bool
    detail: str = ""


@dataclass
class RuleReport:
    rule: str
    file: str
    results: list[CaseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unusable: bool = False  # the test file could not be read or one of its cases not run

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.ok for r in self.results)


def normalise(value: Any) -> Any:
    """YAML values as a JSON parser would give them: dates as text, exact decimals."""
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def set_pointers(doc: Any, values: dict[str, Any]) -> Any:
    """Set values at JSON Pointers (``/declarations/0/battery/category``); null
    removes the member. Reaches into arrays, where a merge patch cannot."""
    result = copy.deepcopy(doc)
    for ptr, value in values.items():
        parts = [p.replace("~1", "/").replace("~0", "~") for p in ptr.lstrip("/").split("/")]
        node = result
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        last = parts[-1]
        if isinstance(node, list):
            if value is None:
                del node[int(last)]
            elif int(last) == len(node):
                node.append(copy.deepcopy(value))
            else:
                node[int(last)] = copy.deepcopy(value)
        elif value is None:
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)
    return result


def via_xml(doc: Any, ft: FilingType) -> Any:
    """The document after a round trip through its XML form."""
    assert ft.xml_root is not None
    data = xmlread.to_xml(doc, ft.types, ft.xml_root, ft.xml_namespace)
    mapper = xmlread.XmlMapper(ft.types)
    return mapper.map(xmlparse.parse(data, "case.xml"), ft.id)


def _plain(value: Any) -> Any:
    """A derived value in the form test files write it."""
    if value is MISSING:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return value.normalize()
    return value


class RuleTester:
    def __init__(self, rb: RuleBase, registry: Registry) -> None:
        self.rb = rb
        self.registry = registry
        self.folder = rb.folder / TESTS_DIR
        self._variants: dict[str, RuleBase] = {}

    def files(self) -> dict[str, Path]:
        if not self.folder.is_dir():
            return {}
        return {p.stem: p for p in sorted(self.folder.glob("*.yaml"))}

    def run(self, only: set[str] | None = None, formats: tuple[str, ...] = ("json", "xml")
            ) -> list[RuleReport]:
        files = self.files()
        reports: list[RuleReport] = []
        for rule in self.rb.rules:
            if only and rule.id not in only:
                continue
            path = files.get(rule.id)
            report = RuleReport(rule.id, path.name if path else f"{TESTS_DIR}/{rule.id}.yaml")
            if path is None:
                report.problems.append("no test file")
            else:
                self.run_file(rule, path, report, formats)
            if not any(r.fires for r in report.results):
                report.problems.append("no case where the rule fires")
            if not any(not r.fires for r in report.results):
                report.problems.append("no case where the rule does not fire")
            reports.append(report)
        for stem in sorted(set(files) - {r.id for r in self.rb.rules}):
            if only is None:
                reports.append(RuleReport(stem, files[stem].name,
                                          problems=["test file for an unknown rule"]))
        return reports

    def run_file(self, rule: CompiledRule, path: Path, report: RuleReport,
                 formats: tuple[str, ...]) -> None:
        try:
            located = yamlio.load(path, path.name)
            tests = RuleTests.model_validate(normalise(located.data))
        except yamlio.YamlError as exc:
            report.problems.append(str(exc))
            report.unusable = True
            return
        except ValidationError as exc:
            first = loaderrors.ordered(exc.errors())[0]
            where = tuple(p for p in first["loc"] if isinstance(p, str | int))
            report.problems.append(f"{path.name}:{located.line(where) or '?'}: "
                                   f"{loaderrors.describe(first, RuleTests)}")
            report.unusable = True
            return
        except (ValueError, OverflowError) as exc:  # a scalar YAML resolves but cannot build
            found = loaderrors.bad_scalar(path.read_text(encoding="utf-8", errors="replace"))
            line, why = found or (None, f"invalid YAML: {exc}")
            report.problems.append(f"{path.name}:{line or '?'}: {why}")
            report.unusable = True
            return
        if tests.rule != rule.id:
            report.problems.append(f"{path.name} is for rule {tests.rule}")
            return
        ft = self.registry.get(rule.filing_type)
        assert ft is not None
        base: Any = {}
        if tests.base is not None:
            base_path = self.folder / tests.base
            if not inside(self.rb.folder, base_path):  # ../.., an absolute path, a link out
                report.problems.append(
                    f"{path.name}:{located.line(('base',)) or '?'}: base {tests.base}: "
                    "outside the rule base; not read")
                return
            try:
                raw = read_regular(base_path, yamlio.MAX_BYTES)
                base = jsonread.parse(jsonread.decode(raw, tests.base), tests.base)
            except Exception as exc:
                report.problems.append(f"base {tests.base}: {exc}")
                return
        for n, case in enumerate(tests.cases):
            try:
                doc = (case.filing if case.filing is not None
                       else merge_patch(base, case.patch or {}))
                if case.set:
                    doc = set_pointers(doc, case.set)
                for fmt in formats:
                    if fmt == "xml" and ft.xml_root is None:
                        continue
                    subject = via_xml(doc, ft) if fmt == "xml" else copy.deepcopy(doc)
                    report.results.append(self.run_case(rule, ft, case, subject, fmt))
            except RuleBaseError as exc:  # the case's config or data does not fit the rule base
                report.problems.append(f"{path.name}:{located.line(('cases', n)) or '?'}: case "
                                       f"'{case.name}': " + "; ".join(
                                           p.message for p in exc.problems))
                report.unusable = True
            except (KeyError, IndexError, TypeError, ValueError, AttributeError,
                    RecursionError) as exc:  # a pointer, fact or value the case cannot use
                report.problems.append(f"{path.name}:{located.line(('cases', n)) or '?'}: case "
                                       f"'{case.name}' cannot be run: {type(exc).__name__}: "
                                       f"{str(exc)[:200]}")
                report.unusable = True

    def variant(self, case: TestCase) -> RuleBase:
        """The rule base compiled with a case's configuration values and table rows."""
        if not case.config and not case.data:
            return self.rb
        key = json.dumps([case.config, case.data], sort_keys=True, default=str)
        if key not in self._variants:
            self._variants[key] = load_rulebase(self.rb.folder, self.registry, overrides=Overrides(
                file=f"test case '{case.name}'", config=case.config, data=case.data))
        return self._variants[key]

    def run_case(self, rule: CompiledRule, ft: FilingType, case: TestCase, doc: Any,
                 fmt: str) -> CaseResult:
        rb = self.variant(case)
        rule = rb.rule(rule.id) or rule
        rules = rb.by_type[ft.id]
        as_of, _ = as_of_date(ft, doc, case.as_of)
        evaluation = Evaluation(doc, rules, ft.entities, as_of)
        hits = evaluation.run(rules.active_on(as_of))  # a rule's own window, as in a check
        if rule.is_derive:
            return self.derive_case(rb, rule, case, evaluation, fmt)
        got = Counter(
            (h.outcome, pointer(h.path + rule.at if rule.at else h.path))
            for h in hits if h.rule is rule)
        want = Counter((e.outcome, e.at if e.at is not None else "") for e in case.expect)
        if any(e.at is None for e in case.expect):  # "anywhere": compare outcomes only
            got = Counter((o, "") for o, _ in got.elements())
        ok = got == want
        detail = "" if ok else f"expected {sorted(want.elements())}, got {sorted(got.elements())}"
        return CaseResult(rule.id, case.name, fmt, ok, bool(case.expect), detail)

    def derive_case(self, rb: RuleBase, rule: CompiledRule, case: TestCase,
                    evaluation: Evaluation, fmt: str) -> CaseResult:
        problems: list[str] = []
        fires = False
        for fact in case.derived:
            path = tuple(_pointer_path(fact.at))
            key = (path, fact.fact)
            sig = rb.by_type[rule.filing_type].facts[fact.fact]
            absent = False if sig.type.describe() == "boolean" else MISSING
            value = evaluation.store.values.get(key, absent)
            if _plain(value) != _plain(normalise(fact.value)):
                problems.append(f"{fact.fact}@{fact.at or '/'}: expected {fact.value!r}, "
                                f"got {_plain(value)!r}")
            if value not in (False, MISSING) and any(
                    r is rule for r, _, _ in evaluation.sources(key)):
                fires = True
        return CaseResult(rule.id, case.name, fmt, not problems, fires, "; ".join(problems))


def _pointer_path(ptr: str) -> list[str | int]:
    parts: list[str | int] = []
    for raw in ptr.split("/")[1:] if ptr else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(token) if token.isdigit() else token)
    return parts


def dump_json(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str)
