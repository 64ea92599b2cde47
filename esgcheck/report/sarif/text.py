"""Text of SARIF messages and help: Markdown escaped, citations, proof trees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from esgcheck.engine.findings import ProofNode
from esgcheck.messages import colon, message, words

MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")

# Labels of this format only; the tool's own words come from esgcheck.messages.
LABELS: dict[str, tuple[str, str]] = {
    "note": ("说明", "note"),
}

Json = dict[str, Any]  # a SARIF object


def cite(text: str, citation: str, lang: str) -> str:
    """``text`` ending with the citation it rests on."""
    basis = message("citation", lang)
    if lang == "zh":
        return f"{text}（{basis}：{citation}）"
    return f"{text} ({basis}: {citation})"


def md(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def camel(title: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title))


# -- locations


def proof_markdown(node: ProofNode, lang: str, depth: int) -> Iterator[str]:
    pad = "  " * depth
    rules = ", ".join(node.rules) or message("not_derived", lang)
    yield f"{pad}- facts.{md(node.fact)} = {md(node.value)} ← {md(rules)}"
    for e in node.evidence:
        value = e.display if e.present else message("absent", lang)
        yield f"{pad}  - {md(e.name)} = {md(value)}"
    for note in node.notes:
        yield f"{pad}  - {words(LABELS, 'note', lang)}{colon(lang)}{md(note)}"
    for child in node.because:
        yield from proof_markdown(child, lang, depth + 1)


