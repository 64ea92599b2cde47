"""Why a rule did not fire on a filing (``esgcheck why-not RULE FILING``).

A rule stays quiet for one of a few reasons, and the answer names which:
the filing is of another type; the rule base or the rule is not in force on
the as-of date; the filing has no instance of the rule's entity; or, on each
instance, the guard (``when``) is false, or the condition (``assert``) holds.
For the last two, the guard and the condition are split at their top-level
``and`` / ``or`` and every part is evaluated on its own, with the values it
read, so that the answer shows which part held and which did not.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from esgcheck.engine.build import evidence, pointer
from esgcheck.engine.chain import Evaluation, Instance
from esgcheck.engine.expr import parser as ast
from esgcheck.engine.expr.compiler import Compiled, TraceEntry, compile_expr
from esgcheck.engine.expr.values import MISSING, display
from esgcheck.engine.findings import Evidence, Location
from esgcheck.engine.rulebase import CompiledRule, RuleBase
from esgcheck.filings.reader import Filing
from esgcheck.messages import words

Verdict = Literal["not_applicable", "holds", "breach", "not_assessable"]
Reason = Literal["fires", "quiet", "other_type", "not_in_force", "rule_not_in_force",
                 "no_instances"]


@dataclass(frozen=True)
class Part:
    """One operand of a top-level ``and`` / ``or`` of a guard or a condition."""

    text: str
    value: str  # true, false or unknown
    read: list[Evidence]


@dataclass(frozen=True)
class Clause:
    """A guard or a condition: its value, and its parts when it has several."""

    text: str
    value: str
    joiner: str | None  # "and", "or", or None for a single part
    parts: list[Part]


@dataclass(frozen=True)
class InstanceAnswer:
    location: Location
    verdict: Verdict
    guard: Clause | None
    condition: Clause | None


@dataclass(frozen=True)
class Answer:
    rule_id: str
    rulebase: str
    file: str
    filing_type: str
    as_of: date | None
    reason: Reason
    detail: str = ""
    instances: list[InstanceAnswer] = field(default_factory=list)


def split(text: str) -> tuple[str | None, list[str]]:
    """The operands of an expression's top-level ``and`` or ``or`` chain, as
    written; a single operand when its top level is anything else."""
    root = ast.parse(text)
    if not (isinstance(root, ast.Binary) and root.op in ("and", "or")):
        return None, [text.strip()]
    op, cuts = root.op, []
    node: ast.Node = root
    while isinstance(node, ast.Binary) and node.op == op:
        cuts.append(node.pos)
        node = node.left
    cuts.sort()
    bounds = [0, *cuts, len(text)]
    pieces = [text[bounds[i] + (len(op) if i else 0):bounds[i + 1]].strip()
              for i in range(len(bounds) - 1)]
    return op, pieces


def truth(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "unknown" if value is MISSING or value is None else display(value)


class _Explainer:
    def __init__(self, rule: CompiledRule, evaluation: Evaluation, filing: Filing) -> None:
        assert rule.env is not None
        self.rule = rule
        self.evaluation = evaluation
        self.filing = filing
        self.env = rule.env
        self.compiled: dict[str, Compiled] = {}

    def compile(self, text: str) -> Compiled:
        found = self.compiled.get(text)
        if found is None:
            env = dataclasses.replace(self.env, facts_used=set(), functions_used=set())
            found = self.compiled[text] = compile_expr(ast.parse(text), env)
            ctx = self.evaluation.ctx
            while len(ctx.env) < env.slots:
                ctx.env.append(None)
                ctx.paths.append(None)
        return found

    def run(self, text: str) -> tuple[Any, list[TraceEntry]]:
        ctx = self.evaluation.ctx
        trace: list[TraceEntry] = []
        ctx.trace = trace
        try:
            value = self.compile(text).fn(ctx)
        finally:
            ctx.trace = None
        return value, trace

    def clause(self, text: str) -> Clause:
        whole, _ = self.run(text)
        joiner, pieces = split(text)
        parts = []
        for piece in pieces:
            value, trace = self.run(piece)
            read, _notes = evidence(trace, self.filing.location)
            parts.append(Part(" ".join(piece.split()), truth(value), read))
        return Clause(" ".join(text.split()), truth(whole), joiner, parts)

    def instance(self, inst: Instance) -> InstanceAnswer:
        spec = self.rule.spec
        self.evaluation.bind(self.rule, inst)
        place = inst[0] + self.rule.at if self.rule.at else inst[0]
        location = self.filing.location(place)
        guard = self.clause(spec.when) if spec.when else None
        if guard is not None and guard.value == "false":
            return InstanceAnswer(location, "not_applicable", guard, None)
        assert spec.assert_ is not None
        condition = self.clause(spec.assert_)
        verdict: Verdict = "holds" if condition.value == "true" else (
            "breach" if condition.value == "false" else "not_assessable")
        if guard is not None and guard.value == "unknown":
            verdict = "not_assessable"
        return InstanceAnswer(location, verdict, guard, condition)


def why_not(rb: RuleBase, rule: CompiledRule, filing: Filing, as_of: date | None
            ) -> Answer:
    """Why ``rule`` did or did not report on ``filing``."""
    ft = filing.filing_type

    def answer(reason: Reason, detail: str = "",
               instances: list[InstanceAnswer] | None = None) -> Answer:
        return Answer(rule.id, rb.id, filing.file, ft.id, as_of, reason, detail,
                      instances or [])

    if rule.filing_type != ft.id:
        return answer("other_type", rule.filing_type)
    version = rb.version_for(as_of)
    if version is None:
        return answer("not_in_force", ", ".join(
            f"{v.version}: {v.effective_from} to {v.effective_to or '…'}" for v in rb.versions))
    if not rule.applies_on(as_of):
        s = rule.spec
        return answer("rule_not_in_force", f"{s.effective_from or '…'} to {s.effective_to or '…'}")
    rules = rb.by_type[ft.id]
    evaluation = Evaluation(filing.doc, rules, ft.entities, as_of)
    hits = [h for h in evaluation.run(rules.active_on(as_of)) if h.rule is rule]
    instances = evaluation.instances_of(rule.entity)
    if not instances:
        return answer("no_instances", " | ".join(
            "/" + "/".join(p) for p in rule.entity.patterns))
    explainer = _Explainer(rule, evaluation, filing)
    answers = [explainer.instance(inst) for inst in instances]
    fired = {pointer(h.path) for h in hits}
    return answer("fires" if fired else "quiet", "", answers)


_WORDS: dict[str, tuple[str, str]] = {
    "fires": ("{rule} 在 {file} 上有发现：下列实例中标为“不符合”或“无法判定”者",
              "{rule} does report on {file}: see the instances marked breach or not assessable"),
    "quiet": ("{rule} 在 {file} 上没有发现，原因如下",
              "{rule} reports nothing on {file}, because:"),
    "other_type": ("{rule} 适用于申报类型 {detail}，而 {file} 是 {type}",
                   "{rule} applies to filing type {detail}; {file} is {type}"),
    "not_in_force": ("规则库 {rulebase} 在适用日期 {as_of} 未生效（版本：{detail}）",
                     "rule base {rulebase} is not in force on the as-of date {as_of} "
                     "(versions: {detail})"),
    "rule_not_in_force": ("{rule} 在适用日期 {as_of} 不适用（有效期 {detail}）",
                          "{rule} is not in force on the as-of date {as_of} "
                          "(in force {detail})"),
    "no_instances": ("{file} 中没有该规则针对的对象（{detail}）",
                     "{file} has no instance of what the rule checks ({detail})"),
    "not_applicable": ("不适用：前提条件（when）不成立",
                       "does not apply: its guard (when) is false"),
    "holds": ("符合：条件（assert）成立", "holds: its condition (assert) is true"),
    "breach": ("不符合：条件（assert）不成立", "breach: its condition (assert) is false"),
    "not_assessable": ("无法判定：所需数据缺失", "not assessable: data it needs is missing"),
    "when": ("前提 when", "guard (when)"),
    "assert": ("条件 assert", "condition (assert)"),
}
_MARK = {"true": "✓", "false": "✗", "unknown": "?"}


def word(key: str, lang: str, **params: object) -> str:
    return words(_WORDS, key, lang, **params)


def _value(e: Evidence, lang: str) -> str:
    name = f"facts.{e.name}" if e.source == "fact" else e.name
    return f"{name} = {e.display if e.present else word('absent', lang)}"


def render_text(a: Answer, lang: str) -> str:
    """The answer as a reader wants it: the reason first, then each instance
    with the parts of its guard and condition and the values they read."""
    params = {"rule": a.rule_id, "file": a.file, "type": a.filing_type, "detail": a.detail,
              "rulebase": a.rulebase, "as_of": a.as_of.isoformat() if a.as_of else "—"}
    lines = [word(a.reason, lang, **params),
             f"  {word('as_of', lang)}: {params['as_of']}"]
    for inst in a.instances:
        loc = inst.location
        where = loc.place(column=False)
        lines.append(f"- {loc.pointer or '/'}  ({where}): {word(inst.verdict, lang)}")
        for key, clause in (("when", inst.guard), ("assert", inst.condition)):
            if clause is None:
                continue
            lines.append(f"    {word(key, lang)} = {clause.value}: {clause.text}")
            if len(clause.parts) > 1:
                for part in clause.parts:
                    lines.append(f"      {_MARK.get(part.value, '·')} {part.text}  "
                                 f"→ {part.value}")
                    lines.extend(f"          {_value(e, lang)}" for e in part.read)
            else:
                lines.extend(f"        {_value(e, lang)}" for e in clause.parts[0].read)
    return "\n".join(lines) + "\n"
