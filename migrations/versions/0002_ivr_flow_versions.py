"""ivr flow versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:21:48.852970
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import callcenter.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ivr_flow_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_name", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("based_on", sa.Integer(), nullable=True),
        sa.Column("created_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_ivr_flow_versions_author_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_flow_versions")),
        sa.UniqueConstraint("flow_name", "number", name=op.f("uq_ivr_flow_versions_flow_name_number")),
    )
    op.create_table(
        "ivr_flow_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_name", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("publish", "rollback", name="publicationkind", native_enum=False, length=16), nullable=False
        ),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_ivr_flow_publications_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["ivr_flow_versions.id"], name=op.f("fk_ivr_flow_publications_version_id_ivr_flow_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_flow_publications")),
    )
    with op.batch_alter_table("ivr_flow_publications", schema=None) as batch_op:
        batch_op.create_index("ix_ivr_flow_publications_flow_name_id", ["flow_name", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ivr_flow_publications", schema=None) as batch_op:
        batch_op.drop_index("ix_ivr_flow_publications_flow_name_id")

    op.drop_table("ivr_flow_publications")
    op.drop_table("ivr_flow_versions")
