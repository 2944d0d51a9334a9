"""Customers and their contacts: the rules around the repository (matching, idempotency, merge, history).

Services validate and decide; repositories hold the SQL; the caller's unit of work commits.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from callcenter.contacts import repository
from callcenter.contacts.hot_reads import read_history
from callcenter.contacts.identities import normalize_identity
from callcenter.contacts.models import Channel, Contact, ContactEvent, Customer, Identity, IdentityKind, Note
from callcenter.contacts.schemas import (
    ContactCreate,
    ContactUpdate,
    CustomerCreate,
    CustomerUpdate,
    IdentityIn,
    NoteCreate,
)
from callcenter.db import utcnow
from callcenter.errors import Conflict, InvalidInput, NotFound
from callcenter.users import repository as users
from callcenter.users.actor import Actor

ADDRESS_KIND = {
    Channel.VOICE: IdentityKind.PHONE,
    Channel.IVR: IdentityKind.PHONE,
    Channel.SMS: IdentityKind.PHONE,
    Channel.EMAIL: IdentityKind.EMAIL,
}


@dataclass
class CustomerView:
    customer: Customer
    identities: list[Identity]


async def require_customer(session: AsyncSession, customer_id: int, *, follow_merge: bool = True) -> Customer:
    customer = await repository.get_customer(session, customer_id)
    if customer is None:
        raise NotFound(f"no customer with id {customer_id}")
    seen = {customer.id}
    while follow_merge and customer.merged_into_id is not None:
        customer = await repository.get_customer(session, customer.merged_into_id)
        if customer is None or customer.id in seen:
            raise Conflict(f"customer {customer_id} was merged into a customer that no longer resolves")
        seen.add(customer.id)
    return customer


async def _view(session: AsyncSession, customer: Customer) -> CustomerView:
    identities = await repository.identities_of(session, [customer.id])
    return CustomerView(customer, identities.get(customer.id, []))


async def create_customer(session: AsyncSession, *, data: CustomerCreate, region: str) -> CustomerView:
    customer = Customer(**data.model_dump(exclude={"identities"}))
    session.add(customer)
    await session.flush()
    for identity in data.identities:
        await _attach_identity(session, customer.id, identity, region)
    return await _view(session, customer)


async def _attach_identity(session: AsyncSession, customer_id: int, data: IdentityIn, region: str) -> Identity:
    value = normalize_identity(data.kind, data.value, region)
    identity = await repository.add_identity(session, customer_id, data.kind, value)
    if identity is None:
        owner = await repository.find_identity(session, data.kind, value)
        owner_id = owner.customer_id if owner else "another customer"
        raise Conflict(f"{data.kind.value} {value} already belongs to customer {owner_id}")
    return identity


async def get_customer(session: AsyncSession, *, customer_id: int) -> CustomerView:
    """The customer as stored; a merged one still answers, with ``merged_into_id`` set."""
    return await _view(session, await require_customer(session, customer_id, follow_merge=False))


async def update_customer(session: AsyncSession, *, customer_id: int, data: CustomerUpdate) -> CustomerView:
    customer = await require_customer(session, customer_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field in {"display_name", "value_score", "consents"}:
            raise InvalidInput(f"{field} cannot be null")
        setattr(customer, field, value)
    await session.flush()
    return await _view(session, customer)


async def add_identity(session: AsyncSession, *, customer_id: int, data: IdentityIn, region: str) -> CustomerView:
    customer = await require_customer(session, customer_id)
    await _attach_identity(session, customer.id, data, region)
    return await _view(session, customer)


async def search_customers(
    session: AsyncSession,
    *,
    region: str,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    account: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[CustomerView]:
    """Customers by name (substring, any case) and/or one identity written in any common form."""
    given = [
        (kind, raw)
        for kind, raw in ((IdentityKind.PHONE, phone), (IdentityKind.EMAIL, email), (IdentityKind.ACCOUNT, account))
        if raw
    ]
    if len(given) > 1:
        raise InvalidInput("search by one of phone, email or account at a time")
    if not given and not name:
        raise InvalidInput("give name, phone, email or account to search by")
    identity = (given[0][0], normalize_identity(given[0][0], given[0][1], region)) if given else None
    found = await repository.search_customers(session, name=name, identity=identity, after_id=after_id, limit=limit)
    identities = await repository.identities_of(session, [c.id for c in found])
    return [CustomerView(c, identities.get(c.id, [])) for c in found]


async def merge_customers(
    session: AsyncSession, *, source_id: int, target_id: int, actor: Actor
) -> tuple[CustomerView, dict[str, int]]:
    """Move everything of ``source_id`` onto ``target_id``; the source stays as a pointer to the target."""
    if source_id == target_id:
        raise InvalidInput("a customer cannot be merged into itself")
    source = await require_customer(session, source_id, follow_merge=False)
    target = await require_customer(session, target_id, follow_merge=False)
    for customer in (source, target):
        if customer.merged_into_id is not None:
            raise Conflict(f"customer {customer.id} was already merged into customer {customer.merged_into_id}")
    moved = await repository.move_customer_rows(session, source.id, target.id)
    target.segment = target.segment or source.segment
    target.language = target.language or source.language
    target.value_score = max(target.value_score, source.value_score)
    target.consents = {**source.consents, **target.consents}
    source.merged_into_id = target.id
    await session.flush()
    await repository.record_audit(
        session,
        actor_id=actor.user_id,
        action="customer.merge",
        target=f"customer:{target.id}",
        data={"source_id": source.id, "source_name": source.display_name, "moved": moved},
    )
    return await _view(session, target), moved


async def _customer_for_contact(session: AsyncSession, data: ContactCreate, region: str) -> Customer:
    if data.customer_id is not None:
        try:
            return await require_customer(session, data.customer_id)
        except NotFound:
            raise InvalidInput(f"customer_id {data.customer_id} does not exist") from None
    identity = data.identity
    if identity is None and data.address and data.channel in ADDRESS_KIND:
        identity = IdentityIn(kind=ADDRESS_KIND[data.channel], value=data.address)
    if identity is None:
        customer = Customer(display_name=data.customer_name or "Unknown contact")
        session.add(customer)
        await session.flush()
        return customer
    value = normalize_identity(identity.kind, identity.value, region)
    return await customer_by_identity(session, kind=identity.kind, value=value, name=data.customer_name)


async def customer_by_identity(
    session: AsyncSession, *, kind: IdentityKind, value: str, name: str | None = None
) -> Customer:
    """The customer owning this normalised identity, created as an unknown customer when nobody does."""
    existing = await repository.find_identity(session, kind, value)
    if existing is not None:
        return await require_customer(session, existing.customer_id)
    customer = Customer(display_name=name or f"Unknown {value}")
    session.add(customer)
    await session.flush()
    if await repository.add_identity(session, customer.id, kind, value) is None:
        # Someone stored the same identity meanwhile: theirs wins, ours stays an empty shell.
        existing = await repository.find_identity(session, kind, value)
        assert existing is not None
        return await require_customer(session, existing.customer_id)
    return customer


async def log_contact(session: AsyncSession, *, data: ContactCreate, region: str) -> tuple[Contact, bool]:
    """Store a contact from any channel; the same (source, external_id) twice returns the first one."""
    existing = await repository.contact_by_key(session, data.source, data.external_id)
    if existing is not None:
        return existing, False
    if data.agent_id is not None and await users.get_user(session, data.agent_id) is None:
        raise InvalidInput(f"agent_id {data.agent_id} does not exist")
    customer = await _customer_for_contact(session, data, region)
    fields = data.model_dump(exclude={"customer_id", "identity", "customer_name", "events"})
    fields["started_at"] = data.started_at or utcnow()
    contact = Contact(customer_id=customer.id, **fields)
    events = [ContactEvent(at=e.at, type=e.type, data=e.data) for e in data.events]
    if not await repository.insert_contact(session, contact, events):
        stored = await repository.contact_by_key(session, data.source, data.external_id)
        assert stored is not None
        return stored, False
    return contact, True


async def get_contact(session: AsyncSession, *, contact_id: int) -> Contact:
    contact = await repository.get_contact(session, contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    return contact


async def update_contact(session: AsyncSession, *, contact_id: int, data: ContactUpdate) -> Contact:
    contact = await get_contact(session, contact_id=contact_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(contact, field, value)
    await session.flush()
    return contact


async def add_note(
    session: AsyncSession,
    *,
    data: NoteCreate,
    actor: Actor,
    contact_id: int | None = None,
    customer_id: int | None = None,
) -> Note:
    """A note on a contact (and so its customer) or on the customer alone."""
    if contact_id is not None:
        customer_id = (await get_contact(session, contact_id=contact_id)).customer_id
    elif customer_id is not None:
        customer_id = (await require_customer(session, customer_id)).id
    else:
        raise InvalidInput("a note belongs to a contact or a customer")
    note = Note(
        customer_id=customer_id, contact_id=contact_id, author_id=actor.user_id, body=data.body, private=data.private
    )
    return await repository.add_note(session, note)


async def notes_of_contact(session: AsyncSession, *, contact_id: int, actor: Actor) -> list[Note]:
    await get_contact(session, contact_id=contact_id)
    notes = await repository.notes_of_contacts(session, [contact_id], private_reader=actor.private_note_filter)
    return notes.get(contact_id, [])


def encode_history_cursor(started_at: datetime, contact_id: int) -> str:
    return base64.urlsafe_b64encode(f"{started_at.isoformat()}|{contact_id}".encode()).decode()


def decode_history_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        started, _, contact_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(started), int(contact_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API returned") from None


async def customer_history(
    db: AsyncSession | AsyncConnection, *, customer_id: int, actor: Actor, limit: int = 50, cursor: str | None = None
) -> dict[str, Any]:
    """Every contact of the customer across channels, newest first, with notes, open cases and callbacks.

    One statement (see hot_reads); a merged customer's history is its target's. ``db`` may be
    a session or a connection held open for hot reads such as the screen-pop.
    """
    before = decode_history_cursor(cursor) if cursor else None
    reader = actor.private_note_filter
    document = await read_history(db, customer_id=customer_id, viewer_id=reader, limit=limit + 1, before=before)
    if document is None:
        raise NotFound(f"no customer with id {customer_id}")
    if document["customer"]["merged_into_id"] is not None and isinstance(db, AsyncSession):
        target = await require_customer(db, customer_id)
        document = await read_history(db, customer_id=target.id, viewer_id=reader, limit=limit + 1, before=before)
        assert document is not None
    contacts = document["contacts"]
    document["next_cursor"] = None
    if len(contacts) > limit:
        del contacts[limit:]
        document["next_cursor"] = encode_history_cursor(contacts[-1]["started_at"], contacts[-1]["id"])
    return document
