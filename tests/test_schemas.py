"""The published schemas are what the models generate, and are valid schemas."""

from __future__ import annotations

import json

import jsonschema
import pytest

from esgcheck.schemas_export import generated

from .conftest import ROOT

SCHEMAS = ROOT / "esgcheck" / "schemas"


@pytest.mark.parametrize("name", sorted(generated()))
def test_committed_schema_is_current(name: str) -> None:
    committed = (SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == generated()[name], (
        f"esgcheck/schemas/{name}.schema.json is stale: run `esgcheck schemas export`")


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_schemas_are_valid_draft_2020_12(path) -> None:  # type: ignore[no-untyped-def]
    jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))
