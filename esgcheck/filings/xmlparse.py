"""XML filings: hardened parsing.

The parser never loads a DTD, never expands an entity, never touches the
network; a document with a DOCTYPE is refused outright. The text is decoded
as the document declares (or its byte-order mark says) before libxml2 sees
it, and a document's size is counted while it is fed, so that a filing over
the limits stops early. What the parsed tree means is ``xmlread``'s.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from lxml import etree

from esgcheck.filings.errors import InputError
from esgcheck.filings.limits import LimitExceeded

LXML_DEPTH = 256  # libxml2's nesting bound without its huge-document option

def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False,
    )


class _NothingExternal(etree.Resolver):
    """Answers every request libxml2 makes for an external resource (a DTD, an
    entity, anything its catalog would look up) with nothing, and remembers
    that one was made. lxml asks its resolvers before libxml2's own loader,
    which is what opens files and the compiled-in catalog; so neither runs.
    Only a DOCTYPE can make such a request, and ``parse`` refuses every
    DOCTYPE before libxml2 sees the document: this is the second wall."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = False

    # lxml passes the parser context too, which lxml-stubs leave out
    def resolve(self, system_url: Any, public_id: Any, context: Any = None) -> Any:
        self.asked = True
        return self.resolve_string("", context, base_url=None)


_BOMS = (  # longest first: the UTF-32 marks begin with the UTF-16 ones
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_UNMARKED = (  # how "<?" (or "<" and a name) starts in each encoding, as libxml2 detects
    (b"\x00\x00\x00\x3c", "utf-32-be"),
    (b"\x3c\x00\x00\x00", "utf-32-le"),
    (b"\x00\x3c\x00\x3f", "utf-16-be"),
    (b"\x3c\x00\x3f\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # EBCDIC: the declaration names the code page
)
_DECLARATION = re.compile(r"<\?xml[ \t\r\n][^>]*?\?>", re.DOTALL)
_ENCODING = re.compile(r"""encoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z][A-Za-z0-9._-]*)["']""")


def decode(data: bytes, file: str) -> str:
    """The document's text, decoded as libxml2 would decode it: a byte-order
    mark, else the first bytes' pattern (UTF-16 and UTF-32 without a mark,
    EBCDIC), else the encoding the declaration names, else UTF-8."""
    encoding, skip = None, 0
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, skip = name, len(bom)
            break
    if encoding is None:
        for start, name in _UNMARKED:
            if data.startswith(start):
                encoding = name
                break
    if encoding is None or encoding == "cp037":
        head = data[:1024].decode(encoding or "latin-1")
        declaration = _DECLARATION.match(head)
        named = _ENCODING.search(declaration.group()) if declaration else None
        if named is not None:
            encoding = named.group(1)
        encoding = encoding or "utf-8"
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            info = None
        if info is None or not getattr(info, "_is_text_encoding", True):
            raise InputError("xml_encoding", file, 1, encoding=encoding)
        encoding = info.name
    try:
        return data[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError("encoding", file, encoding=encoding.upper(),
                         offset=skip + exc.start) from None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1



def parse(data: bytes, file: str, max_values: int | None = None) -> etree._Element:
    """Parse XML bytes (any encoding the declaration names) with every external
    and expanding feature off.

    The document is decoded here, searched for a DOCTYPE, and only then given
    to libxml2, as UTF-8 with its declaration blanked out: libxml2 reads
    exactly the text that was searched, so a DOCTYPE anywhere (after a long
    comment, in UTF-16, in an encoding only the declaration names) is refused
    before libxml2 can act on it, with the same message whatever it names.
    ``max_values`` bounds the elements and attributes, counted while parsing,
    so that a document of millions of empty elements is refused before its
    tree is built."""
    text = decode(data, file)
    found = text.find("<!DOCTYPE")
    if found >= 0:
        raise InputError("xml_doctype", file, _line_of(text, found))
    declaration = _DECLARATION.match(text)
    if declaration is not None:  # the text is now UTF-8; keep lines and columns
        blank = re.sub(r"[^\n]", " ", declaration.group())
        text = blank + text[declaration.end():]
    elif text.startswith("<?xml") and text[5:6] in (" ", "\t", "\r", "\n"):
        raise InputError("xml_syntax", file, 1, 1, reason="malformed XML declaration")
    body = text.encode("utf-8", errors="surrogatepass")
    del text
    resolver = _NothingExternal()
    try:
        if max_values is not None and body.count(b"<") + body.count(b"=") > max_values:
            root = _parse_counting(body, file, max_values, resolver)
        else:
            parser = _parser()
            parser.resolvers.add(resolver)
            root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        if resolver.asked:
            raise InputError("xml_doctype", file, 1) from None
        line, column = exc.position if exc.position else (None, None)
        if "Excessive depth" in (exc.msg or ""):
            raise LimitExceeded("parser_depth", file, LXML_DEPTH) from None
        raise InputError("xml_syntax", file, line, column, reason=exc.msg) from None
    except ValueError as exc:
        raise InputError("xml_syntax", file, reason=str(exc)) from None
    docinfo: Any = root.getroottree().docinfo
    if resolver.asked or docinfo.doctype or docinfo.internalDTD is not None:
        raise InputError("xml_doctype", file, 1)
    for node in root.iter(etree.Entity):
        name = str(getattr(node, "name", ""))
        raise InputError("xml_entity", file, element_line(node), name=name)
    return root


_FEED = 1 << 16


def _parse_counting(body: bytes, file: str, max_values: int,
                    resolver: _NothingExternal) -> etree._Element:
    """Parse in pieces, counting each element and its attributes as it starts,
    and stop at the first value past ``max_values``."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False,
        dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True,
        collect_ids=False)
    parser.resolvers.add(resolver)
    count = 0
    view = memoryview(body)
    for start in range(0, len(body), _FEED):
        parser.feed(bytes(view[start:start + _FEED]))
        for _, element in parser.read_events():
            if isinstance(element, etree._Element):
                count += 1 + len(element.attrib)
        if count > max_values:
            raise LimitExceeded("values", file, max_values)
    root: etree._Element = parser.close()
    return root


def element_line(el: Any) -> int:
    line = el.sourceline
    return line if isinstance(line, int) else 0
