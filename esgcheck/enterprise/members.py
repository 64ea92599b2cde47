"""Stored filings as members of an enterprise's group: each read again from
where the run read it, if its bytes are still the ones checked (used by the
group stage on a stored run, in this process and on Dask workers)."""

from __future__ import annotations

from pathlib import Path

from esgcheck.checker import Checker, Options
from esgcheck.checkerparts import file_digest
from esgcheck.engine.findings import FilingReport
from esgcheck.enterprise.check import check_group
from esgcheck.enterprise.grouping import Group, Member, Placed, Refused, place
from esgcheck.enterprise.run import read_member, refused_reports

Stored = tuple[str, str, str | None]  # path, sha256, filing type


def locate_member(checker: Checker, stored: Stored, options: Options) -> Member | Refused:
    """A stored filing read again, if its bytes are still the ones checked."""
    path, sha, filing_type = stored
    if file_digest(Path(path)) != sha:
        return Refused(path, filing_type or "", "changed")
    member = read_member(checker, Path(path), path, options)
    return member if member is not None else Refused(path, filing_type or "", "changed")


def place_stored(checker: Checker, stored: Stored, options: Options) -> Placed | Refused:
    found = locate_member(checker, stored, options)
    return found if isinstance(found, Refused) else place(found)


def check_stored_group(checker: Checker, grp: Group, sums: dict[str, str],
                       options: Options) -> FilingReport:
    """A group checked from its members' files (each checked again against its
    digest: a member changed since it was placed makes the group a report of
    its own saying so)."""
    docs: dict[str, Member] = {}
    for p in grp.members:
        found = locate_member(checker, (p.file, sums[p.file], p.filing_type), options)
        if isinstance(found, Refused):
            return refused_reports([found])[0].model_copy(update={"file": grp.label})
        docs[p.file] = found
    return check_group(checker, grp, docs, options)
