"""ORM models of the customer contact repository.

One ``contacts`` table holds every interaction on every channel, so whoever talks to
the customer next sees the last web form, e-mail or call alike. The history query of
the screen-pop reads ``contacts`` by ``(customer_id, started_at DESC, id DESC)`` and
the notes, open cases and pending callbacks of the same customer, each by an index
that starts with ``customer_id``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db import Base, string_enum, utcnow


class IdentityKind(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ACCOUNT = "account"
    EXTERNAL = "external"


class Channel(enum.StrEnum):
    VOICE = "voice"
    IVR = "ivr"
    EMAIL = "email"
    WEB = "web"
    CHAT = "chat"
    SMS = "sms"


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"


OPEN_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.PENDING)


class CallbackStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(50))
    value_score: Mapped[int] = mapped_column(default=0)
    language: Mapped[str | None] = mapped_column(String(16))
    consents: Mapped[dict[str, Any]] = mapped_column(default=dict)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_customers_display_name", "display_name"),)


class Identity(Base):
    """A way to recognise a customer: phone (E.164), e-mail (lower-case), account or external id."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IdentityKind] = mapped_column(string_enum(IdentityKind))
    value: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("kind", "value"),)


class Contact(Base):
    """One interaction with a customer on any channel."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[Channel] = mapped_column(string_enum(Channel))
    direction: Mapped[Direction] = mapped_column(string_enum(Direction))
    # Idempotency: (source, external_id) names the contact in the system that reported it,
    # e.g. ("asterisk", "<server>:<boot>:<linkedid>") or ("web", "<form submission id>").
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(320))
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    queue: Mapped[str | None] = mapped_column(String(80))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agent_name: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(80))
    subject: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    ivr_path: Mapped[list[Any]] = mapped_column(default=list)
    ivr_inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recording_ref: Mapped[str | None] = mapped_column(String(500))
    wait_seconds: Mapped[float | None]
    talk_seconds: Mapped[float | None]
    hold_seconds: Mapped[float | None]
    wrapup_seconds: Mapped[float | None]
    hangup_by: Mapped[str | None] = mapped_column(String(16))
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    reconstructed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_contacts_customer_history", "customer_id", "started_at", "id"),
        Index("ix_contacts_started_at", "started_at"),
        Index("ix_contacts_agent_started", "agent_id", "started_at"),
        Index("ix_contacts_queue_started", "queue", "started_at"),
    )


class ContactEvent(Base):
    """The append-only timeline of a contact."""

    __tablename__ = "contact_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_contact_events_contact_at", "contact_id", "at", "id"),)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_notes_contact_id", "contact_id", "id"),
        Index("ix_notes_customer_created", "customer_id", "created_at"),
    )


class Case(Base):
    """A customer's problem, owned by the agent who took it until it is solved."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[CaseStatus] = mapped_column(string_enum(CaseStatus), default=CaseStatus.OPEN)
    priority: Mapped[int] = mapped_column(default=3)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reply_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_cases_customer_status", "customer_id", "status"),
        Index("ix_cases_owner_status_due", "owner_id", "status", "reply_due_at"),
        Index("ix_cases_status_due", "status", "reply_due_at"),
    )


class CaseContact(Base):
    __tablename__ = "case_contacts"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)


class Callback(Base):
    """A promise to call a customer back within a time window."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    number: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[CallbackStatus] = mapped_column(string_enum(CallbackStatus), default=CallbackStatus.PENDING)
    assigned_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    queue: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(300))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_callbacks_customer_status", "customer_id", "status"),
        Index("ix_callbacks_agent_status_window", "assigned_agent_id", "status", "window_start"),
        Index("ix_callbacks_status_window", "status", "window_start"),
    )


class AuditEvent(Base):
    """Who did what to which record: merges, reassignments, supervisor actions."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_audit_events_target", "target", "at"),)
