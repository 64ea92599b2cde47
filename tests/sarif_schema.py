"""Every SARIF log the tests make is valid SARIF 2.1.0.

``check_sarif`` parses a log and fails the test unless it validates against the
official schema (a copy in ``tests/data/sarif``, with its source and licence;
no network) and the
rules the schema cannot state: times in the SARIF form, an absolute
``informationUri``, and level ``none`` for every result whose kind is not
``fail`` (§3.27.10). ``tests/conftest.py`` wraps ``esgcheck.report.sarif.render``
with it for the whole session, so a SARIF rendered anywhere in the tests, by
the renderer or by the command line in process, is checked; a log read from a
file another process wrote goes through ``check_sarif`` itself.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")  # SARIF §3.9: UTC, Z

Render = Callable[..., str]


@cache
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def sarif_errors(log: Any) -> list[str]:
    """What is wrong with a SARIF log, one line each; empty when it is valid."""
    errors = [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator().iter_errors(log)]
    if errors or not isinstance(log, dict):
        return errors
    for r, run in enumerate(log["runs"]):
        uri = run["tool"]["driver"].get("informationUri")
        if uri is not None and not re.match(r"^https?://[^/\s]+", uri):
            errors.append(f"/runs/{r}/tool/driver/informationUri: not absolute: {uri!r}")
        for i, invocation in enumerate(run.get("invocations", [])):
            for key in ("startTimeUtc", "endTimeUtc"):
                if key in invocation and not _TIME.match(invocation[key]):
                    errors.append(f"/runs/{r}/invocations/{i}/{key}: {invocation[key]!r} "
                                  "is not a UTC date-time")
        for n, res in enumerate(run.get("results", [])):
            if res.get("kind", "fail") != "fail" and res.get("level", "none") != "none":
                errors.append(f"/runs/{r}/results/{n}: kind {res['kind']!r} with level "
                              f"{res['level']!r} (SARIF §3.27.10 requires 'none')")
    return errors


def check_sarif(text: str) -> dict[str, Any]:
    """The SARIF log ``text``, after failing the test if it is not valid."""
    log: dict[str, Any] = json.loads(text)
    errors = sarif_errors(log)
    assert not errors, "invalid SARIF 2.1.0:\n" + "\n".join(errors[:20])
    return log


def validating(render: Render) -> Render:
    """``render`` checking every log it returns."""
    @functools.wraps(render)
    def checked(*args: Any, **kwargs: Any) -> str:
        text = render(*args, **kwargs)
        check_sarif(text)
        return text

    checked.validates_sarif = True  # type: ignore[attr-defined]  # marks the wrapper
    return checked
