"""Cases and callbacks: first-contact ownership and who may hand work to whom."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.contacts import repository, work_repository
from callcenter.contacts.identities import normalize_phone
from callcenter.contacts.models import OPEN_CASE_STATUSES, Callback, CallbackStatus, Case, CaseStatus
from callcenter.contacts.schemas import CallbackCreate, CallbackUpdate, CaseCreate, CaseUpdate
from callcenter.contacts.service import require_customer
from callcenter.db import utcnow
from callcenter.errors import Forbidden, InvalidInput, NotFound
from callcenter.users import repository as users
from callcenter.users.actor import Actor


async def _check_assignee(session: AsyncSession, actor: Actor, user_id: int | None, what: str) -> None:
    if user_id is None:
        return
    if user_id != actor.user_id and not actor.manages_others:
        raise Forbidden(f"an agent can take a {what} only for themselves; a supervisor assigns it to others")
    if await users.get_user(session, user_id) is None:
        raise InvalidInput(f"user {user_id} does not exist")


async def _check_contacts_of(session: AsyncSession, customer_id: int, contact_ids: list[int]) -> None:
    for contact_id in contact_ids:
        contact = await repository.get_contact(session, contact_id)
        if contact is None:
            raise InvalidInput(f"contact {contact_id} does not exist")
        if contact.customer_id != customer_id:
            raise InvalidInput(f"contact {contact_id} belongs to customer {contact.customer_id}, not {customer_id}")


async def create_case(session: AsyncSession, *, data: CaseCreate, actor: Actor) -> Case:
    """Open a case; its owner is the agent who took the problem unless a supervisor names another."""
    customer = await require_customer(session, data.customer_id)
    owner_id = data.owner_id if data.owner_id is not None else actor.user_id
    await _check_assignee(session, actor, owner_id, "case")
    await _check_contacts_of(session, customer.id, data.contact_ids)
    case = Case(
        customer_id=customer.id,
        subject=data.subject,
        owner_id=owner_id,
        reply_due_at=data.reply_due_at,
        priority=data.priority,
    )
    return await work_repository.add_case(session, case, data.contact_ids)


async def get_case(session: AsyncSession, *, case_id: int) -> Case:
    case = await work_repository.get_case(session, case_id)
    if case is None:
        raise NotFound(f"no case with id {case_id}")
    return case


async def update_case(session: AsyncSession, *, case_id: int, data: CaseUpdate, actor: Actor) -> Case:
    """Change a case; agents change only their own (or take an unowned one), supervisors any."""
    case = await get_case(session, case_id=case_id)
    changes = data.model_dump(exclude_unset=True)
    if not actor.manages_others and case.owner_id not in (None, actor.user_id):
        raise Forbidden(f"case {case_id} is owned by user {case.owner_id}; ask them or a supervisor")
    if "owner_id" in changes and changes["owner_id"] != case.owner_id:
        await _check_assignee(session, actor, changes["owner_id"], "case")
        await repository.record_audit(
            session,
            actor_id=actor.user_id,
            action="case.assign",
            target=f"case:{case.id}",
            data={"from": case.owner_id, "to": changes["owner_id"]},
        )
    if "status" in changes:
        closing = changes["status"] not in OPEN_CASE_STATUSES
        case.closed_at = (case.closed_at or utcnow()) if closing else None
    for field, value in changes.items():
        if value is None and field in {"subject", "status", "priority"}:
            raise InvalidInput(f"{field} cannot be null")
        setattr(case, field, value)
    await session.flush()
    return case


async def link_contact(session: AsyncSession, *, case_id: int, contact_id: int) -> Case:
    case = await get_case(session, case_id=case_id)
    await _check_contacts_of(session, case.customer_id, [contact_id])
    await work_repository.link_contact(session, case.id, contact_id)
    return case


async def list_cases(
    session: AsyncSession,
    *,
    owner_id: int | None,
    customer_id: int | None,
    status: CaseStatus | None,
    open_only: bool,
    due_before: datetime | None,
    after_id: int | None,
    limit: int,
) -> list[Case]:
    statuses = [status] if status else (list(OPEN_CASE_STATUSES) if open_only else None)
    return await work_repository.list_cases(
        session,
        owner_id=owner_id,
        customer_id=customer_id,
        statuses=statuses,
        due_before=due_before,
        after_id=after_id,
        limit=limit,
    )


async def create_callback(session: AsyncSession, *, data: CallbackCreate, actor: Actor, region: str) -> Callback:
    customer = await require_customer(session, data.customer_id)
    await _check_assignee(session, actor, data.assigned_agent_id, "callback")
    if data.contact_id is not None:
        await _check_contacts_of(session, customer.id, [data.contact_id])
    callback = Callback(
        customer_id=customer.id,
        number=normalize_phone(data.number, region),
        window_start=data.window_start,
        window_end=data.window_end,
        assigned_agent_id=data.assigned_agent_id,
        queue=data.queue,
        reason=data.reason,
        contact_id=data.contact_id,
    )
    return await work_repository.add_callback(session, callback)


async def get_callback(session: AsyncSession, *, callback_id: int) -> Callback:
    callback = await work_repository.get_callback(session, callback_id)
    if callback is None:
        raise NotFound(f"no callback with id {callback_id}")
    return callback


async def update_callback(session: AsyncSession, *, callback_id: int, data: CallbackUpdate, actor: Actor) -> Callback:
    callback = await get_callback(session, callback_id=callback_id)
    changes = data.model_dump(exclude_unset=True)
    if not actor.manages_others and callback.assigned_agent_id not in (None, actor.user_id):
        raise Forbidden(f"callback {callback_id} is assigned to user {callback.assigned_agent_id}")
    if "assigned_agent_id" in changes and changes["assigned_agent_id"] != callback.assigned_agent_id:
        await _check_assignee(session, actor, changes["assigned_agent_id"], "callback")
    start = changes.get("window_start", callback.window_start)
    end = changes.get("window_end", callback.window_end)
    if start is None or end is None or end <= start:
        raise InvalidInput("window_end must be after window_start")
    if "status" in changes and changes["status"] is None:
        raise InvalidInput("status cannot be null")
    for field, value in changes.items():
        setattr(callback, field, value)
    await session.flush()
    return callback


async def list_callbacks(
    session: AsyncSession,
    *,
    agent_id: int | None,
    customer_id: int | None,
    status: CallbackStatus | None,
    due_before: datetime | None,
    after_id: int | None,
    limit: int,
) -> list[Callback]:
    return await work_repository.list_callbacks(
        session,
        agent_id=agent_id,
        customer_id=customer_id,
        status=status,
        due_before=due_before,
        after_id=after_id,
        limit=limit,
    )
