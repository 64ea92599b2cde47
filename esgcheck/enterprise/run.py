"""One enterprise's filings together: the second stage after the per-filing checks.

    from esgcheck.enterprise.run import check_enterprises
    run = check_enterprises(checker, [Path("inbox/")])
    run.groups, run.refused, run.reports      # what was grouped, what was not, reports

Each filing is checked on its own first (its report as ``esgcheck check``
gives it); the filings that were read are then grouped by USCC and year
(``grouping``) and each group is checked by the cross-filing rules (``check``).
A filing that joins no group gets a report of its own saying why, located at
the place its USCC or date should be.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from esgcheck.checker import Checker, Options
from esgcheck.checkerparts import portable_name
from esgcheck.engine.build import pointer
from esgcheck.engine.findings import FilingReport, InputProblem
from esgcheck.engine.model import Text
from esgcheck.enterprise.check import check_group
from esgcheck.enterprise.grouping import Group, Member, Refused, group, place
from esgcheck.filings.errors import InputError
from esgcheck.filings.limits import LimitExceeded
from esgcheck.filings.paths import expand
from esgcheck.filings.reader import file_bytes, read_bytes

REFUSED: dict[str, Text] = {
    "no_uscc": Text(zh="未分组：无法读取统一社会信用代码（{value}），"
                       "该文件未与任何企业的其他文件核对。",
                    en="Not grouped: no readable unified social credit code ({value}); the "
                       "filing was not checked against any enterprise's other filings."),
    "no_year": Text(zh="未分组：无法读取报告年度所依据的日期，该文件未与其他文件核对。",
                    en="Not grouped: the date its year is read from is missing or not a date; "
                       "the filing was not checked against other filings."),
    "changed": Text(zh="未分组：该文件已不是结果库中那次运行所检查的文件（内容已变或已不存在）。",
                    en="Not grouped: the file is no longer the one the stored run checked "
                       "(its content changed, or it is gone)."),
    "two_years": Text(zh="未分组：台账期间（{value}）跨两个年度，无法归入一个年度。",
                      en="Not grouped: the ledger's period ({value}) spans two years and "
                         "belongs to no one year."),
}


@dataclass
class EnterpriseRun:
    filings: list[FilingReport] = field(default_factory=list)  # each filing on its own
    groups: list[Group] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    group_reports: list[FilingReport] = field(default_factory=list)

    @property
    def reports(self) -> list[FilingReport]:
        """The per-filing reports, then one per group, then the refused filings'."""
        return [*self.filings, *self.group_reports, *refused_reports(self.refused)]


def refused_reports(refused: Sequence[Refused]) -> list[FilingReport]:
    out = []
    for r in refused:
        if r.code not in REFUSED:
            continue  # not a member type: nothing to group it with
        words = REFUSED[r.code]
        value = r.value if r.value is not None else "—"
        out.append(FilingReport(
            file=r.file, status="not_assessed", filing_type=r.filing_type,
            error=InputProblem(code=f"group.{r.code}", location=r.location, message=Text(
                zh=words.zh.format(value=value), en=words.en.format(value=value)))))
    return out


def read_member(checker: Checker, path: Path, display: str, options: Options,
                data: bytes | None = None) -> Member | None:
    """A checked filing read again as a group member (None when it cannot be
    read: its own report says why). ``data``: its bytes, when already read."""
    try:
        if data is None:
            data = file_bytes(path, display, options.limits.max_bytes)
        filing = read_bytes(data, display, checker.registry, options.filing_type,
                            options.limits)
    except (InputError, LimitExceeded):
        return None
    return Member(display, filing.filing_type.id, filing.doc, filing.location)


def members(checker: Checker, paths: Iterable[Path], options: Options | None = None
            ) -> tuple[list[FilingReport], list[Member]]:
    """Every file under ``paths`` checked on its own, and the ones that were
    read and checked, as group members."""
    options = options or Options()
    reports: list[FilingReport] = []
    found: list[Member] = []
    for path, shown in expand(paths):
        display = portable_name(shown)
        report = checker.in_order(checker.check_file(path, display, options))
        reports.append(report)
        member = read_member(checker, path, display, options) if (
            report.status == "checked") else None
        if member is not None:
            found.append(member)
    return reports, found


def check_members(checker: Checker, found: Iterable[Member], options: Options | None = None
                  ) -> EnterpriseRun:
    """The groups ``found`` forms, each checked."""
    docs = {m.file: m for m in found}
    groups, refused = group(place(m) for m in docs.values())
    return EnterpriseRun(groups=groups, refused=refused, group_reports=[
        check_group(checker, g, docs, options) for g in groups])


def check_enterprises(checker: Checker, paths: Iterable[Path], options: Options | None = None
                      ) -> EnterpriseRun:
    reports, found = members(checker, paths, options)
    run = check_members(checker, found, options)
    run.filings = reports
    return run


def describe(run: EnterpriseRun, lang: str = "en") -> list[str]:
    """Which groups were formed and why, one line each, and what was not grouped."""
    zh = lang == "zh"
    lines = []
    for g in run.groups:
        lines.append(f"{'企业文件组' if zh else 'group'} {g.key}: " + "; ".join(
            f"{p.role} {p.file} ({'代码' if zh else 'USCC'} {pointer(p.uscc_at)}, "
            f"{'年度' if zh else 'year'} {pointer(p.year_at)})" for p in g.members))
    for r in run.refused:
        why = {"no_uscc": "无统一社会信用代码" if zh else "no readable USCC",
               "no_year": "无法读取年度" if zh else "no readable year",
               "two_years": "期间跨两个年度" if zh else "period spans two years",
               "not_a_member": "非企业文件组的文件类型" if zh else "not a type groups hold",
               "changed": "文件已变" if zh else "changed since the stored run",
               }[r.code]
        at = f" ({r.location.pointer})" if r.location is not None else ""
        lines.append(f"{'未分组' if zh else 'not grouped'}: {r.file} [{r.filing_type}]: "
                     f"{why}{at}")
    return lines
