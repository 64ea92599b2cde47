"""What ``baseline create`` and ``waive`` share: the filings checked and
their findings settled against the waivers, as a record is made of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from esgcheck.commands.common import _load_policy, reading_options, waiver_options, with_options
from esgcheck.commands.lookup import _filing_type, _known_waiver_rules

if TYPE_CHECKING:
    from esgcheck.checker import Checker
    from esgcheck.engine.findings import Report

# the options of both: how filings are read (--as-of, --rules, --type,
# --rules-config) and which waivers apply (--waivers, --today)
settling_options = with_options(*reading_options, *waiver_options)

def settled_report(checker: Checker, paths: Sequence[Path], as_of: date | None,
                   filing_type: str | None, waivers: Path | None, today: date | None,
                   jobs: int = 1) -> Report:
    """The report on ``paths``, waived findings marked; exit 2 saying why when
    the filing type or the waiver file names nothing ``checker`` knows."""
    from esgcheck.checker import Options

    filing_type = _filing_type(checker, filing_type)
    waived = _known_waiver_rules(checker, _load_policy(waivers, None)[0])
    report = checker.check_paths(paths, Options(as_of=as_of, filing_type=filing_type),
                                 jobs=jobs)
    return checker.settle(report, waivers=waived, today=today)
