"""Date-times of product carbon footprints as instants in UTC.

PACT's DateTime is "a date and time string conforming to ISO 8601", whose
time zone MUST be UTC (v2.3.3 and v3.0.3); Catena-X's time fields are
date-times too. The reference period's end is exclusive, so a period ending
2025-01-01T12:00:00Z includes the beginning of 2025, and a period from
2024-06-01T00:00Z to 2024-06-01T18:00Z is eighteen hours long. The expression
language compares dates, not times, so the reader keeps each bound as its UTC
date at the canonical field (``reference_period.end``) and the time of day as
seconds after midnight UTC beside it (``reference_period.end_time``); the
rules compare the date and, on the same date, the time. A date written without
a time has no ``_time`` field: the rules read it as midnight.

A time-zone offset is converted to UTC (``2024-12-31T23:00:00-02:00`` is
2025-01-01T01:00:00Z), with a note in PACT, whose DateTime must be UTC; a
date-time without a zone is read as UTC, with a note. Anything else is left to
``Adapted.day``: a date as such, a dotted day-first date with a note, or the
text as written for the schema to report.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from esgcheck.filings.adapted import Adapted, JsonPath

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}")


def time_path(path: JsonPath) -> JsonPath:
    """Where the time of day of the date at ``path`` goes: ``end`` -> ``end_time``."""
    return (*path[:-1], f"{path[-1]}_time")


def put_instant(out: Adapted, path: JsonPath, value: Any, source: JsonPath,
                model: str) -> None:
    """The date-time ``value`` as its UTC date at ``path`` and its time of day
    (seconds after midnight UTC) at ``time_path(path)``."""
    at = time_path(path)
    moment = _parse(value)
    if moment is None:
        out.put(path, out.day(value, source), source)
        out.put(at, None, source)
        return
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
        out.note("datetime_no_zone", source, value, _iso(moment))
    else:
        offset = moment.utcoffset()
        moment = moment.astimezone(UTC)
        if offset and model.startswith("PACT"):  # a zero offset is false
            out.note("datetime_offset", source, value, _iso(moment))
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    out.put(path, moment.date().isoformat(), source)
    out.put(at, seconds + Decimal(moment.microsecond) / 1_000_000 if moment.microsecond
            else seconds, source)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        return None
    text = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
