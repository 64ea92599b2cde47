"""The results store's tables, in SQLAlchemy Core.

A *report* is one filing checked under one set of settings: the JSON report
esgcheck produced, keyed by the file's name as given, the SHA-256 of its bytes
and a digest of the settings (esgcheck version, rule bases and their content,
options). The same bytes checked again under the same settings are the same
report, stored once; a *run* lists the reports it covered, in order, so a run
that takes unchanged filings from the store still stands complete on its own.
Each finding of a report is a row of its own, for the questions a
certification body asks (which filings failed a rule, how severities spread).

Waivers belong to a run, not to a report: the same report may be waived in one
run and not in another. ``run_filings`` keeps each filing's grade after the
run's waivers and ``waived`` the findings they waived.

Changes to these tables are made by migrations (``migrations/versions``), never
by creating tables ad hoc; this module is what the latest migration builds, and
a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started", String(32), nullable=False),  # ISO 8601 UTC
    Column("finished", String(32)),
    # running | complete | interrupted | pending (a served batch waiting to be checked)
    Column("status", String(16), nullable=False),
    Column("esgcheck_version", String(32), nullable=False),
    Column("label", Text),
    Column("settings", Text, nullable=False),  # JSON
    Column("settings_key", String(64), nullable=False),
    Column("rulebases", Text, nullable=False),  # JSON: [{id, versions, sha256}]
    Column("files", Integer, nullable=False),  # files the run was given
    # the esgcheck serve tenant whose batch this is; null: the command line's
    Column("tenant", String(64)),
)
Index("ix_runs_tenant", runs.c.tenant)

reports = Table(
    "reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("path", Text, nullable=False),  # as given on the command line
    Column("sha256", String(64), nullable=False),
    Column("settings_key", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # checked | unreadable | not_assessed
    Column("filing_type", String(64)),
    Column("format", String(8)),
    Column("as_of", Date),
    Column("grade", String(8)),
    Column("error_code", String(64)),
    Column("report", Text, nullable=False),  # the filing's JSON report
    UniqueConstraint("path", "sha256", "settings_key", name="uq_reports_content"),
)
Index("ix_reports_grade", reports.c.grade)
Index("ix_reports_type", reports.c.filing_type)

run_filings = Table(
    "run_filings", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),  # the filing's place in the run
    Column("report_id", Integer, ForeignKey("reports.id"), nullable=False),
    Column("reused", Boolean, nullable=False),  # taken from the store, not checked again
    Column("grade", String(8)),  # after the run's waivers
    Column("settled", Text),  # the report as the run's waivers left it, when they changed it
    UniqueConstraint("run_id", "report_id", name="uq_run_filings_report"),
)
Index("ix_run_filings_report", run_filings.c.report_id)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"),
           nullable=False),
    Column("ordinal", Integer, nullable=False),  # its place in the report's findings
    Column("rule_id", String(64), nullable=False),
    Column("rulebase", String(64), nullable=False),
    Column("rulebase_version", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),  # breach | not_assessable
    Column("section", String(64)),
    Column("pointer", Text, nullable=False),
    Column("line", Integer),
    Column("col", Integer),
    Column("fingerprint", String(64), nullable=False),
)
Index("ix_findings_report", findings.c.report_id)
Index("ix_findings_rule", findings.c.rule_id, findings.c.outcome)
Index("ix_findings_severity", findings.c.severity, findings.c.outcome)
Index("ix_findings_fingerprint", findings.c.fingerprint)

waived = Table(
    "waived", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("finding_id", Integer, ForeignKey("findings.id", ondelete="CASCADE"),
           primary_key=True),
    Column("waiver_id", Text, nullable=False),
    Column("justification", Text, nullable=False),
    Column("approver", Text, nullable=False),
    Column("expires", Date, nullable=False),
)

# The files of a batch esgcheck serve accepted and has not finished checking,
# kept until it has: a server stopped or killed meanwhile checks them when it
# starts again. Deleted when the batch is complete.
batch_files = Table(
    "batch_files", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
)
