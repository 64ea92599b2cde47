"""The plain form of a check rule gives the verdicts of its three-valued code.

A rule run in a loop over instances has, where its emitters can write one, a
plain form: a two-valued expression taken only when the members it reads are
there and of their types (see esgcheck.engine.expr.runners._check). Here every
bundled rule base and the peer benchmark's is built twice, with the plain form
and without it, and both are run on the rule tests' base filings and on many
variants of them: each variant changes one value of the filing to another
type, to an integer or a float, to an empty text, to null, or removes it,
which is where a test of a member's class that is too loose would let the
plain form give another verdict. Every hit, its rule, its instance and its
outcome, must be the same."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esgcheck import diskcache
from esgcheck.checker import PACKAGE_RULES, Checker, as_of_date
from esgcheck.engine.chain import Evaluation
from esgcheck.engine.expr import codegen

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "bench" / "peers" / "rulebase"
FOLDERS = [*sorted(p for p in PACKAGE_RULES.iterdir() if (p / "rulebase.yaml").exists()), PEER]


WRITTEN: list[bool] = []  # for each rule in a loop: whether its plain form was written


def _checker(plain: bool, monkeypatch: pytest.MonkeyPatch) -> Checker:
    monkeypatch.setenv(diskcache.CACHE_ENV, "off")  # built here, not read back
    monkeypatch.setattr(codegen, "PLAIN_FORM", plain)
    real = codegen.Emitter.plain_form

    def noting(em: codegen.Emitter, emits: list[codegen.Emit]) -> Any:
        found = real(em, emits)
        WRITTEN.append(found is not None)
        return found

    monkeypatch.setattr(codegen.Emitter, "plain_form", noting)
    return Checker(FOLDERS)


@pytest.fixture(scope="module")
def checkers() -> Iterator[tuple[Checker, Checker]]:
    with pytest.MonkeyPatch.context() as mp:
        with_plain = _checker(True, mp)
    written, WRITTEN[:] = list(WRITTEN), []
    with pytest.MonkeyPatch.context() as mp:
        without = _checker(False, mp)
    assert not any(WRITTEN)  # switched off, none is written
    WRITTEN[:] = written
    yield with_plain, without


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _leaves(value, (*path, n))
    if path:
        yield path


REPLACEMENTS: list[Any] = ["", "x", 0, 1, -2.5, 1e300, 7.0, True, False, None, {}, []]
REMOVE = object()


def _variants(doc: dict[str, Any], rng: random.Random, count: int
              ) -> Iterator[dict[str, Any]]:
    """``count`` copies of ``doc``, each with one value replaced or removed."""
    places = [p for p in _leaves(doc) if p[0] != "filing_type"]
    for _ in range(count):
        place = rng.choice(places)
        out = copy.deepcopy(doc)
        parent = out
        for key in place[:-1]:
            parent = parent[key]
        new = rng.choice([*REPLACEMENTS, REMOVE])
        if new is REMOVE and isinstance(parent, dict):
            del parent[place[-1]]
        elif new is not REMOVE:
            parent[place[-1]] = new
        yield out


def _hits(checker: Checker, doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    ft = checker.registry.get(str(doc.get("filing_type")))
    assert ft is not None
    as_of, _ = as_of_date(ft, doc, None)
    out = []
    for rb in checker.rulebases_for(ft):
        rules = rb.by_type[ft.id]
        for hit in Evaluation(doc, rules, ft.entities, as_of).run(rules.active_on(as_of)):
            out.append((hit.rule.id, "/".join(map(str, hit.path)), hit.outcome))
    return out


def _bases() -> list[Path]:
    found = sorted(PACKAGE_RULES.glob("*/tests/base*.json"))
    return [p for p in found if isinstance(json.loads(p.read_text(encoding="utf-8")), dict)]


def _peer_filing() -> dict[str, Any]:
    """A peer benchmark filing with every member the rules read, of its type."""
    measurement = {"pollutant": "COD", "concentration": 12.5, "limit": 50.0, "unit": "mg/L",
                   "standard": "GB 8978-1996"}
    outlet = {"id": "DW001", "latitude": 31.2, "longitude": 121.5, "receiving_water": "river",
              "flow_m3": 60000.0, "total_discharge_t": 10.0, "online_monitoring": True,
              "exceedance_reason": "", "measurements": [measurement, {
                  **measurement, "pollutant": "pH", "unit": "无量纲", "concentration": 60}]}
    return {"filing_type": "peer-filing", "filing_id": "F1", "report_type": "annual",
            "reporting_year": 2024, "report_date": "2025-03-01", "enterprise_name": "某某有限公司",
            "credit_code": "91310000MA1FL00000", "contact_phone": "13800000000",
            "contact_email": "a@b.cn", "postal_code": "200000", "industry_code": "C2614",
            "permit_issue_date": "2020-01-01", "permit_valid_until": "2025-01-01",
            "total_discharge_t": 10.0, "wastewater_total_m3": 60000, "has_treatment_facility":
            True, "treatment_capacity_m3d": 300.0, "production_days": 300,
            "online_monitoring_installed": False, "outlets": [outlet]}


def test_the_plain_form_is_written(checkers: tuple[Checker, Checker]) -> None:
    """Many rules have a plain form (else this file would compare nothing): a
    rule is written into two loops (one asking which rules are on), so its
    plain form is counted twice."""
    assert sum(WRITTEN) >= 200, (sum(WRITTEN), len(WRITTEN))


@pytest.mark.parametrize("path", [*_bases(), None],
                         ids=lambda p: "peer" if p is None else str(p.relative_to(ROOT)))
def test_with_and_without_the_plain_form_the_verdicts_are_the_same(
        checkers: tuple[Checker, Checker], path: Path | None) -> None:
    with_plain, without = checkers
    doc = _peer_filing() if path is None else json.loads(path.read_text(encoding="utf-8"))
    rng = random.Random(str(path))
    for variant in [doc, *_variants(doc, rng, 150)]:
        assert _hits(with_plain, variant) == _hits(without, variant), variant
