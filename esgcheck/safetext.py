"""Text from a filing, a file name or a user's file, made safe to show.

A filing is untrusted: its values and its file name can hold terminal control
sequences (ESC, CSI, OSC: set the window title, clear the screen, print a
green "grade: A"), line breaks that fake a line of the report, and Unicode
bidirectional controls that make text read differently from what it is.
``visible`` writes every such character as a visible escape (``\\x1b``,
``\\u202e``), so what is shown is what is there; the text renderer and every
message the command line prints pass through it.
"""

from __future__ import annotations

import re

# C0 controls (line breaks and tabs included), DEL, C1 controls; the Unicode
# bidirectional controls (marks, embeddings, overrides, isolates), line and
# paragraph separators, the byte-order mark, lone surrogates.
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
    "\ufeff\ud800-\udfff]")


def escape_char(ch: str) -> str:
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def visible(text: str) -> str:
    """``text`` with every unsafe character written as a visible escape."""
    return UNSAFE.sub(lambda m: escape_char(m.group()), text)


def visible_lines(text: str) -> str:
    """Several lines of text: the line breaks kept, everything else as ``visible``."""
    return "\n".join(visible(line) for line in text.split("\n"))


# What JSON and XML serialisers leave as it is (they escape the C0 controls
# themselves): DEL, C1, the bidirectional controls, separators, BOM.
RAW_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


def json_safe(text: str) -> str:
    """Serialised JSON with the characters its serialiser leaves raw written as
    ``\\uXXXX`` escapes (the same JSON value, safe on a terminal)."""
    return RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def xml_safe(text: str) -> str:
    """Serialised XML or HTML with those characters as character references."""
    return RAW_UNSAFE.sub(lambda m: f"&#x{ord(m.group()):x};", text)
