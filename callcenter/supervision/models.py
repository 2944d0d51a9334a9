"""The agent state log: every change of an agent's state, so reports can count pause and state times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db import Base


class AgentStateChange(Base):
    """An agent entered ``state`` (with ``reason`` when paused) at ``at``."""

    __tablename__ = "agent_state_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    server: Mapped[str] = mapped_column(String(64))
    interface: Mapped[str] = mapped_column(String(200))
    agent_name: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(80))
    queue: Mapped[str | None] = mapped_column(String(80))
    at: Mapped[datetime]

    __table_args__ = (
        Index("ix_agent_state_changes_at", "at"),
        Index("ix_agent_state_changes_interface_at", "interface", "at"),
    )
