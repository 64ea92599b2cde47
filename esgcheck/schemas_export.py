"""JSON Schemas generated from the pydantic models: the report and the rule files.

The committed copies in ``esgcheck/schemas/`` are the published contract; a
test fails when they differ from what the models generate.
"""

from __future__ import annotations

import json

from esgcheck.engine.findings import REPORT_SCHEMA_VERSION, Report
from esgcheck.engine.model import RuleBaseMeta, RuleFile, RuleTests


def _schema(model: type, schema_id: str, title: str) -> str:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        **model.model_json_schema(by_alias=True),  # type: ignore[attr-defined]  # pydantic
        "title": title,
    }
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def generated() -> dict[str, str]:
    base = "https://esgcheck.dev/schemas"
    return {
        "report": _schema(Report, f"{base}/report/{REPORT_SCHEMA_VERSION}",
                          f"esgcheck report {REPORT_SCHEMA_VERSION}"),
        "rule-file": _schema(RuleFile, f"{base}/rule-file/1", "esgcheck rule file"),
        "rulebase": _schema(RuleBaseMeta, f"{base}/rulebase/1", "esgcheck rule-base metadata"),
        "rule-tests": _schema(RuleTests, f"{base}/rule-tests/1", "esgcheck rule test cases"),
    }
