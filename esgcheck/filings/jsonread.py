"""JSON filings: decoding, parsing with exact decimals, and source positions.

Parsing uses the standard library's C scanner. Positions are not collected
while parsing; a ``JsonLocator`` finds the line and column of a JSON path only
when a finding needs it, skipping sibling values with the same C scanner.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from bisect import bisect_right
from decimal import Decimal
from typing import Any

from esgcheck.filings.errors import InputError

JsonPath = tuple[str | int, ...]

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM, to text without the BOM."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom):], name
            break
    try:
        return data.decode(encoding)
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


def parse(text: str, file: str) -> Any:
    """Parse JSON text: decimals stay exact, NaN/Infinity and duplicate keys are errors."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise InputError("json_syntax", file, exc.lineno, exc.colno, reason=exc.msg) from None
    except _DuplicateKeyError as exc:
        line, column = _find_duplicate(text, exc.key)
        raise InputError("json_duplicate_key", file, line, column, key=exc.key) from None
    except ValueError as exc:
        name = str(exc).removeprefix("constant:")
        raise InputError("json_constant", file, name=name) from None


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


class JsonLocator:
    """Line and column of any JSON path in one document's text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[int] | None = None
        self._cache: dict[JsonPath, int] = {(): self._skip(0)}

    def _skip(self, i: int) -> int:
        match = _WS_RUN.match(self.text, i)
        return match.end() if match else i

    def offset(self, path: JsonPath) -> tuple[int, bool]:
        """Offset of the value at ``path``; when absent, of its nearest present
        ancestor, with ``False`` as the second item."""
        cut = len(path)
        while path[:cut] not in self._cache:
            cut -= 1
        pos = self._cache[path[:cut]]
        for depth in range(cut, len(path)):
            found = self._child(pos, path[depth])
            if found is None:
                return pos, False
            pos = found
            self._cache[path[:depth + 1]] = pos
        return pos, True

    def _child(self, pos: int, key: str | int) -> int | None:
        text = self.text
        if pos >= len(text):
            return None
        opener = text[pos]
        if opener == "{" and isinstance(key, str):
            return self._member(pos, key)
        if opener == "[" and isinstance(key, int):
            return self._item(pos, key)
        return None

    def _member(self, pos: int, key: str) -> int | None:
        text = self.text
        i = self._skip(pos + 1)
        while i < len(text) and text[i] == '"':
            name, i = _SCANSTRING(text, i + 1)
            i = self._skip(i)
            i = self._skip(i + 1)  # the colon
            if name == key:
                return i
            _, i = _SCAN(text, i)
            i = self._skip(i)
            if text[i] != ",":
                return None
            i = self._skip(i + 1)
        return None

    def _item(self, pos: int, index: int) -> int | None:
        text = self.text
        i = self._skip(pos + 1)
        n = 0
        while i < len(text) and text[i] != "]":
            if n == index:
                return i
            _, i = _SCAN(text, i)
            i = self._skip(i)
            if text[i] != ",":
                return None
            i = self._skip(i + 1)
            n += 1
        return None

    def line_column(self, offset: int) -> tuple[int, int]:
        if self._lines is None:
            self._lines = [m.start() for m in re.finditer("\n", self.text)]
        line = bisect_right(self._lines, offset - 1)
        start = self._lines[line - 1] + 1 if line else 0
        return line + 1, offset - start + 1

    def locate(self, path: JsonPath) -> tuple[int, int, bool]:
        offset, exists = self.offset(path)
        line, column = self.line_column(offset)
        return line, column, exists
