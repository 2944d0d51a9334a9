"""agent state log (agent_state_changes) for pause and state times in interval reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_state_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(length=64), nullable=False),
        sa.Column("interface", sa.String(length=200), nullable=False),
        sa.Column("agent_name", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=True),
        sa.Column("queue", sa.String(length=80), nullable=True),
        sa.Column("at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_changes")),
    )
    with op.batch_alter_table("agent_state_changes", schema=None) as batch_op:
        batch_op.create_index("ix_agent_state_changes_at", ["at"], unique=False)
        batch_op.create_index("ix_agent_state_changes_interface_at", ["interface", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_state_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_state_changes_interface_at")
        batch_op.drop_index("ix_agent_state_changes_at")
    op.drop_table("agent_state_changes")
