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

Positions are not collected while parsing; ``jsonlocate.JsonLocator`` finds the line and
column of a JSON path only when a finding needs it, skipping sibling values
with the standard library's C scanner.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from dataclasses import dataclass
from decimal import Decimal
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
            line, column = line_column(text, start)
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


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of an offset."""
    start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, start) + 1, offset - start + 1
