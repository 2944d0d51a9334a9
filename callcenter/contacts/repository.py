"""All SQL of customers, identities, contacts, their timelines and notes.

Functions take the session of the caller's unit of work and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.contacts.models import (
    AuditEvent,
    Callback,
    Case,
    Contact,
    ContactEvent,
    Customer,
    Identity,
    IdentityKind,
    Note,
)


async def get_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)


async def identities_of(session: AsyncSession, customer_ids: Sequence[int]) -> dict[int, list[Identity]]:
    if not customer_ids:
        return {}
    rows = await session.scalars(select(Identity).where(Identity.customer_id.in_(customer_ids)).order_by(Identity.id))
    found: dict[int, list[Identity]] = defaultdict(list)
    for identity in rows:
        found[identity.customer_id].append(identity)
    return found


async def find_identity(session: AsyncSession, kind: IdentityKind, value: str) -> Identity | None:
    return await session.scalar(select(Identity).where(Identity.kind == kind, Identity.value == value))


async def add_identity(session: AsyncSession, customer_id: int, kind: IdentityKind, value: str) -> Identity | None:
    """Insert an identity; None when (kind, value) already belongs to someone (nothing else is undone)."""
    identity = Identity(customer_id=customer_id, kind=kind, value=value)
    try:
        async with session.begin_nested():
            session.add(identity)
    except IntegrityError:
        return None
    return identity


async def search_customers(
    session: AsyncSession,
    *,
    name: str | None = None,
    identity: tuple[IdentityKind, str] | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Customer]:
    """Customers matching every given criterion, by id, merged ones left out."""
    query = select(Customer).where(Customer.merged_into_id.is_(None))
    if identity is not None:
        kind, value = identity
        query = query.join(Identity, Identity.customer_id == Customer.id).where(
            Identity.kind == kind, Identity.value == value
        )
    if name:
        escaped = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Customer.display_name).like(f"%{escaped}%", escape="\\"))
    if after_id is not None:
        query = query.where(Customer.id > after_id)
    return list(await session.scalars(query.order_by(Customer.id).limit(limit)))


MERGED_TABLES: dict[str, Any] = {
    "identities": Identity,
    "contacts": Contact,
    "notes": Note,
    "cases": Case,
    "callbacks": Callback,
}


async def move_customer_rows(session: AsyncSession, source_id: int, target_id: int) -> dict[str, int]:
    """Re-point every row of ``source_id`` to ``target_id``; returns how many rows moved per table."""
    moved: dict[str, int] = {}
    for label, model in MERGED_TABLES.items():
        result = await session.execute(
            update(model).where(model.customer_id == source_id).values(customer_id=target_id)
        )
        moved[label] = result.rowcount or 0
    # Customers merged earlier into the source now point at the final target.
    await session.execute(update(Customer).where(Customer.merged_into_id == source_id).values(merged_into_id=target_id))
    return moved


async def contact_by_key(session: AsyncSession, source: str, external_id: str) -> Contact | None:
    return await session.scalar(select(Contact).where(Contact.source == source, Contact.external_id == external_id))


async def insert_contact(session: AsyncSession, contact: Contact, events: Sequence[ContactEvent]) -> bool:
    """Store a new contact and its events; False (and nothing stored) when its key exists already.

    The timeline goes in as one multi-row INSERT: a call has dozens of events and a row-by-row
    insert made them most of the cost of recording a call.
    """
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
            if events:
                rows = [{"contact_id": contact.id, "at": e.at, "type": e.type, "data": e.data} for e in events]
                await session.execute(insert(ContactEvent), rows)
    except IntegrityError:
        return False
    return True


async def get_contact(session: AsyncSession, contact_id: int) -> Contact | None:
    return await session.get(Contact, contact_id)


async def list_contacts(
    session: AsyncSession,
    *,
    customer_id: int | None = None,
    channel: str | None = None,
    queue: str | None = None,
    agent_id: int | None = None,
    outcome: str | None = None,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Contact]:
    """Contacts matching the filters, newest id first (keyset pagination by id)."""
    query = select(Contact)
    for column, value in (
        (Contact.customer_id, customer_id),
        (Contact.channel, channel),
        (Contact.queue, queue),
        (Contact.agent_id, agent_id),
        (Contact.outcome, outcome),
    ):
        if value is not None:
            query = query.where(column == value)
    if started_from is not None:
        query = query.where(Contact.started_at >= started_from)
    if started_to is not None:
        query = query.where(Contact.started_at < started_to)
    if before_id is not None:
        query = query.where(Contact.id < before_id)
    return list(await session.scalars(query.order_by(Contact.id.desc()).limit(limit)))


async def list_events(session: AsyncSession, contact_id: int) -> list[ContactEvent]:
    query = select(ContactEvent).where(ContactEvent.contact_id == contact_id)
    return list(await session.scalars(query.order_by(ContactEvent.at, ContactEvent.id)))


async def add_note(session: AsyncSession, note: Note) -> Note:
    session.add(note)
    await session.flush()
    return note


def _visible(query: Any, viewer_id: int | None) -> Any:
    """Private notes only for their author, unless ``viewer_id`` is None (may read all)."""
    if viewer_id is None:
        return query
    return query.where(or_(Note.private.is_(False), Note.author_id == viewer_id))


async def notes_of_contacts(
    session: AsyncSession, contact_ids: Sequence[int], *, private_reader: int | None
) -> dict[int, list[Note]]:
    if not contact_ids:
        return {}
    query = _visible(select(Note).where(Note.contact_id.in_(contact_ids)), private_reader)
    found: dict[int, list[Note]] = defaultdict(list)
    for note in await session.scalars(query.order_by(Note.id)):
        found[note.contact_id].append(note)
    return found


async def record_audit(
    session: AsyncSession, *, actor_id: int | None, action: str, target: str, data: dict[str, Any]
) -> None:
    session.add(AuditEvent(actor_id=actor_id, action=action, target=target, data=data))
    await session.flush()
