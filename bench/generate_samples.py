"""Filings for the benchmarks (bench/generate.py --type) of the regimes whose
documents are long prose-bearing reports: a listed company's sustainability
report (cn-listed-sustainability-report) and a financial institution's
environmental disclosure (cn-fi-environmental-disclosure).

Each filing is one of the project's own samples of that type (fixtures/TYPE/,
written by fixtures/build.py, every verdict recorded in expected.yaml), with
every unified social credit code in it replaced by a fresh valid one (the same
code always by the same new one, so the report and the annual report it names
still agree). A compliant filing is drawn from the samples graded A, a breaching
one from the others: the mix of defects is the samples' own. Deterministic for
a seed.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from uscc_codes import make_uscc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE_TYPES = ("cn-listed-sustainability-report", "cn-fi-environmental-disclosure")
_USCC = re.compile(r'"([0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})"')


@functools.cache
def _samples(filing_type: str) -> tuple[list[str], list[str]]:
    """The JSON samples' texts of a filing type: (graded A, graded otherwise)."""
    folder = FIXTURES / filing_type
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    good: list[str] = []
    bad: list[str] = []
    for name, verdict in sorted(expected.items()):
        path = folder / f"{name}.json"
        if path.is_file():
            (good if verdict["grade"] == "A" else bad).append(path.read_text(encoding="utf-8"))
    if not good or not bad:
        raise SystemExit(f"{folder}: needs samples graded A and others")
    return good, bad


def maker(filing_type: str) -> Callable[[random.Random, bool], dict[str, Any]]:
    """``make(rng, breach)`` for one of SAMPLE_TYPES."""

    def make(rng: random.Random, breach: bool) -> dict[str, Any]:
        good, bad = _samples(filing_type)
        text = rng.choice(bad if breach else good)
        fresh: dict[str, str] = {}
        for code in sorted(set(_USCC.findall(text))):
            fresh[code] = make_uscc(rng)
        text = _USCC.sub(lambda m: f'"{fresh[m[1]]}"', text)
        doc: dict[str, Any] = json.loads(text)
        return doc

    return make
