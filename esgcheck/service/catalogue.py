"""The rule catalogue's routes: ``GET /api/v1/rules`` and ``GET
/api/v1/rules/{id}``, with titles and citations in zh and en."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query

from esgcheck.checker import Checker
from esgcheck.service.core import API, TypeQuery
from esgcheck.service.problems import ProblemError, problem_responses


def rule_routes(app: FastAPI, checker: Checker,
                filing_type_of: Callable[[str | None], str | None]) -> None:
    @app.get(f"{API}/rules", tags=["rules"])
    def rules(rulebase: Annotated[str | None, Query(max_length=64)] = None,
              filing_type: TypeQuery = None,
              severity: Annotated[str | None, Query(pattern="^(critical|major|minor|info)$")]
              = None) -> list[dict[str, Any]]:
        """Every rule, sorted by id: its rule base, filing type, kind, severity,
        section, title and citation in zh and en."""
        wanted = filing_type_of(filing_type)
        out = [_rule_row(rb, r) for rb in checker.rulebases for r in rb.rules
               if (rulebase is None or rb.id.lower() == rulebase.lower())
               and (wanted is None or r.filing_type == wanted)
               and (severity is None or r.spec.severity == severity)]
        return sorted(out, key=lambda row: row["id"])

    @app.get(f"{API}/rules/{{rule_id}}", tags=["rules"],
             responses=problem_responses("not_found"))
    def rule(rule_id: Annotated[str, Path(max_length=128)]) -> dict[str, Any]:
        """One rule's full definition as loaded, with its citation in zh and en
        (the id in any case)."""
        want = rule_id.strip().upper()
        for rb in checker.rulebases:
            for r in rb.rules:
                if r.id.upper() == want:
                    data = r.spec.model_dump(mode="json", by_alias=True, exclude_none=True)
                    return {**_rule_row(rb, r), "definition": data,
                            "file": f"{r.file}:{r.line}"}
        raise ProblemError("not_found", what=f"rule {rule_id}")


def _rule_row(rb: Any, r: Any) -> dict[str, Any]:
    s = r.spec
    instrument = rb.instrument(s.citation.instrument)
    return {"id": r.id, "rulebase": rb.id, "filing_type": r.filing_type, "kind": s.kind,
            "severity": s.severity, "section": r.section,
            "title": {"zh": s.title.get("zh"), "en": s.title.get("en")},
            "citation": {"zh": rb.citation_text(s.citation, "zh"),
                         "en": rb.citation_text(s.citation, "en")},
            "url": s.citation.url or (instrument.url if instrument else None),
            "data_check": bool(s.data_check)}
