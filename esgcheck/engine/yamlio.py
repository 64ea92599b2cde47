"""YAML loading that remembers where each value was written.

Rule files and reference data are YAML. A broken rule must be reported with its
file and line, so the loader keeps a map from each value's path (keys and list
indexes from the document root) to its 1-based line. Duplicate keys, which
plain YAML loaders silently resolve to the last one, are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

# libyaml's parser when PyYAML was built with it (the wheels are), else the
# pure-Python one; both give the same nodes, the first some ten times faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(ValueError):
    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(f"{file}:{line or '?'}: {message}")
        self.file = file
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Located:
    """A parsed YAML document and the line of every value in it."""

    data: Any
    lines: dict[Path_, int]
    styles: dict[Path_, str | None]
    file: str
    source: tuple[str, ...] = ()  # the file's lines

    def text_line(self, path: Path_, pos: int) -> int | None:
        """The line on which character ``pos`` of the scalar at ``path`` was
        written, following literal (|), folded (>) and plain multi-line styles."""
        line = self.line(path)
        if line is None:
            return None
        style = self.styles.get(path)
        if style == "|":
            return line + 1 + self.data_text(path)[:pos].count("\n")
        if style == ">":
            first, consumed = line, 0  # content starts on the line after the key
        elif style is None:  # plain: starts after "key:" and may fold onto more lines
            head = self.source[line - 1] if line - 1 < len(self.source) else ""
            consumed = len(head.split(":", 1)[-1].strip()) + 1
            if pos < consumed:
                return line
            first = line
        else:
            return line
        for index in range(first, len(self.source)):
            consumed += len(self.source[index].strip()) + 1
            if consumed > pos:
                return index + 1
        return line

    def data_text(self, path: Path_) -> str:
        node: Any = self.data
        for key in path:
            node = node[key]
        return str(node)

    def line(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def load(path: Path, display: str | None = None) -> Located:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(name, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return loads(text, name)


def loads(text: str, name: str) -> Located:
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()  # one parse: the nodes keep their lines
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(name, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlError(name, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    styles: dict[Path_, str | None] = {}
    if root is not None:
        _walk(root, (), lines, styles, name)
    return Located(data, lines, styles, name, tuple(text.splitlines()))


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int],
          styles: dict[Path_, str | None], name: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        styles[path] = node.style
    elif isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise YamlError(name, key_node.start_mark.line + 1, f"duplicate key '{key}'")
            seen.add(key)
            _walk(value_node, (*path, key), lines, styles, name)
            lines[(*path, key)] = min(lines[(*path, key)], key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, styles, name)
