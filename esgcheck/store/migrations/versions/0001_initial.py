"""The first store: runs, reports, the filings of a run, findings, waived findings.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started", sa.String(32), nullable=False),
        sa.Column("finished", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("esgcheck_version", sa.String(32), nullable=False),
        sa.Column("label", sa.Text),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("settings_key", sa.String(64), nullable=False),
        sa.Column("rulebases", sa.Text, nullable=False),
        sa.Column("files", sa.Integer, nullable=False),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("settings_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filing_type", sa.String(64)),
        sa.Column("format", sa.String(8)),
        sa.Column("as_of", sa.Date),
        sa.Column("grade", sa.String(8)),
        sa.Column("error_code", sa.String(64)),
        sa.Column("report", sa.Text, nullable=False),
        sa.UniqueConstraint("path", "sha256", "settings_key", name="uq_reports_content"),
    )
    op.create_index("ix_reports_grade", "reports", ["grade"])
    op.create_index("ix_reports_type", "reports", ["filing_type"])
    op.create_table(
        "run_filings",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("reused", sa.Boolean, nullable=False),
        sa.Column("grade", sa.String(8)),
        sa.Column("settled", sa.Text),
        sa.UniqueConstraint("run_id", "report_id", name="uq_run_filings_report"),
    )
    op.create_index("ix_run_filings_report", "run_filings", ["report_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("rulebase", sa.String(64), nullable=False),
        sa.Column("rulebase_version", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("section", sa.String(64)),
        sa.Column("pointer", sa.Text, nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("col", sa.Integer),
        sa.Column("fingerprint", sa.String(64), nullable=False),
    )
    op.create_index("ix_findings_report", "findings", ["report_id"])
    op.create_index("ix_findings_rule", "findings", ["rule_id", "outcome"])
    op.create_index("ix_findings_severity", "findings", ["severity", "outcome"])
    op.create_index("ix_findings_fingerprint", "findings", ["fingerprint"])
    op.create_table(
        "waived",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("waiver_id", sa.Text, nullable=False),
        sa.Column("justification", sa.Text, nullable=False),
        sa.Column("approver", sa.Text, nullable=False),
        sa.Column("expires", sa.Date, nullable=False),
    )


def downgrade() -> None:
    for table in ("waived", "findings", "run_filings", "reports", "runs"):
        op.drop_table(table)
