"""JSON filings: decoding, parsing with exact numbers, and source positions.

Two parsers, one result. The fast one is orjson. Its output is accepted only
when re-serialising it reproduces the text's skeleton: every quote, bracket,
comma, colon and every character of every number, in order. That proves there
was no duplicate key (a dropped member loses its quotes) and that every number
is exactly the shortest form of its float, so ``Decimal(repr(x))`` recovers the
written value. Anything else (a duplicate, a 20-digit amount, ``1.50``,
``1e5``, escaped non-ASCII, invalid input) goes through the standard library's
parser with ``Decimal`` numbers and a duplicate-key check, which also gives the
exact error message and position.

Positions are not collected while parsing; a ``JsonLocator`` finds the line and
column of a JSON path only when a finding needs it, skipping sibling values
with the standard library's C scanner.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import orjson

from esgcheck.filings.errors import InputError
from esgcheck.filings.limits import LimitExceeded

JsonPath = tuple[str | int, ...]

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def strip_bom(data: bytes) -> tuple[bytes, str]:
    """The bytes without their byte-order mark, and their encoding. Without a
    mark, UTF-16 is told by its zero bytes, as RFC 4627 §3 describes: the
    first two characters of a JSON text are ASCII, so UTF-16LE begins
    ``xx 00 xx 00`` and UTF-16BE ``00 xx 00 xx`` (never UTF-8)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom):], name
    head = data[:4]
    if len(head) == 4 and head[0] and not head[1] and head[2] and not head[3]:
        return data, "utf-16-le"
    if len(head) == 4 and not head[0] and head[1] and not head[2] and head[3]:
        return data, "utf-16-be"
    return data, "utf-8"


def decode(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 (with a BOM, or told by its zero
    bytes), to text without the BOM."""
    body, encoding = strip_bom(data)
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError("encoding", file, encoding=encoding.upper(), offset=exc.start) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"constant:{name}")


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return obj


_DECODER = json.JSONDecoder(
    parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_object)


_SKELETON = set(b'"{}[],:0123456789.eE+-')
_NOT_SKELETON = bytes(b for b in range(256) if b not in _SKELETON)


def _skeleton(data: bytes) -> bytes:
    return data.translate(None, _NOT_SKELETON)


def parse(text: str, file: str) -> Any:
    """Parse JSON text. Numbers keep their exact value; NaN, Infinity and
    duplicate keys are errors."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: let the exact parser explain
        return _parse_exact(text, file)
    return parse_utf8(data, file, text).doc


@dataclass(frozen=True)
class Parsed:
    doc: Any
    # the size of the document written compactly, when the fast path wrote it
    compact_size: int | None = None
    compact: bool = False  # the bytes are exactly that compact form (trailing space aside)


def parse_utf8(data: bytes, file: str, text: str | None = None) -> Parsed:
    """Parse UTF-8 JSON bytes (without BOM), decoding them only when the fast
    path does not apply."""
    try:
        doc = orjson.loads(data)
        written = orjson.dumps(doc)
        if written == data.rstrip(b" \t\r\n"):
            return Parsed(doc, len(written), compact=True)
        if _skeleton(data) == _skeleton(written):
            return Parsed(doc, len(written))
    except orjson.JSONDecodeError:
        pass  # the exact parser below says precisely what is wrong
    except orjson.JSONEncodeError:
        pass  # nested deeper than orjson writes (255 levels): the exact parser reads it
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError("encoding", file, encoding="UTF-8", offset=exc.start) from None
    return Parsed(_parse_exact(text, file))


# \uD800-\uDBFF not followed by \uDC00-\uDFFF, or the latter not preceded by the former
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _lone_surrogate(text: str, file: str) -> None:
    """JSON may spell a surrogate code point as an escape; alone, it is not a
    character, and no text can hold it: the file is refused, at the escape."""
    for m in _LONE_SURROGATE.finditer(text):
        start = m.start()
        backslashes = len(text[:start]) - len(text[:start].rstrip("\\"))
        if backslashes % 2 == 0:  # the escape's own backslash is not itself escaped
            line, column = _line_column(text, start)
            raise InputError("json_surrogate", file, line, column, escape=m.group())


def _parse_exact(text: str, file: str) -> Any:
    try:
        doc = _DECODER.decode(text)
        if "\\u" in text:
            _lone_surrogate(text, file)
        return doc
    except json.JSONDecodeError as exc:
        raise InputError("json_syntax", file, exc.lineno, exc.colno, reason=exc.msg) from None
    except _DuplicateKeyError as exc:
        line, column = _find_duplicate(text, exc.key)
        raise InputError("json_duplicate_key", file, line, column, key=exc.key) from None
    except ValueError as exc:
        name = str(exc).removeprefix("constant:")
        raise InputError("json_constant", file, name=name) from None
    except RecursionError:  # nesting beyond what the parser can follow
        raise LimitExceeded("parser_depth", file, PARSER_DEPTH) from None


PARSER_DEPTH = 1000  # about where the standard library's parser gives up


def _find_duplicate(text: str, key: str) -> tuple[int | None, int | None]:
    """Line and column of the second occurrence of ``key`` as an object key."""
    pattern = re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:")
    hits = [m.start() for m in pattern.finditer(text)]
    if len(hits) < 2:
        return None, None
    second = hits[1]
    line = text.count("\n", 0, second) + 1
    return line, second - (text.rfind("\n", 0, second) + 1) + 1


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


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of an offset."""
    start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, start) + 1, offset - start + 1


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
