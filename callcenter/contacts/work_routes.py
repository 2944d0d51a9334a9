"""`/api/cases` and `/api/callbacks`: follow-up work, by owner and by due time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.api.deps import CurrentActor, RegionDep, SessionDep, after_id_cursor
from callcenter.contacts import work_repository, work_service
from callcenter.contacts.models import Callback, CallbackStatus, Case, CaseStatus
from callcenter.contacts.schemas import (
    CallbackCreate,
    CallbackOut,
    CallbackUpdate,
    CaseCreate,
    CaseLink,
    CaseOut,
    CaseUpdate,
    Page,
    UtcDatetime,
)

cases_router = APIRouter(prefix="/api/cases", tags=["cases"])
callbacks_router = APIRouter(prefix="/api/callbacks", tags=["callbacks"])

Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=500)]


async def _cases_out(session: AsyncSession, cases: list[Case]) -> list[CaseOut]:
    linked = await work_repository.contact_ids_of_cases(session, [c.id for c in cases])
    out = []
    for case in cases:
        item = CaseOut.model_validate(case)
        item.contact_ids = linked.get(case.id, [])
        out.append(item)
    return out


@cases_router.post("", status_code=status.HTTP_201_CREATED)
async def create_case(body: CaseCreate, actor: CurrentActor, session: SessionDep) -> CaseOut:
    """Open a case; the agent creating it owns it unless a supervisor names another owner."""
    case = await work_service.create_case(session, data=body, actor=actor)
    return (await _cases_out(session, [case]))[0]


@cases_router.get("")
async def list_cases(
    _actor: CurrentActor,
    session: SessionDep,
    owner_id: int | None = None,
    customer_id: int | None = None,
    status: CaseStatus | None = None,
    open_only: Annotated[bool, Query(description="Only open and pending cases")] = False,
    due_before: Annotated[UtcDatetime | None, Query(description="Reply deadline before; soonest first")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[CaseOut]:
    """Cases by owner, customer, status and reply deadline."""
    found = await work_service.list_cases(
        session,
        owner_id=owner_id,
        customer_id=customer_id,
        status=status,
        open_only=open_only,
        due_before=due_before,
        after_id=after_id_cursor(cursor),
        limit=limit + 1,
    )
    next_cursor = str(found[limit - 1].id) if len(found) > limit and due_before is None else None
    return Page(items=await _cases_out(session, found[:limit]), next_cursor=next_cursor)


@cases_router.get("/{case_id}")
async def get_case(case_id: int, _actor: CurrentActor, session: SessionDep) -> CaseOut:
    return (await _cases_out(session, [await work_service.get_case(session, case_id=case_id)]))[0]


@cases_router.patch("/{case_id}")
async def update_case(case_id: int, body: CaseUpdate, actor: CurrentActor, session: SessionDep) -> CaseOut:
    """Change status, owner, deadline, priority or subject (agents: their own cases only)."""
    case = await work_service.update_case(session, case_id=case_id, data=body, actor=actor)
    return (await _cases_out(session, [case]))[0]


@cases_router.post("/{case_id}/contacts")
async def link_contact(case_id: int, body: CaseLink, _actor: CurrentActor, session: SessionDep) -> CaseOut:
    """Add a contact of the same customer to the case."""
    case = await work_service.link_contact(session, case_id=case_id, contact_id=body.contact_id)
    return (await _cases_out(session, [case]))[0]


def _callback_out(callback: Callback) -> CallbackOut:
    return CallbackOut.model_validate(callback)


@callbacks_router.post("", status_code=status.HTTP_201_CREATED)
async def create_callback(
    body: CallbackCreate, actor: CurrentActor, session: SessionDep, region: RegionDep
) -> CallbackOut:
    """Promise to call the customer back within a time window."""
    return _callback_out(await work_service.create_callback(session, data=body, actor=actor, region=region))


@callbacks_router.get("")
async def list_callbacks(
    _actor: CurrentActor,
    session: SessionDep,
    agent_id: int | None = None,
    customer_id: int | None = None,
    status: CallbackStatus | None = None,
    due_before: Annotated[UtcDatetime | None, Query(description="Window starting before")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[CallbackOut]:
    """Callbacks by agent, customer and status, earliest window first."""
    found = await work_service.list_callbacks(
        session,
        agent_id=agent_id,
        customer_id=customer_id,
        status=status,
        due_before=due_before,
        after_id=after_id_cursor(cursor),
        limit=limit + 1,
    )
    next_cursor = str(found[limit - 1].id) if len(found) > limit else None
    return Page(items=[_callback_out(c) for c in found[:limit]], next_cursor=next_cursor)


@callbacks_router.get("/{callback_id}")
async def get_callback(callback_id: int, _actor: CurrentActor, session: SessionDep) -> CallbackOut:
    return _callback_out(await work_service.get_callback(session, callback_id=callback_id))


@callbacks_router.patch("/{callback_id}")
async def update_callback(
    callback_id: int, body: CallbackUpdate, actor: CurrentActor, session: SessionDep
) -> CallbackOut:
    """Assign, reschedule or close a callback (agents: their own or unassigned ones)."""
    return _callback_out(await work_service.update_callback(session, callback_id=callback_id, data=body, actor=actor))
