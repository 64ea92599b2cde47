"""Parsed YAML files through the cache on disk (esgcheck.diskcache).

Parsing a rule base's YAML is the largest part of building it. A file parsed
once is kept as plain data marshal can hold, under a key of its text (and of
esgcheck's version and source, see ``diskcache.key``): a changed file misses,
and a file that does not parse is never kept (it is parsed, and refused,
every time). What comes back is what ``yamlio.loads`` builds from the same
text: the same data, lines and styles.

marshal holds no dates: each date (or date and time) of a document is stored
as None with its path and ISO text beside the document, and put back where it
was after reading. A document that holds a date where no path reaches it (a
key, a member of a set) or a value of any other kind (the pairs of !!omap) is
not kept.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from esgcheck import diskcache
from esgcheck.engine import yamlio

KIND = "yaml"
_PLAIN = (str, int, float, bool, bytes, type(None))

_Dates = list[tuple[tuple[Any, ...], str, str]]  # path, "date" or "datetime", ISO text


class _NotPlain(Exception):
    """A value the cache does not keep."""


def load(path: Path, display: str | None = None) -> yamlio.Located:
    """``yamlio.load``, from the cache when the file's text was parsed before."""
    name = display or str(path)
    text = yamlio.read_text(path, name)
    entry = diskcache.key(KIND, hashlib.sha256(text.encode("utf-8")).hexdigest())
    found = _from_cache(diskcache.load(KIND, entry), text, name)
    if found is not None:
        return found
    located = yamlio.loads(text, name)
    try:
        dates: _Dates = []
        plain = _plain(located.data, (), dates, {})
    except _NotPlain:
        return located
    diskcache.store(KIND, entry, (plain, tuple(dates), located.lines, located.styles))
    return located


def _from_cache(value: object, text: str, name: str) -> yamlio.Located | None:
    """The document stored as ``value``, or None when it is not one."""
    if not (isinstance(value, tuple) and len(value) == 4 and isinstance(value[1], tuple)
            and isinstance(value[2], dict) and isinstance(value[3], dict)):
        return None
    data, dates, lines, styles = value
    try:
        for where, kind, iso in dates:
            when = datetime.fromisoformat(iso) if kind == "datetime" else date.fromisoformat(iso)
            if not where:
                data = when
                continue
            node = data
            for key in where[:-1]:
                node = node[key]
            node[where[-1]] = when
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return yamlio.Located(data, lines, styles, name, tuple(text.splitlines()))


def _plain(value: Any, path: tuple[Any, ...], dates: _Dates, seen: dict[int, Any]) -> Any:
    """``value`` with its dates replaced by None (listed in ``dates``), as
    marshal holds it; a value met again (a YAML alias) is the same copy."""
    if isinstance(value, datetime):
        dates.append((path, "datetime", value.isoformat()))
        return None
    if isinstance(value, date):
        dates.append((path, "date", value.isoformat()))
        return None
    if isinstance(value, _PLAIN):
        return value
    known = seen.get(id(value))
    if known is not None:
        return known
    out: Any
    if isinstance(value, dict):
        out = seen[id(value)] = {}
        for k, v in value.items():
            if not isinstance(k, _PLAIN):
                raise _NotPlain
            out[k] = _plain(v, (*path, k), dates, seen)
    elif isinstance(value, list):
        out = seen[id(value)] = []
        out.extend(_plain(v, (*path, i), dates, seen) for i, v in enumerate(value))
    elif isinstance(value, set | frozenset):
        if any(not isinstance(v, _PLAIN) for v in value):
            raise _NotPlain
        out = value
    else:
        raise _NotPlain
    return out
