"""All SQL of the follow-up work on a customer: cases (with their linked contacts) and callbacks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.contacts.models import (
    Callback,
    CallbackStatus,
    Case,
    CaseContact,
    CaseStatus,
)


async def add_case(session: AsyncSession, case: Case, contact_ids: Sequence[int]) -> Case:
    session.add(case)
    await session.flush()
    session.add_all(CaseContact(case_id=case.id, contact_id=contact_id) for contact_id in set(contact_ids))
    await session.flush()
    return case


async def get_case(session: AsyncSession, case_id: int) -> Case | None:
    return await session.get(Case, case_id)


async def link_contact(session: AsyncSession, case_id: int, contact_id: int) -> None:
    if await session.get(CaseContact, (case_id, contact_id)) is None:
        session.add(CaseContact(case_id=case_id, contact_id=contact_id))
        await session.flush()


async def contact_ids_of_cases(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[int]]:
    if not case_ids:
        return {}
    rows = await session.execute(
        select(CaseContact.case_id, CaseContact.contact_id)
        .where(CaseContact.case_id.in_(case_ids))
        .order_by(CaseContact.contact_id)
    )
    linked: dict[int, list[int]] = defaultdict(list)
    for case_id, contact_id in rows:
        linked[case_id].append(contact_id)
    return linked


async def list_cases(
    session: AsyncSession,
    *,
    owner_id: int | None = None,
    customer_id: int | None = None,
    statuses: Sequence[CaseStatus] | None = None,
    due_before: datetime | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Case]:
    """Cases by owner, customer, status and reply deadline; soonest deadline first when filtering by due."""
    query = select(Case)
    if owner_id is not None:
        query = query.where(Case.owner_id == owner_id)
    if customer_id is not None:
        query = query.where(Case.customer_id == customer_id)
    if statuses:
        query = query.where(Case.status.in_(statuses))
    if due_before is not None:
        query = query.where(Case.reply_due_at < due_before).order_by(Case.reply_due_at, Case.id)
    else:
        query = query.order_by(Case.id)
    if after_id is not None:
        query = query.where(Case.id > after_id)
    return list(await session.scalars(query.limit(limit)))


async def add_callback(session: AsyncSession, callback: Callback) -> Callback:
    session.add(callback)
    await session.flush()
    return callback


async def get_callback(session: AsyncSession, callback_id: int) -> Callback | None:
    return await session.get(Callback, callback_id)


async def list_callbacks(
    session: AsyncSession,
    *,
    agent_id: int | None = None,
    customer_id: int | None = None,
    status: CallbackStatus | None = None,
    due_before: datetime | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Callback]:
    """Callbacks by agent, customer and status; ordered by the start of their window."""
    query = select(Callback)
    if agent_id is not None:
        query = query.where(Callback.assigned_agent_id == agent_id)
    if customer_id is not None:
        query = query.where(Callback.customer_id == customer_id)
    if status is not None:
        query = query.where(Callback.status == status)
    if due_before is not None:
        query = query.where(Callback.window_start < due_before)
    if after_id is not None:
        query = query.where(Callback.id > after_id)
    return list(await session.scalars(query.order_by(Callback.window_start, Callback.id).limit(limit)))
