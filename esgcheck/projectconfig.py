"""The project's configuration file: ``esgcheck.toml``, or ``[tool.esgcheck]`` in
``pyproject.toml``, found from the working directory upwards.

In each folder from the working directory up, ``esgcheck.toml`` is taken
first, then a ``pyproject.toml`` that has a ``[tool.esgcheck]`` table (one
without it is passed over, as ruff does). The search stops after the folder
that holds ``.git`` (the repository's root) or at the file system's root.
Paths in the file are relative to the file's own folder. Every problem names
the file and the line (exit 2 on the command line).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esgcheck.engine.files import read_regular
from esgcheck.selection import did_you_mean

CONFIG_NAME = "esgcheck.toml"
PYPROJECT = "pyproject.toml"
TABLE = ("tool", "esgcheck")

SEVERITIES = ("critical", "major", "minor", "info", "never")
LISTS = ("select", "extend-select", "ignore")
PATHS = ("rules-config", "waivers", "baseline")
KEYS = (*LISTS, "fail-on", "fail-on-grade", "fail-on-not-assessable", "lang", *PATHS)


class ProjectConfigError(ValueError):
    def __init__(self, file: str, line: int | None, text: str) -> None:
        super().__init__(f"{file}{f':{line}' if line else ''}: {text}")
        self.file, self.line, self.text = file, line, text


@dataclass(frozen=True)
class ProjectConfig:
    file: str  # as the report names it: relative to the working directory
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def path(self, key: str) -> Path | None:
        """A path the file gives, relative to the file's folder."""
        value = self.values.get(key)
        if value is None:
            return None
        given = Path(value)
        return given if given.is_absolute() else Path(self.file).parent / given


def relative(path: Path, cwd: Path | None = None) -> str:
    """``path`` relative to the working directory (``../esgcheck.toml``): the
    report never names an absolute path."""
    try:
        return Path(os.path.relpath(path, cwd or Path.cwd())).as_posix()
    except ValueError:  # another drive: no relative path exists
        return path.as_posix()


def discover(start: Path) -> Path | None:
    """The configuration file that applies in ``start`` (see the module's doc)."""
    here = Path(os.path.abspath(start))
    for folder in (here, *here.parents):
        own = folder / CONFIG_NAME
        if own.is_file():
            return own
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
        if (folder / ".git").exists():
            return None
    return None


def _has_table(pyproject: Path) -> bool:
    try:
        text = read_regular(pyproject).decode("utf-8", "replace")
    except OSError:
        return False
    if "esgcheck" not in text:
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return bool(re.search(r"^\s*\[\s*tool\s*\.\s*esgcheck\s*\]", text, re.M))
    return isinstance(data.get("tool"), dict) and "esgcheck" in data["tool"]


def load(path: Path, display: str | None = None) -> ProjectConfig:
    name = display or relative(path)
    try:
        text = read_regular(path).decode("utf-8")
    except OSError as exc:
        raise ProjectConfigError(name, None, exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise ProjectConfigError(name, None, f"not UTF-8 ({exc.reason})") from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = (int(found.group(1)) if found
                else text.count("\n") + 1 if "end of document" in str(exc) else None)
        raise ProjectConfigError(name, line, f"not valid TOML: {exc}") from None
    in_pyproject = path.name == PYPROJECT
    if in_pyproject:
        tool = data.get("tool")
        table = tool.get("esgcheck") if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            raise ProjectConfigError(name, None, "no [tool.esgcheck] table / 没有 "
                                     "[tool.esgcheck] 表")
        data = table
    header = "tool.esgcheck" if in_pyproject else None
    lines = text.splitlines()
    values: dict[str, Any] = {}
    for key, value in data.items():
        line = _line_of(lines, header, key)
        if key not in KEYS:
            raise ProjectConfigError(name, line, f"unknown key '{key}' / 未知的键"
                                     + did_you_mean(key, KEYS) + f" (keys: {', '.join(KEYS)})")
        values[key] = _value(name, line, key, value)
    return ProjectConfig(name, values)


def _value(name: str, line: int | None, key: str, value: Any) -> Any:
    def wrong(expected: str) -> ProjectConfigError:
        return ProjectConfigError(name, line, f"{key} = {value!r}: expected {expected} / "
                                  f"取值无效，应为{expected}")

    if key in LISTS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise wrong("a list of rule ids, id prefixes or severity:LEVEL")
        return value
    if key == "fail-on-not-assessable":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if not isinstance(value, str) or not value.strip():
        raise wrong("a string")
    if key == "fail-on" and value not in SEVERITIES:
        raise wrong(" | ".join(SEVERITIES))
    if key == "lang" and value not in ("zh", "en"):
        raise wrong("zh | en")
    return value


def _line_of(lines: list[str], header: str | None, key: str) -> int | None:
    """The line of ``key`` in the table ``header`` (None: the top level), or of
    the table ``header.key`` when the key is a table of its own."""
    table: str | None = None
    pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')"""
                         r"\s*[=.]")
    for n, raw in enumerate(lines, 1):
        stripped = raw.strip()
        heading = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
        if heading:
            table = re.sub(r"\s*\.\s*", ".", heading.group(1))
            if (header is not None and table == f"{header}.{key}") or (
                    header is None and table.split(".")[0] == key):
                return n
            continue
        if table == header and pattern.match(raw):
            return n
    return None
