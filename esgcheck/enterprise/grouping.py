"""Grouping checked filings by enterprise (USCC) and reporting year.

Grouping is a pure function of each filing's own identifiers, read from its
canonical document at the places its filing type keeps them (``IDENTITY``):
it never guesses. A filing whose USCC or year cannot be read joins no group
and is reported with the reason; a filing never joins another enterprise's
group, because the key is the USCC as written (after Unicode NFKC and
upper-casing, so a full-width code is the same code). Two annual reports of
one enterprise and year both join the group, where a rule reports them: the
group never picks one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from esgcheck.engine.findings import Location
from esgcheck.enterprise.schema import ROLES

JsonPath = tuple[str | int, ...]
Locate = Callable[[JsonPath], Location]

# filing type -> (pointers to the USCC, first present wins; how the year is read)
# The year: "end" is the year of the first date present of the pointers given,
# "period" the year of a period whose start and end fall in one calendar year.
IDENTITY: dict[str, tuple[tuple[JsonPath, ...], str, tuple[JsonPath, ...]]] = {
    # the annual report: the enterprise's code in its basic information (the
    # cover repeats it), the year its reporting period ends in
    "cn-eidm-annual": ((("basic_info", "uscc"), ("cover", "uscc")), "end",
                       (("reporting_period", "end"), ("reporting_period", "start"))),
    # a temporary report belongs to the year of the legal document it discloses
    # (the penalty the annual report of that year lists), else the year it was
    # disclosed in
    "cn-eidm-temporary": ((("enterprise", "uscc"),), "end",
                          (("document", "date"), ("disclosed",))),
    # a listed company's sustainability report: its reporting period's year
    "cn-listed-sustainability-report": ((("company", "uscc"),), "end",
                                        (("report", "period", "end"),
                                         ("report", "period", "start"))),
    # a financial institution's environmental report: its reporting period's year
    "cn-fi-environmental-disclosure": ((("institution", "uscc"),), "end",
                                       (("report", "period", "end"),
                                        ("report", "period", "start"))),
    # a ledger: one site, one month, quarter or year
    "cn-solid-waste-ledger": ((("enterprise", "uscc"),), "period",
                              (("period", "start"), ("period", "end"))),
}
ROLE_OF = {type_id: role for role, (type_id, _, _) in ROLES.items()}


@dataclass(frozen=True)
class Member:
    """A checked filing that can join a group."""

    file: str
    filing_type: str
    doc: Mapping[str, Any]
    locate: Locate


@dataclass(frozen=True)
class Placed:
    """A filing's place in the groups: its role, enterprise and year, and where
    they were read. Small (no document), so that workers can send it back."""

    file: str
    filing_type: str
    role: str
    uscc: str
    year: int
    uscc_at: JsonPath
    year_at: JsonPath


@dataclass(frozen=True)
class Refused:
    """A filing that joins no group, and why (``code``: no_uscc, no_year,
    two_years, not_a_member, changed)."""

    file: str
    filing_type: str
    code: str
    location: Location | None = None
    value: str | None = None


@dataclass
class Group:
    uscc: str
    year: int
    members: list[Placed] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.uscc}/{self.year}"

    @property
    def label(self) -> str:
        return f"enterprise/{self.key}"

    def of_role(self, role: str) -> list[Placed]:
        return [p for p in self.members if p.role == role]


def _get(doc: Any, path: JsonPath) -> Any:
    node = doc
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(str(key))
    return node


def uscc_key(value: Any) -> str | None:
    """The code as the group's key: NFKC, blanks dropped, upper case; None for
    anything that is not a text of 18 letters and digits (not checked for its
    check character: the per-filing rules report a wrong one)."""
    if not isinstance(value, str):
        return None
    code = "".join(unicodedata.normalize("NFKC", value).split()).upper()
    return code if len(code) == 18 and code.isalnum() and code.isascii() else None


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def place(member: Member) -> Placed | Refused:
    """Where ``member`` belongs, or why it belongs nowhere."""
    role = ROLE_OF.get(member.filing_type)
    if role is None:
        return Refused(member.file, member.filing_type, "not_a_member")
    uscc_paths, how, year_paths = IDENTITY[member.filing_type]
    uscc_at = next((p for p in uscc_paths if _get(member.doc, p) is not None), uscc_paths[0])
    uscc = uscc_key(_get(member.doc, uscc_at))
    if uscc is None:
        raw = _get(member.doc, uscc_at)
        return Refused(member.file, member.filing_type, "no_uscc", member.locate(uscc_at),
                       raw if isinstance(raw, str) else None)
    if how == "end":
        year_at = next((p for p in year_paths if _date(_get(member.doc, p))), year_paths[0])
        found = _date(_get(member.doc, year_at))
        if found is None:
            return Refused(member.file, member.filing_type, "no_year", member.locate(year_at))
        return Placed(member.file, member.filing_type, role, uscc, found.year, uscc_at,
                      year_at)
    start, end = (_date(_get(member.doc, p)) for p in year_paths)
    if start is None or end is None:
        at = year_paths[0] if start is None else year_paths[1]
        return Refused(member.file, member.filing_type, "no_year", member.locate(at))
    if start.year != end.year:
        return Refused(member.file, member.filing_type, "two_years",
                       member.locate(year_paths[0]), f"{start} / {end}")
    return Placed(member.file, member.filing_type, role, uscc, start.year, uscc_at,
                  year_paths[0])


def group(places: Iterable[Placed | Refused]) -> tuple[list[Group], list[Refused]]:
    """Groups in order of USCC and year, each member in order of role and file
    name; refused filings in order of file name. The same filings give the
    same groups whatever order they come in."""
    groups: dict[tuple[str, int], Group] = {}
    refused: list[Refused] = []
    for placed in places:
        if isinstance(placed, Refused):
            refused.append(placed)
            continue
        key = (placed.uscc, placed.year)
        groups.setdefault(key, Group(*key)).members.append(placed)
    roles = list(ROLES)
    out = [groups[k] for k in sorted(groups)]
    for g in out:
        g.members.sort(key=lambda p: (roles.index(p.role), p.file))
    refused.sort(key=lambda r: (r.file, r.code))
    return out, refused
