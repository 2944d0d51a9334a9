"""`/api/contacts`: log a contact from any channel (idempotently), read, list, annotate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from callcenter.api.deps import CurrentActor, RegionDep, SessionDep, after_id_cursor
from callcenter.contacts import repository, service
from callcenter.contacts.models import Channel
from callcenter.contacts.schemas import (
    ContactCreate,
    ContactEventOut,
    ContactOut,
    ContactUpdate,
    LoggedContact,
    NoteCreate,
    NoteOut,
    Page,
    UtcDatetime,
)

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.post("", status_code=status.HTTP_201_CREATED, responses={200: {"description": "Already logged"}})
async def log_contact(
    body: ContactCreate, response: Response, _actor: CurrentActor, session: SessionDep, region: RegionDep
) -> LoggedContact:
    """Log a contact from any channel; logging the same (source, external_id) again answers 200 with the
    first one and changes nothing."""
    contact, created = await service.log_contact(session, data=body, region=region)
    if not created:
        response.status_code = status.HTTP_200_OK
    return LoggedContact(contact=ContactOut.model_validate(contact), created=created)


@router.get("")
async def list_contacts(
    _actor: CurrentActor,
    session: SessionDep,
    customer_id: int | None = None,
    channel: Channel | None = None,
    queue: Annotated[str | None, Query(max_length=80)] = None,
    agent_id: int | None = None,
    outcome: Annotated[str | None, Query(max_length=32)] = None,
    started_from: UtcDatetime | None = None,
    started_to: UtcDatetime | None = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[ContactOut]:
    """Contacts matching every filter given, newest first."""
    found = await repository.list_contacts(
        session,
        customer_id=customer_id,
        channel=channel,
        queue=queue,
        agent_id=agent_id,
        outcome=outcome,
        started_from=started_from,
        started_to=started_to,
        before_id=after_id_cursor(cursor),
        limit=limit + 1,
    )
    next_cursor = str(found[limit - 1].id) if len(found) > limit else None
    return Page(items=[ContactOut.model_validate(c) for c in found[:limit]], next_cursor=next_cursor)


@router.get("/{contact_id}")
async def get_contact(contact_id: int, _actor: CurrentActor, session: SessionDep) -> ContactOut:
    return ContactOut.model_validate(await service.get_contact(session, contact_id=contact_id))


@router.patch("/{contact_id}")
async def update_contact(contact_id: int, body: ContactUpdate, _actor: CurrentActor, session: SessionDep) -> ContactOut:
    """Set the disposition, summary, subject or outcome after the fact."""
    return ContactOut.model_validate(await service.update_contact(session, contact_id=contact_id, data=body))


@router.get("/{contact_id}/events")
async def contact_events(contact_id: int, _actor: CurrentActor, session: SessionDep) -> list[ContactEventOut]:
    """The contact's timeline, oldest first."""
    await service.get_contact(session, contact_id=contact_id)
    return [ContactEventOut.model_validate(e) for e in await repository.list_events(session, contact_id)]


@router.post("/{contact_id}/notes", status_code=status.HTTP_201_CREATED)
async def add_note(contact_id: int, body: NoteCreate, actor: CurrentActor, session: SessionDep) -> NoteOut:
    return NoteOut.model_validate(await service.add_note(session, data=body, actor=actor, contact_id=contact_id))


@router.get("/{contact_id}/notes")
async def list_notes(contact_id: int, actor: CurrentActor, session: SessionDep) -> list[NoteOut]:
    """The contact's notes; another agent's private notes are left out for agents."""
    notes = await service.notes_of_contact(session, contact_id=contact_id, actor=actor)
    return [NoteOut.model_validate(n) for n in notes]
