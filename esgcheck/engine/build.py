"""From what the chainer found to report findings: evidence, proof trees, messages.

The engine, not the rule, stamps provenance on a finding: rule id, rule base
and version, citation, location. Locations stay JSON paths until this step,
where the filing's locator turns them into pointers, lines and columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from esgcheck.engine.chain import Evaluation, Hit, Proof
from esgcheck.engine.expr.runtime import FactRead, Note, Read, TraceEntry
from esgcheck.engine.expr.values import MISSING, display
from esgcheck.engine.findings import (
    CitationOut,
    Evidence,
    Finding,
    Location,
    ProofNode,
    fingerprint,
)
from esgcheck.engine.model import Text, render_template
from esgcheck.engine.rulebase import RuleBase
from esgcheck.engine.units import Quantity
from esgcheck.messages import message

JsonPath = tuple[str | int, ...]
Locate = Callable[[JsonPath], Location]


def pointer(path: JsonPath) -> str:
    """RFC 6901 JSON Pointer of a path."""
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in path)


# Integers beyond this are written as text, as exact decimals are: a JSON reader
# may hold numbers as doubles (exact only to 2^53), and Python's own writer
# refuses integers of more than 4,300 digits.
_JSON_INT = 2 ** 53


def json_value(value: Any) -> tuple[Any, str | None]:
    """A value as JSON: exact decimals and integers beyond 2^53 become strings;
    quantities split off their unit."""
    if value is MISSING:
        return None, None
    if isinstance(value, Quantity):
        return json_value(value.exact)[0], value.unit.symbol
    if isinstance(value, Decimal) or (
            isinstance(value, int) and not -_JSON_INT < value < _JSON_INT):
        return display(value), None
    if isinstance(value, date):
        return value.isoformat(), None
    if isinstance(value, bool | int | str) or value is None:
        return value, None
    if isinstance(value, list | tuple | frozenset):
        return [json_value(v)[0] for v in value], None
    return display(value), None


def raw_value(raw: Any) -> tuple[Any, str | None]:
    """An unreadable value as the filing gives it: a {value, unit} object splits
    into its two parts; containers are shown as their kind."""
    if isinstance(raw, dict) and ("value" in raw or "unit" in raw):
        value, unit = raw.get("value"), raw.get("unit")
        return (json_value(value)[0] if not isinstance(value, dict | list) else "…",
                unit if isinstance(unit, str) else None)
    if isinstance(raw, dict | list):
        return ("{…}" if isinstance(raw, dict) else "[…]"), None
    return json_value(raw)[0], None


def evidence(trace: list[TraceEntry], locate: Locate, facts: bool = True
             ) -> tuple[list[Evidence], list[str]]:
    """The values a trace read, each once, and its notes; ``facts`` false: without
    the facts it read (a proof shows them as the proofs below it)."""
    items: list[Evidence] = []
    notes: list[str] = []
    seen: set[tuple[str, str]] = set()
    for entry in trace:
        if isinstance(entry, Note):
            if entry.text not in notes:
                notes.append(entry.text)
            continue
        # a value read twice is evidence once (the first read): its key is known
        # before the item is built, so a repeated read builds nothing
        if isinstance(entry, FactRead):
            if not facts:
                continue
            key = ("fact", f"{pointer(entry.path)}#{entry.name}")
            if key in seen:
                continue
            item = Evidence(source="fact", name=entry.name, value=json_value(entry.value)[0],
                            display=display(entry.value), present=entry.value is not MISSING,
                            location=locate(entry.path))
        else:
            assert isinstance(entry, Read)
            if isinstance(entry.value, dict | list):
                continue  # containers are where values live, not values themselves
            key = (("reference", entry.label) if entry.path is None
                   else ("filing", pointer(entry.path)))
            if key in seen:
                continue
            if entry.path is None:
                value, unit = json_value(entry.value)
                item = Evidence(source="reference", name=entry.label, value=value, unit=unit,
                                display=display(entry.value), present=entry.value is not MISSING)
            elif entry.problem is not None:
                value, unit = raw_value(entry.raw)
                item = Evidence(source="filing", name=key[1], value=value, unit=unit,
                                display=f"{value} {unit}" if unit else str(value),
                                problem=entry.problem, location=locate(entry.path))
            else:
                value, unit = json_value(entry.value)
                item = Evidence(source="filing", name=key[1], value=value, unit=unit,
                                display=display(entry.value),
                                present=entry.value is not MISSING,
                                location=locate(entry.path))
        seen.add(key)
        items.append(item)
    return items, notes


ProofNodes = dict[tuple[int, int], ProofNode]  # (id of a proof, its depth) -> its node


def proof_node(proof: Proof, locate: Locate, depth: int = 0,
               built: ProofNodes | None = None) -> ProofNode:
    """The proof as a report shows it, 16 levels deep at most. ``built`` keeps
    the nodes made for one filing: its findings often rest on the same facts
    (an obligation that every check of the report waits for), whose proofs
    are then made once. (A node is not changed once made.)"""
    key = (id(proof), depth)
    if built is not None and (found := built.get(key)) is not None:
        return found
    items, notes = evidence(proof.trace, locate, facts=False)
    node = ProofNode(
        fact=proof.name, entity=pointer(proof.path), value=display(proof.value),
        rules=proof.rules, evidence=items, notes=notes,
        because=[proof_node(p, locate, depth + 1, built) for p in proof.because]
        if depth < 16 else [],
    )
    if built is not None:
        built[key] = node
    return node


def citation(rb: RuleBase, hit_rule: Any) -> CitationOut:
    c = hit_rule.spec.citation
    instrument = rb.instrument(c.instrument)
    return CitationOut(
        instrument=c.instrument,
        instrument_title=instrument.title if instrument else None,
        document_number=instrument.number if instrument else None,
        article=c.article, paragraph=c.paragraph, item=c.item, section=c.section,
        text=Text(zh=rb.citation_text(c, "zh"), en=rb.citation_text(c, "en")),
    )


def unreadable_values(items: list[Evidence], lang: str) -> str:
    """The values a finding read that are there but unreadable, with why, to
    follow a rule's own "cannot decide" message ("" when there are none)."""
    named = [f"{e.name} = {e.display}: {e.problem.get(lang)}" for e in items
             if e.problem is not None]
    if not named:
        return ""
    return f"（{'；'.join(named)}）" if lang == "zh" else f" ({'; '.join(named)})"


def _unknown_inputs(node: ProofNode) -> list[Evidence]:
    """The filing's values a fact that could not be derived rests on and that
    are absent or unreadable, through its proof."""
    out = [e for e in node.evidence if e.source == "filing" and (
        not e.present or e.problem is not None)]
    for child in node.because:
        if child.value == "—":
            out.extend(_unknown_inputs(child))
    return out


def _named(e: Evidence, lang: str) -> str:
    return (f"{e.name} = {e.display}: {e.problem.get(lang)}" if e.problem is not None
            else e.name)


def not_assessable_message(items: list[Evidence], notes: list[str],
                           derivation: list[ProofNode] | None = None) -> Text:
    """"Not assessable" naming the data that is missing, and each value that is
    there but unreadable with what was found and what was expected. A derived
    fact that could not be derived is named by the filing's values behind it,
    where its proof shows them, rather than by its own name."""
    behind = {node.fact: _unknown_inputs(node) for node in derivation or []
              if node.value == "—"}

    def fields(lang: str) -> str:
        named: list[str] = []
        for e in items:
            if e.problem is None and e.present:
                continue
            inputs = behind.get(e.name) if e.source == "fact" else None
            named.extend(_named(x, lang) for x in inputs) if inputs else named.append(
                _named(e, lang))
        return "; ".join(dict.fromkeys(named) or notes or ["—"])

    return Text(zh=message("na.message", "zh", fields=fields("zh")),
                en=message("na.message", "en", fields=fields("en")))


def build_finding(hit: Hit, rb: RuleBase, version: str, evaluation: Evaluation,
                  locate: Locate, built: ProofNodes | None = None) -> Finding:
    """The finding of a hit; ``built``, the proof nodes made for the filing's
    other findings (see proof_node)."""
    rule = hit.rule
    spec = rule.spec
    items, notes = evidence(hit.trace, locate)
    seen_facts: set[tuple[JsonPath, str]] = set()
    derivation: list[ProofNode] = []
    for entry in hit.trace:
        if isinstance(entry, FactRead) and (entry.path, entry.name) not in seen_facts:
            seen_facts.add((entry.path, entry.name))
            derivation.append(proof_node(evaluation.proof(entry), locate, 0, built))
    if hit.outcome == "breach":
        assert spec.message is not None
        message = Text(zh=render_template(spec.message.zh, hit.params),
                       en=render_template(spec.message.en, hit.params))
    elif spec.unknown is not None:
        message = Text(zh=render_template(spec.unknown.zh, hit.params)
                       + unreadable_values(items, "zh"),
                       en=render_template(spec.unknown.en, hit.params)
                       + unreadable_values(items, "en"))
    else:
        message = not_assessable_message(items, notes, derivation)
    remediation = None
    if spec.remediation is not None:
        remediation = Text(zh=render_template(spec.remediation.zh, hit.params),
                           en=render_template(spec.remediation.en, hit.params))
    place = hit.path + rule.at if rule.at else hit.path
    assert spec.severity is not None
    location = locate(place)
    return Finding(
        rule_id=spec.id, rulebase=rb.id, rulebase_version=version, severity=spec.severity,
        outcome=hit.outcome,
        section=rule.section, title=spec.title, message=message, remediation=remediation,
        citation=citation(rb, rule), location=location, evidence=items,
        derivation=derivation, notes=notes,
        fingerprint=fingerprint(rb.id, spec.id, location.pointer),
    )
