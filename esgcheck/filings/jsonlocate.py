"""Where a value of a JSON filing is: the line and column of a JSON path,
found only when a finding needs it. Sibling values are skipped with orjson
over a window of the text, or the standard library's C scanner, never by
parsing the whole filing again; members late in a long filing are found from
the end. The parsing itself is ``jsonread``'s."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import orjson

from esgcheck.filings.jsonread import JsonPath, Parsed

_WS_RUN = re.compile(r"[ \t\n\r]*")
# Skips one value at C speed. The stubs type make_scanner as a class, not a factory.
_SCAN: Any = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_SCANSTRING: Any = getattr(json.decoder, "scanstring")  # noqa: B009 - not in the stubs


def _compact_size(value: Any) -> int:
    """About how long the value is written compactly (a hint for the scanner:
    exact decimals and integers beyond 64 bits are sized as their text)."""
    try:
        return len(orjson.dumps(value, default=str))
    except TypeError:  # an integer orjson cannot write
        return len(json.dumps(value, default=str, separators=(",", ":")))


def _value_end(text: str, pos: int, value: Any = None, spread: float = 3.0) -> int:
    """Where the JSON value starting at ``pos`` ends. A container is skipped by
    letting orjson parse a window of the text and report where the content after
    the value begins, several times faster than the standard scanner, which
    builds the value. The window starts from the parsed value's compact size
    times ``spread`` (how much larger the text is than the compact document)
    when it is known, and grows until the value fits in it."""
    if text[pos] in "{[":
        hint = _compact_size(value) if value.__class__ in (dict, list) else 512
        window = int(spread * hint) + 256
        while True:
            try:
                orjson.loads(text[pos:pos + window])
            except orjson.JSONDecodeError as exc:
                if exc.msg.startswith("unexpected content after document"):
                    return pos + exc.pos
                if pos + window >= len(text):
                    break  # not a clean value (e.g. an integer orjson refuses)
                window *= 4
                continue
            return min(len(text), pos + window)
    _, end = _SCAN(text, pos)
    return int(end)


class _CompactText:
    """Offsets of values in a text that is exactly the document written compactly
    (as orjson and ``JSON.stringify`` write it). Such a text needs no scanning:
    where a value starts follows from the lengths of its siblings, which orjson
    writes fast."""

    def __init__(self, text: str, doc: Any) -> None:
        self.text = text
        self.doc = doc
        self.ascii = text.isascii()
        self._members: dict[int, _Members] = {}  # by id(container)

    def size(self, value: Any) -> int:
        written = orjson.dumps(value)
        return len(written) if self.ascii else len(written.decode("utf-8"))

    def offset(self, path: JsonPath) -> tuple[int, bool]:
        node: Any = self.doc
        pos = 0
        for key in path:
            if not ((node.__class__ is dict and key.__class__ is str)
                    or (node.__class__ is list and key.__class__ is int)):
                return pos, False
            members = self._members.get(id(node))
            if members is None:
                members = self._members[id(node)] = _Members(node, pos, self.size)
            found = members.find(key)
            if found is None:
                return pos, False
            pos = found
            node = node[key] if isinstance(node, dict) else node[int(key)]
        return pos, True

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    def line_column(self, offset: int) -> tuple[int, int]:
        return self.lines.line_column(offset)


class _Members:
    """Where the values of one container's members start in the compact text:
    after the opener, each member's key and colon, and the values and commas
    before it. Worked out only as far as a lookup needs, and remembered."""

    def __init__(self, node: dict[str, Any] | list[Any], pos: int,
                 size: Callable[[Any], int]) -> None:
        self.found: dict[str | int, int] = {}
        self.items: Iterator[tuple[str | int, Any]] = iter(
            node.items() if isinstance(node, dict) else enumerate(node))
        self.pos = pos + 1
        self.size = size

    def find(self, key: str | int) -> int | None:
        found, size = self.found, self.size
        while key not in found:
            member = next(self.items, None)
            if member is None:
                return None
            name, value = member
            if name.__class__ is str:
                self.pos += size(name) + 1
            found[name] = self.pos
            self.pos += size(value) + 1
        return found[key]




class LineIndex:
    """Line and column of any offset of a text, in time bounded by a block's
    length rather than the offset: for each block of ``BLOCK`` characters, the
    lines before it and where the last of them ended are counted once, so a
    filing with a hundred thousand findings is not scanned from its start for
    each of them."""

    BLOCK = 4096

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines_before: list[int] = []
        self.last_newline: list[int] = []
        lines, last = 0, -1
        for start in range(0, len(text) + 1, self.BLOCK):
            self.lines_before.append(lines)
            self.last_newline.append(last)
            block_end = start + self.BLOCK
            lines += text.count("\n", start, block_end)
            found = text.rfind("\n", start, block_end)
            if found >= 0:
                last = found
        self.lines_before.append(lines)
        self.last_newline.append(last)

    def line_column(self, offset: int) -> tuple[int, int]:
        block = offset // self.BLOCK
        start = block * self.BLOCK
        line = self.lines_before[block] + self.text.count("\n", start, offset) + 1
        last = self.text.rfind("\n", start, offset)
        if last < 0:
            last = self.last_newline[block]
        return line, offset - last


class JsonLocator:
    """Line and column of any JSON path in one document's text."""

    def __init__(self, text: str | bytes, doc: Any = None, parsed: Parsed | None = None
                 ) -> None:
        self._source = text
        self.doc = doc  # the parsed document, used to size the values it skips
        self._parsed = parsed  # what the parser learnt of the text's layout, if anything
        self._cache: dict[JsonPath, int] = {}
        self._scans: dict[int, _ContainerScan] = {}
        # what looking for late members from the end may cost in all (characters
        # parsed and members compared), so that many lookups stay linear: past
        # it, the scan from the start, which remembers where it got to, is used
        self._late_budget = 2 * len(text) + 1024

    @cached_property
    def spread(self) -> float:
        """How much longer the text is than the compact document (indentation),
        with a margin: the window a skipped value is looked for in."""
        if self.doc is None:
            return 3.0
        known = self._parsed.compact_size if self._parsed is not None else None
        compact = known if known is not None else _compact_size(self.doc)
        return 1.25 * len(self._source) / max(compact, 1) + 0.25

    @cached_property
    def _compact(self) -> _CompactText | None:
        """Arithmetic locations when the parser found the text written compactly.
        Indented text is left to the scanner: the sizes of indented values cost
        more to work out than the scan."""
        if self._parsed is None or not self._parsed.compact:
            return None
        return _CompactText(self.text, self.doc)

    @cached_property
    def text(self) -> str:
        """The text, decoded from UTF-8 the first time a location is asked for."""
        source = self._source
        return source.decode("utf-8") if isinstance(source, bytes) else source

    def _skip(self, i: int) -> int:
        match = _WS_RUN.match(self.text, i)
        return match.end() if match else i

    def offset(self, path: JsonPath) -> tuple[int, bool]:
        """Offset of the value at ``path``; when absent, of its nearest present
        ancestor, with ``False`` as the second item."""
        if not self._cache:
            self._cache[()] = self._skip(0)
        if path and (path[0],) not in self._cache and path[0].__class__ is str:
            found = self._late_member(path[0])
            if found is not None:
                self._cache[(path[0],)] = found
        cut = len(path)
        while path[:cut] not in self._cache:
            cut -= 1
        pos = self._cache[path[:cut]]
        for depth in range(cut, len(path)):
            found = self._child(pos, path[depth], self._value(path[:depth]))
            if found is None:
                return pos, False
            pos = found
            self._cache[path[:depth + 1]] = pos
        return pos, True

    def _late_member(self, key: str) -> int | None:
        """Where the value of the filing's member ``key`` starts, found from the
        end of the text when the member is in its second half (after the bulk of
        the filing, such as the pollution data): the key's last occurrence is
        the member if the text from it, opened as an object, parses to exactly
        the filing's members from ``key`` on, with their values. Any other
        occurrence (a nested key, a string) leaves closing brackets over or
        parses to other members. Parsing those last members is much cheaper
        than stepping over everything before them. None when this does not
        apply: the scan from the start then finds the member."""
        doc, text = self.doc, self.text
        if doc.__class__ is not dict or key not in doc or self._late_budget <= 0:
            return None
        needle = json.dumps(key, ensure_ascii=False)
        found = text.rfind(needle)
        self._late_budget -= len(text) - max(found, 0) + len(doc)
        if found < len(text) // 2 or self._late_budget < 0:
            return None
        try:
            tail = orjson.loads("{" + text[found:])
        except orjson.JSONDecodeError:
            return None
        keys = list(doc)
        if list(tail) != keys[keys.index(key):] or any(tail[k] != doc[k] for k in tail):
            return None
        colon = self._skip(found + len(needle))
        return self._skip(colon + 1) if text[colon:colon + 1] == ":" else None

    def _child(self, pos: int, key: str | int, value: Any) -> int | None:
        scan = self._scans.get(pos)
        if scan is None:
            scan = self._scans[pos] = _ContainerScan(self, pos, value)
        return scan.find(key)

    def _value(self, path: JsonPath) -> Any:
        """The parsed value at ``path``, when the locator knows the document."""
        node = self.doc
        try:
            for key in path:
                node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
        return node

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)

    def line_column(self, offset: int) -> tuple[int, int]:
        return self.lines.line_column(offset)

    def locate(self, path: JsonPath) -> tuple[int, int, bool]:
        fast = self._compact
        if fast is not None:
            offset, exists = fast.offset(path)
            return (*fast.line_column(offset), exists)
        offset, exists = self.offset(path)
        line, column = self.line_column(offset)
        return line, column, exists


class _ContainerScan:
    """The members (or items) of one object (or array) of the text, read only as
    far as a lookup needs and remembered for the next one."""

    def __init__(self, locator: JsonLocator, pos: int, value: Any) -> None:
        self.locator = locator
        self.value = value  # the parsed container, or None
        self.found: dict[str | int, int] = {}
        text = locator.text
        opener = text[pos] if pos < len(text) else ""
        self.is_object = opener == "{"
        self.closer = "}" if self.is_object else "]"
        self.done = opener not in ("{", "[")
        self.i = locator._skip(pos + 1)
        self.n = 0
        self.value_at: int | None = None  # a member whose value is not yet stepped over
        self.last: str | int = -1  # that member's name or index

    def find(self, key: str | int) -> int | None:
        text, skip = self.locator.text, self.locator._skip
        while key not in self.found and not self.done:
            i = self.i
            if self.value_at is not None:  # step over the last member's value
                i = skip(_value_end(text, self.value_at, self.member_value(),
                                    self.locator.spread))
                if i < len(text) and text[i] == ",":
                    i = skip(i + 1)
                self.value_at = None
            if i >= len(text) or text[i] == self.closer:
                self.done = True
                break
            if self.is_object:
                name, i = _SCANSTRING(text, i + 1)
                i = skip(skip(i) + 1)  # past the colon
                self.found.setdefault(name, i)
            else:
                self.found[self.n] = i
                self.n += 1
            self.i = self.value_at = i
            self.last = name if self.is_object else self.n - 1
        return self.found.get(key)

    def member_value(self) -> Any:
        container = self.value
        if container.__class__ is dict:
            return container.get(self.last)
        if container.__class__ is list and isinstance(self.last, int) and (
                self.last < len(container)):
            return container[self.last]
        return None
