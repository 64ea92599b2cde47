"""Rule selection, as linters have it (ruff's ``--select``/``--extend-select``/
``--ignore``), and the nearest names for one that is misspelt.

A selector is one of

* a rule id, in any case: ``CN-EIDM-ANN-002`` (and ``cn-eidm-ann-002``);
* an id prefix ending at a ``-``: ``CN-EIDM-ANN`` selects ``CN-EIDM-ANN-002``
  and ``CN-EIDM-ANN-008-02``, but ``CN-EIDM-AN`` selects nothing (so that
  ``ANN-01`` never reaches ``ANN-010``);
* ``severity:LEVEL``: every rule of that severity (critical, major, minor,
  info);
* ``ALL``: every rule.

A check rule runs when it matches a ``select`` selector (no ``select`` at all:
every rule) or an ``extend-select`` one, and matches no ``ignore`` selector:
``ignore`` wins. Selection applies to check rules; the derive rules whose
facts a selected check rule reads still run. A selector that matches no check
rule is an error naming the nearest ids.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SEVERITIES = ("critical", "major", "minor", "info")
SEVERITY_PREFIX = "severity:"


@dataclass(frozen=True)
class RuleRef:
    """What selection needs to know of a rule."""

    id: str
    severity: str | None
    is_derive: bool = False


class SelectionError(ValueError):
    """Selectors that match no check rule, each with the nearest names."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def nearest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to ``word`` (difflib), compared without case."""
    by_key: dict[str, str] = {}
    for c in candidates:
        by_key.setdefault(c.upper(), c)
    return [by_key[k] for k in difflib.get_close_matches(word.upper(), list(by_key), n=n,
                                                           cutoff=0.6)]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean X or Y? / 是否指 X?)`` for the nearest names, or ``""``."""
    close = nearest(word, candidates)
    if not close:
        return ""
    return f" (did you mean {' or '.join(close)}? / 是否指 {'、'.join(close)}" + "\uff1f)"


def split(values: Iterable[str]) -> tuple[str, ...]:
    """Selectors from options or a list, each of which may hold several
    separated by commas (``--ignore A,B``)."""
    return tuple(part.strip() for value in values for part in value.split(",")
                 if part.strip())


def matches(selector: str, rule: RuleRef) -> bool:
    s = selector.strip()
    if s.lower().startswith(SEVERITY_PREFIX):
        return rule.severity == s[len(SEVERITY_PREFIX):].strip().lower()
    if s.upper() == "ALL":
        return True
    want, rid = s.upper(), rule.id.upper()
    return rid == want or rid.startswith(want + "-")


def prefixes(ids: Iterable[str]) -> set[str]:
    """Every id and each of its prefixes that ends at a ``-`` (CN-EIDM,
    CN-EIDM-ANN, ...): the names a misspelt selector is compared with."""
    out: set[str] = set()
    for rid in ids:
        parts = rid.split("-")
        out.update("-".join(parts[:n]) for n in range(1, len(parts) + 1))
    return out


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return not (self.select or self.extend_select or self.ignore)

    def runs(self, rule: RuleRef) -> bool:
        chosen = (not self.select or any(matches(s, rule) for s in self.select)
                  or any(matches(s, rule) for s in self.extend_select))
        return chosen and not any(matches(s, rule) for s in self.ignore)

    def check(self, rules: Sequence[RuleRef]) -> None:
        """Raise SelectionError for every selector that matches no check rule."""
        checks = [r for r in rules if not r.is_derive]
        problems: list[str] = []
        for option, selectors in (("select", self.select), ("extend-select",
                                                            self.extend_select),
                                  ("ignore", self.ignore)):
            for s in selectors:
                if any(matches(s, r) for r in checks):
                    continue
                problems.append(f"{option} {s}: {self._why(s, rules)}")
        if problems:
            raise SelectionError(problems)

    @staticmethod
    def _why(selector: str, rules: Sequence[RuleRef]) -> str:
        if selector.lower().startswith(SEVERITY_PREFIX):
            level = selector[len(SEVERITY_PREFIX):].strip().lower()
            if level in SEVERITIES:
                return f"no rule loaded has severity {level} / 没有该严重程度的规则"
            return (f"unknown severity '{level}' (severities: {', '.join(SEVERITIES)}) / "
                    f"未知的严重程度" + did_you_mean(level, SEVERITIES))
        if any(matches(selector, r) for r in rules):
            return ("only derive rules have this id; selection applies to check rules / "
                    "该编号只对应推导规则，选择只作用于检查规则")
        return ("no rule has this id or id prefix / 没有此编号或编号前缀的规则"
                + did_you_mean(selector, prefixes(r.id for r in rules if not r.is_derive)))

    def deselected(self, rules: Iterable[RuleRef]) -> list[str]:
        """The ids of the check rules switched off, sorted."""
        return sorted(r.id for r in rules if not r.is_derive and not self.runs(r))


def canonical_id(word: str, ids: Iterable[str]) -> str | None:
    """The rule id ``word`` names in any case, or None."""
    want = word.strip().upper()
    for rid in ids:
        if rid.upper() == want:
            return rid
    return None
