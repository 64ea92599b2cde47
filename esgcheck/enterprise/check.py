"""Checking a group of one enterprise's filings with the cross-filing rules.

A group becomes one synthetic document of type ``cn-enterprise-group`` (see
``esgcheck.enterprise.schema``) that holds each member's canonical document
under its role; the rule base ``cn-enterprise`` checks it with the same engine
as any filing. Its locator sends a place in the group document to the member
file it came from: ``/ledgers/0/totals/0/generated`` is
``/totals/0/generated`` of the first ledger, with that file's line and column
(or XPath), so every finding's location, evidence and proof point into the
member files themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from esgcheck.checker import Checker, Options
from esgcheck.engine.build import pointer
from esgcheck.engine.filing_types import FilingType
from esgcheck.engine.findings import Evidence, FilingReport, Finding, Location, ProofNode
from esgcheck.enterprise.grouping import Group, JsonPath, Member, Placed
from esgcheck.enterprise.schema import GROUP_TYPE, ROLES
from esgcheck.filings.reader import Filing


def group_document(group: Group, docs: Mapping[str, Member]) -> dict[str, Any]:
    """The group's document; ``docs`` gives each member file's filing."""
    doc: dict[str, Any] = {
        "filing_type": GROUP_TYPE, "uscc": group.uscc, "year": group.year,
        "key": group.key, "period_end": date(group.year, 12, 31).isoformat(), "members": []}
    for role, (_, _, key) in ROLES.items():
        placed = group.of_role(role)
        doc[key] = [dict(docs[p.file].doc) for p in placed]
        doc["members"] += [{"role": role, "file": p.file, "filing_type": p.filing_type,
                            "index": i} for i, p in enumerate(placed)]
    return doc


@dataclass
class GroupFiling(Filing):
    """The group document as a filing whose places are the members' places."""

    group: Group | None = None
    docs: Mapping[str, Member] = field(default_factory=dict)

    def location(self, path: JsonPath) -> Location:
        member = self.member_at(path)
        if member is not None:
            return self.docs[member.file].locate(path[2:])
        return Location(file=self.file, pointer=pointer(path), exists=True)

    def member_at(self, path: JsonPath) -> Placed | None:
        assert self.group is not None
        if len(path) < 2 or not isinstance(path[1], int):
            return None
        for role, (_, _, key) in ROLES.items():
            if path[0] == key:
                placed = self.group.of_role(role)
                return placed[path[1]] if path[1] < len(placed) else None
        return None


def check_group(checker: Checker, group: Group, docs: Mapping[str, Member],
                options: Options | None = None) -> FilingReport:
    """The group's report: the cross-filing findings only (each member's own
    findings, structural ones included, are in the member's report).
    ``docs`` gives each member file's filing, by file name."""
    ft = checker.registry.get(GROUP_TYPE)
    assert isinstance(ft, FilingType), "the cn-enterprise rule base is not loaded"
    filing = GroupFiling(group.label, "json", ft, group_document(group, docs), group=group,
                         docs=docs)
    filing.valid = True  # its members were validated as filings of their own
    report = checker.check_guarded(filing, options or Options())
    if report.status != "checked":
        return report
    findings = [in_members(f, group.label) for f in report.findings if f.rulebase != "schema"]
    return report.model_copy(update={
        "findings": findings, **checker.grade_fields(report.rulebases, findings)})


def _named(items: list[Evidence], label: str) -> list[Evidence]:
    """Evidence read from a member named by the member file and its own
    pointer (``annual-2023.json#/pollution/solid_waste/generated``) rather than
    by its place in the group document, which no file has."""
    out = []
    for e in items:
        where = e.location
        if e.source == "filing" and where is not None and where.file != label:
            e = e.model_copy(update={"name": f"{where.file}#{where.pointer}"})
        out.append(e)
    return out


def _node(node: ProofNode, label: str) -> ProofNode:
    return node.model_copy(update={"evidence": _named(node.evidence, label),
                                   "because": [_node(n, label) for n in node.because]})


def in_members(finding: Finding, label: str) -> Finding:
    """A finding of the group with every value it read named in its member file."""
    return finding.model_copy(update={
        "evidence": _named(finding.evidence, label),
        "derivation": [_node(n, label) for n in finding.derivation]})
