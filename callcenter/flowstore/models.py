"""Flow versions and their publications.

Every saved text is a version (numbered per flow). Publishing or rolling back appends a
publication; the flow's live version is its latest publication, so the history says who put
which version live and when.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db import Base, string_enum, utcnow


class PublicationKind(enum.StrEnum):
    PUBLISH = "publish"
    ROLLBACK = "rollback"


class FlowVersion(Base):
    """One saved text of a flow, validated when it was saved."""

    __tablename__ = "ivr_flow_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_name: Mapped[str] = mapped_column(String(64))
    number: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(String(500))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    based_on: Mapped[int | None] = mapped_column(doc="The version number this one was edited from.")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("flow_name", "number"),)


class FlowPublication(Base):
    """A version put live (publish) or put back live (rollback)."""

    __tablename__ = "ivr_flow_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_name: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(ForeignKey("ivr_flow_versions.id"))
    kind: Mapped[PublicationKind] = mapped_column(string_enum(PublicationKind))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_ivr_flow_publications_flow_name_id", "flow_name", "id"),)
