"""What esgcheck serve needs of the store: the tenant a run belongs to, and the
files of a batch accepted but not yet checked (so that a restarted server
checks them).

Revision ID: 0002
Revises: 0001

An existing store keeps its runs: their tenant is null (runs of the command
line, which no tenant of a server with tokens sees), and no batch is pending.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("tenant", sa.String(64)))
        batch.create_index("ix_runs_tenant", ["tenant"])
    op.create_table(
        "batch_files",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("batch_files")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_tenant")
        batch.drop_column("tenant")
