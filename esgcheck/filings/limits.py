"""Limits on what one filing may cost, so that no input can hang or exhaust a run.

Each limit is configurable (``esgcheck check --limit NAME=VALUE``); the defaults
are far above any real filing. A filing past a limit is reported as not
assessed, with the limit named; the other filings of the run are unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from esgcheck.filings.errors import InputError


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 64 * 1024 * 1024  # size of one file
    max_depth: int = 64  # nesting of objects and arrays (elements in XML)
    max_values: int = 2_000_000  # values in one filing (members and items; XML elements)
    max_steps: int = 1_000_000  # rule evaluations of the forward chainer per filing
    max_seconds: float = 60.0  # time to evaluate one filing's rules
    regex_seconds: float = 1.0  # one regular-expression match

    def with_settings(self, settings: dict[str, str]) -> Limits:
        """A copy with ``NAME=VALUE`` settings applied (names without ``max_``
        also accepted); a ValueError names what is wrong."""
        known = {f.name: f.type for f in fields(self)}
        changes: dict[str, Any] = {}
        for name, raw in settings.items():
            key = name if name in known else f"max_{name}"
            if key not in known:
                raise ValueError(f"unknown limit '{name}' (limits: "
                                 f"{', '.join(n.removeprefix('max_') for n in known)})")
            try:
                value: float = float(raw) if known[key] == "float" else int(raw)
            except ValueError:
                raise ValueError(f"limit {name}: '{raw}' is not a number") from None
            if value <= 0:
                raise ValueError(f"limit {name}: must be above zero")
            changes[key] = value
        return replace(self, **changes)


class LimitExceeded(InputError):
    """A filing past one of the limits: not assessed, for that reason."""

    def __init__(self, limit: str, file: str, value: object) -> None:
        super().__init__(f"limit.{limit}", file, value=value)
        self.limit = limit


_CONTAINERS = (dict, list)


def measure(doc: Any, limits: Limits, file: str) -> None:
    """Refuse a parsed document nested deeper or holding more values than the
    limits allow. One level at a time, without recursion: each level's values
    are counted together and its containers become the next level."""
    count = 0
    depth = 0
    level = [doc]
    while level:
        depth += 1
        if depth > limits.max_depth:
            raise LimitExceeded("depth", file, limits.max_depth)
        count += sum(map(len, level))
        if count > limits.max_values:
            raise LimitExceeded("values", file, limits.max_values)
        level = [member for node in level
                 for member in (node.values() if node.__class__ is dict else node)
                 if member.__class__ in _CONTAINERS]
