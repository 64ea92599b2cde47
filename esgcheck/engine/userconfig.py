"""A user's configuration of rule bases (``esgcheck check --rules-config FILE``).

Some values of a rule base follow the law as it moves: the date a delegated act
enters into force, adopted class boundaries, a threshold. A rule base ships
them as configuration values and reference tables with their sources; a user
who knows of a newer act supplies the new values in a YAML file instead of
editing the package::

    eu-battery:                       # rule-base id
      config:                         # configuration values, by name
        cf_sum_tolerance: 0.02
      data:                           # reference-table rows, merged by key
        acts:
          - {id: ev-cf-method, status: adopted, in_force: 2026-09-01}

A row whose key is already in the table replaces the columns it names; any
other row is added. The file is checked against the rule base when it loads
(unknown rule base, value, table or column; a value of the wrong type), and
every problem names the file and the line. The report records the file, its
SHA-256 and the values used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esgcheck.engine import loaderrors, yamlio
from esgcheck.engine.files import read_regular


class UserConfigError(yamlio.YamlError):
    """A rules configuration that cannot be used, with its file and line."""


@dataclass(frozen=True)
class Overrides:
    """What a user's file changes in one rule base."""

    file: str
    config: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    lines: Mapping[tuple[str, ...], int | None] = field(default_factory=dict)

    def line(self, *path: str) -> int | None:
        """The line of a value (``"config", NAME`` or ``"data", TABLE, INDEX``);
        with no path, the line of the rule base's own section."""
        return self.lines.get(path)


@dataclass(frozen=True)
class UserConfig:
    file: str
    sha256: str
    rulebases: Mapping[str, Overrides]


def load_user_config(path: Path, display: str | None = None) -> UserConfig:
    name = display or path.as_posix()
    try:
        located = yamlio.load(path, name)
        raw = read_regular(path)
    except OSError as exc:
        raise UserConfigError(name, None, exc.strerror or str(exc)) from None
    except yamlio.YamlError as exc:
        raise UserConfigError(name, exc.line, exc.message) from None
    except (ValueError, OverflowError) as exc:  # a scalar YAML resolves but cannot build
        line, why = loaderrors.bad_scalar(path.read_text(encoding="utf-8")) or (
            None, f"invalid YAML: {exc}")
        raise UserConfigError(name, line, why) from None
    data = located.data
    if not isinstance(data, Mapping) or not data:
        raise UserConfigError(name, 1, "a rules configuration maps rule-base ids to "
                                       "their 'config' and 'data' / 规则配置按规则库编号给出 "
                                       "config 与 data")
    rulebases: dict[str, Overrides] = {}
    for rb_id, section in data.items():
        where = (str(rb_id),)
        if not isinstance(section, Mapping):
            raise UserConfigError(name, located.line(where),
                                  f"{rb_id}: expected a mapping with 'config' and/or 'data'")
        unknown = set(section) - {"config", "data", "notes"}
        if unknown:
            raise UserConfigError(name, located.line((*where, sorted(unknown)[0])),
                                  f"{rb_id}: unknown key(s) {sorted(unknown)} "
                                  "(allowed: config, data, notes)")
        config = section.get("config") or {}
        tables = section.get("data") or {}
        if not isinstance(config, Mapping):
            raise UserConfigError(name, located.line((*where, "config")),
                                  f"{rb_id}.config: expected a mapping of values")
        if not isinstance(tables, Mapping) or not all(
                isinstance(rows, list) and all(isinstance(r, Mapping) for r in rows)
                for rows in tables.values()):
            raise UserConfigError(name, located.line((*where, "data")),
                                  f"{rb_id}.data: expected table names, each with a list "
                                  "of rows")
        lines: dict[tuple[str, ...], int | None] = {(): located.line(where)}
        for key in config:
            lines[("config", str(key))] = located.line((*where, "config", key))
        for table, rows in tables.items():
            for i in range(len(rows)):
                lines[("data", str(table), str(i))] = located.line((*where, "data", table, i))
        rulebases[str(rb_id)] = Overrides(
            file=name, config={str(k): v for k, v in config.items()},
            data={str(k): list(v) for k, v in tables.items()}, lines=lines)
    return UserConfig(file=name, sha256=hashlib.sha256(raw).hexdigest(), rulebases=rulebases)
