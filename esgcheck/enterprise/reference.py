"""Reference data the user supplies for the cross-filing rules.

Environmental credit ratings and the 综合名录's 双高 products have no
machine-readable public source (see rules/cn-enterprise/README.md): a user
gives them as files, which become rows of the rule base's tables
(``credit_ratings``, ``double_high_products``), as a rules configuration would.

- ratings: a CSV with a header naming the columns ``uscc, scheme, grade, year,
  authority`` (in any order; other columns are ignored). ``scheme`` is
  ``national`` or ``local``; ``grade`` a colour (green, blue, yellow, red,
  black) or the national scheme's name of it (环保诚信, 环保良好, 环保警示,
  环保不良); ``year`` the year rated.
- 双高 products: one product name a line (blank lines and lines starting with
  ``#`` are skipped).

A row that cannot be read is an error naming the file and the line.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from esgcheck.engine.files import read_regular
from esgcheck.engine.userconfig import Overrides, UserConfig

RULEBASE = "cn-enterprise"
GRADES = {"green": "green", "blue": "blue", "yellow": "yellow", "red": "red", "black": "black",
          "环保诚信": "green", "环保良好": "blue", "环保警示": "yellow", "环保不良": "red",
          "诚信": "green", "良好": "blue", "警示": "yellow", "不良": "red",
          "绿牌": "green", "蓝牌": "blue", "黄牌": "yellow", "红牌": "red", "黑牌": "black"}
COLUMNS = ("uscc", "scheme", "grade", "year", "authority")


class ReferenceError(ValueError):
    """A reference file that cannot be used: the file, the line and why."""

    def __init__(self, file: str, line: int | None, why: str) -> None:
        super().__init__(f"{file}:{line}: {why}" if line else f"{file}: {why}")


def _text(path: Path) -> str:
    try:
        return read_regular(path).decode("utf-8-sig")
    except OSError as exc:
        raise ReferenceError(str(path), None, exc.strerror or str(exc)) from None
    except UnicodeDecodeError:
        raise ReferenceError(str(path), None, "not UTF-8 text") from None


def ratings(path: Path) -> list[dict[str, Any]]:
    """The rows of ``credit_ratings`` from a ratings CSV."""
    name = str(path)
    reader = csv.DictReader(io.StringIO(_text(path)))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ReferenceError(name, 1, f"the header lacks {', '.join(missing)} (expected "
                                      f"{', '.join(COLUMNS)})")
    rows = []
    for raw in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        line = reader.line_num
        grade = GRADES.get(row["grade"].lower()) or GRADES.get(row["grade"])
        if grade is None:
            raise ReferenceError(name, line, f"grade {row['grade']!r} is none of "
                                             "green, blue, yellow, red, black")
        if row["scheme"] not in ("national", "local"):
            raise ReferenceError(name, line, f"scheme {row['scheme']!r} is not national "
                                             "or local")
        if not (row["year"].isdigit() and len(row["year"]) == 4):
            raise ReferenceError(name, line, f"year {row['year']!r} is not a year")
        year = int(row["year"])
        uscc = row["uscc"].upper()
        rows.append({"key": f"{uscc}/{row['scheme']}", "uscc": uscc, "scheme": row["scheme"],
                     "grade": grade, "year": year, "authority": row["authority"] or None,
                     "valid_from": date(year, 1, 1), "valid_to": date(year, 12, 31)})
    return rows


def products(path: Path) -> list[dict[str, Any]]:
    """The rows of ``double_high_products`` from a list of product names."""
    names = [line.strip() for line in _text(path).splitlines()]
    return [{"name": n, "note": None} for n in dict.fromkeys(names) if n and not n.startswith("#")]


def with_reference(config: UserConfig | None, ratings_file: Path | None,
                   products_file: Path | None) -> UserConfig | None:
    """``config`` (or none) with the reference files' rows as the tables of
    cn-enterprise, replacing rows the configuration gave for the same tables."""
    tables: dict[str, Sequence[Mapping[str, Any]]] = {}
    sha = hashlib.sha256((config.sha256 if config else "").encode())
    names = []
    for path, table, read in ((ratings_file, "credit_ratings", ratings),
                              (products_file, "double_high_products", products)):
        if path is not None:
            tables[table] = read(path)
            sha.update(read_regular(path))
            names.append(str(path))
    if not tables:
        return config
    file = " + ".join([*([config.file] if config else []), *names])
    given = dict(config.rulebases) if config else {}
    known = given.get(RULEBASE)
    given[RULEBASE] = (replace(known, data={**known.data, **tables}) if known is not None
                       else Overrides(file=file, data=tables))
    return UserConfig(file=file, sha256=sha.hexdigest(), rulebases=given)


def config_bytes(config: UserConfig) -> bytes:
    """A configuration as the YAML of a rules configuration file, for workers
    that build their checker from a file (esgcheck.batch.cluster.Setup)."""
    import yaml

    body = {rb: {**({"config": dict(o.config)} if o.config else {}),
                 **({"data": {t: [dict(r) for r in rows] for t, rows in o.data.items()}}
                    if o.data else {})}
            for rb, o in config.rulebases.items()}
    return yaml.safe_dump(body, allow_unicode=True, sort_keys=True).encode()
