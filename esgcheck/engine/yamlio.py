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

from esgcheck.engine import files

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


MAX_BYTES = 64 * 1024 * 1024  # a YAML file esgcheck reads (rule files, data, settings)


def load(path: Path, display: str | None = None) -> Located:
    """A YAML file: only a regular file is read (a FIFO or a device named as
    one is refused, not waited on), and no more than ``MAX_BYTES`` of it."""
    name = display or str(path)
    return loads(read_text(path, name), name)


def read_text(path: Path, name: str) -> str:
    """The text of a YAML file, read as ``load`` reads it."""
    try:
        raw = files.read_regular(path, MAX_BYTES)
    except files.NotRegular as exc:
        raise YamlError(name, None, f"not a regular file ({exc.kind.replace('_', ' ')}); "
                                    "not read") from None
    except files.TooLarge:
        raise YamlError(name, None, f"larger than {MAX_BYTES:,} bytes; not read") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(name, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return text


# Anchors and aliases: an alias is a reference, so a few hundred bytes of
# aliases of aliases name billions of values, and anything that walks the
# document as a tree (the line map below, validation, the rules) would follow
# each of them. A document may use aliases (rule tests written by a YAML
# dumper share blocks that way) as long as the document they spell out is at
# most ALIAS_FACTOR times the nodes written, plus ALIAS_ALLOWANCE; past that
# it is refused at the alias that goes over, before anything is built.
ALIAS_FACTOR = 10
ALIAS_ALLOWANCE = 10_000
MAX_NESTING = 500  # YAML nested deeper than any esgcheck file needs


def loads(text: str, name: str, aliases: bool = True) -> Located:
    """Parse YAML text. With ``aliases`` False, any alias is refused (for a
    format that has no use for them)."""
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()  # one parse: the nodes keep their lines
        if root is not None:
            _bounded(root, name, aliases)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(name, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlError(name, None, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlError(name, None, f"nested deeper than {MAX_NESTING} levels") from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    styles: dict[Path_, str | None] = {}
    if root is not None:
        _walk(root, (), lines, styles, name)
    return Located(data, lines, styles, name, tuple(text.splitlines()))


def _bounded(root: yaml.Node, name: str, aliases: bool) -> None:
    """Refuse a document whose aliases spell out too much, or that nests too
    deep, in time linear in the nodes written: each node's size as spelled
    out (itself and everything under it, aliases followed) is worked out once,
    children first, without recursion. An alias is a node met again; one met
    again while it is still open is an alias of its own ancestor: a document
    without end. (The parser gives an alias as the node it names, so a place
    is the anchor's line, or that of the value that spells out too much.)"""
    sizes: dict[int, int] = {}
    closed: list[yaml.Node] = []
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            closed.append(node)
            continue
        if key in open_:
            raise YamlError(name, node.start_mark.line + 1,
                            "an alias (*name) of a value that contains it: it has no end")
        if key in sizes:
            if not aliases:
                raise YamlError(name, node.start_mark.line + 1,
                                "this value is used again through an alias (*name); this "
                                "file does not take anchors and aliases: write it out")
            continue
        if len(open_) >= MAX_NESTING:
            raise YamlError(name, node.start_mark.line + 1,
                            f"nested deeper than {MAX_NESTING} levels")
        open_.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))
    budget = ALIAS_FACTOR * len(closed) + ALIAS_ALLOWANCE
    if sizes[id(root)] > budget:
        where = next(n for n in closed if sizes[id(n)] > budget)
        raise YamlError(name, where.start_mark.line + 1,
                        f"aliases (*name) make this value spell out more than {budget:,} "
                        f"values from the {len(closed):,} written; write the values out, "
                        "or share less")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


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
