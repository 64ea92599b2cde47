"""The questions a certification body asks a results store over a run: its
summary, the filings that failed, and what changed between two runs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, func, select

from esgcheck.engine.model import SEVERITY_RANK
from esgcheck.store.schema import findings, reports, run_filings, runs, waived


class Questions:
    """The store's read-only questions (esgcheck.store.store.Store has them)."""

    url: str

    def _tx(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # Store's: one transaction

    def _live(self, run_id: int) -> Any:
        """The run's findings that count: not waived in this run."""
        return (select(findings.c.id, findings.c.rule_id, findings.c.severity,
                       findings.c.outcome, findings.c.pointer, findings.c.fingerprint,
                       reports.c.path, run_filings.c.position)
                .join(reports, reports.c.id == findings.c.report_id)
                .join(run_filings, run_filings.c.report_id == reports.c.id)
                .where(run_filings.c.run_id == run_id)
                .where(~select(waived.c.finding_id).where(
                    waived.c.run_id == run_id, waived.c.finding_id == findings.c.id).exists()))

    def summary(self, run_id: int, top: int = 10) -> dict[str, Any]:
        with self._tx() as tx:
            status: dict[str, int] = dict(tx.execute(
                select(reports.c.status, func.count())
                .join(run_filings, run_filings.c.report_id == reports.c.id)
                .where(run_filings.c.run_id == run_id).group_by(reports.c.status)).all())
            grades: dict[str, int] = dict(tx.execute(
                select(run_filings.c.grade, func.count())
                .where(run_filings.c.run_id == run_id, run_filings.c.grade.is_not(None))
                .group_by(run_filings.c.grade)).all())
            live = self._live(run_id).subquery()
            by_severity = tx.execute(
                select(live.c.severity, live.c.outcome, func.count())
                .group_by(live.c.severity, live.c.outcome)).all()
            waived_count = tx.execute(select(func.count()).select_from(waived).where(
                waived.c.run_id == run_id)).scalar() or 0
            top_rules = tx.execute(
                select(live.c.rule_id, func.count(func.distinct(live.c.position)).label("n"))
                .where(live.c.outcome == "breach", live.c.severity != "info")
                .group_by(live.c.rule_id)
                .order_by(func.count(func.distinct(live.c.position)).desc(), live.c.rule_id)
                .limit(top)).all()
            info = tx.execute(select(runs).where(runs.c.id == run_id)).mappings().one()
        counts = {sev: 0 for sev in SEVERITY_RANK}
        counts |= {"not_assessable": 0, "waived": int(waived_count)}
        for severity, outcome, n in by_severity:
            if outcome == "breach":
                counts[severity] += n
            else:
                counts["not_assessable"] += n
        return {
            "run": {"id": run_id, "started": info["started"], "finished": info["finished"],
                    "status": info["status"], "label": info["label"],
                    "esgcheck": info["esgcheck_version"],
                    "rulebases": json.loads(info["rulebases"])},
            "files": sum(status.values()),
            "checked": status.get("checked", 0),
            "unreadable": status.get("unreadable", 0),
            "not_assessed": status.get("not_assessed", 0),
            "grades": dict(sorted(grades.items())),
            "counts": counts,
            "top_rules": [{"rule": rule, "filings": n} for rule, n in top_rules],
        }

    def failed(self, run_id: int, rule: str | None = None, severity: str | None = None,
               not_assessable: bool = False) -> list[dict[str, Any]]:
        """Filings with a breach (not waived) of ``rule``, or at or above
        ``severity`` (by default minor: an info finding is a statement, not a
        failure), with the grade and the matching findings. With
        ``not_assessable``, findings that could not be assessed count as well
        (as the gate of ``check`` counts them), and each finding names its
        outcome."""
        live = self._live(run_id).subquery()
        outcomes = ["breach", "not_assessable"] if not_assessable else ["breach"]
        query = select(live.c.path, live.c.position, live.c.rule_id, live.c.severity,
                       live.c.pointer, live.c.outcome).where(live.c.outcome.in_(outcomes))
        if rule is not None:
            query = query.where(live.c.rule_id == rule)
        elif severity is None:
            severity = "minor"
        if severity is not None:
            wanted = [s for s, rank in SEVERITY_RANK.items() if rank >= SEVERITY_RANK[severity]]
            query = query.where(live.c.severity.in_(wanted))
        with self._tx() as tx:
            rows = tx.execute(query.order_by(live.c.position, live.c.rule_id,
                                             live.c.pointer)).all()
            grades: dict[int, str] = dict(tx.execute(
                select(run_filings.c.position, run_filings.c.grade).where(
                    run_filings.c.run_id == run_id)).all())
        out: dict[int, dict[str, Any]] = {}
        for path, position, rule_id, sev, pointer, outcome in rows:
            entry = out.setdefault(position, {"file": path, "grade": grades.get(position),
                                              "findings": []})
            found = {"rule": rule_id, "severity": sev, "pointer": pointer}
            if not_assessable:
                found["outcome"] = outcome
            entry["findings"].append(found)
        return [out[p] for p in sorted(out)]

    def fingerprints(self, run_id: int) -> dict[tuple[str, str], tuple[str, str, str]]:
        """(file, fingerprint) -> (rule, severity, pointer) of the run's live findings."""
        live = self._live(run_id).subquery()
        with self._tx() as tx:
            rows = tx.execute(select(live.c.path, live.c.fingerprint, live.c.rule_id,
                                     live.c.severity, live.c.pointer)).all()
        return {(path, fp): (rule, sev, ptr) for path, fp, rule, sev, ptr in rows}

    def diff(self, old: int, new: int) -> dict[str, list[dict[str, str]]]:
        """Findings new in ``new``, fixed since ``old`` and unchanged, matched by
        file and fingerprint (rule and place, not line), as baselines match."""
        before, after = self.fingerprints(old), self.fingerprints(new)

        def rows(keys: set[tuple[str, str]], source: Mapping[tuple[str, str], tuple[str, str, str]]
                 ) -> list[dict[str, str]]:
            return [{"file": k[0], "rule": source[k][0], "severity": source[k][1],
                     "pointer": source[k][2]}
                    for k in sorted(keys, key=lambda k: (k[0], source[k][0], source[k][2]))]

        return {"new": rows(set(after) - set(before), after),
                "fixed": rows(set(before) - set(after), before),
                "unchanged": rows(set(after) & set(before), after)}

    def finding_rows(self, run_id: int) -> Iterator[dict[str, Any]]:
        """Every finding of the run, waived ones marked, for export."""
        query = (select(reports.c.path, reports.c.filing_type, run_filings.c.grade,
                        findings.c.rule_id, findings.c.rulebase, findings.c.rulebase_version,
                        findings.c.severity, findings.c.outcome, findings.c.section,
                        findings.c.pointer, findings.c.line, findings.c.col,
                        findings.c.fingerprint, waived.c.waiver_id)
                 .join(reports, reports.c.id == findings.c.report_id)
                 .join(run_filings, run_filings.c.report_id == reports.c.id)
                 .outerjoin(waived, (waived.c.finding_id == findings.c.id)
                            & (waived.c.run_id == run_id))
                 .where(run_filings.c.run_id == run_id)
                 .order_by(run_filings.c.position, findings.c.ordinal))
        with self._tx() as tx:
            for row in tx.execute(query).mappings():
                out = dict(row)
                out["file"] = out.pop("path")
                out["column"] = out.pop("col")
                out["waiver"] = out.pop("waiver_id")
                if out["waiver"] is not None:
                    out["outcome"] = "waived"
                yield out


