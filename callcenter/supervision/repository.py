"""The SQL behind interval reports: finished voice calls of a time window with their timelines."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.calls.events import AgentStateChanged
from callcenter.contacts.models import OPEN_CASE_STATUSES, AuditEvent, Case, Channel, Contact, ContactEvent
from callcenter.metrics.alerts import Alert, OverdueCase
from callcenter.metrics.reports import StoredAgentChange, StoredCall, StoredEvent, key_of
from callcenter.supervision.models import AgentStateChange
from callcenter.users.models import User

# A caller enters a queue after the call started (IVR, transfers); calls that started this long
# before the window are read too so their queue visits inside it are counted.
LOOKBACK = timedelta(hours=6)
# Timeline types the figures read; the others are not loaded.
FIGURE_EVENTS = ("call.queued", "call.connected", "call.abandoned", "call.transferred", "call.ended")
ID_CHUNK = 500
# An agent's state at the start of a report window is its last change before it; agents change state
# at least at every login and call, so a day back finds it for anyone who worked.
AGENT_LOOKBACK = timedelta(days=1)


async def calls_between(session: AsyncSession, start: datetime, end: datetime) -> list[StoredCall]:
    """Voice contacts that started in ``start - LOOKBACK``..``end``, with the timeline rows figures read."""
    contacts = (
        await session.scalars(
            select(Contact)
            .where(Contact.channel == Channel.VOICE)
            .where(Contact.started_at >= start - LOOKBACK, Contact.started_at < end)
            .order_by(Contact.started_at, Contact.id)
        )
    ).all()
    events: dict[int, list[StoredEvent]] = defaultdict(list)
    ids = [c.id for c in contacts]
    for offset in range(0, len(ids), ID_CHUNK):
        rows = await session.execute(
            select(ContactEvent.contact_id, ContactEvent.type, ContactEvent.at, ContactEvent.data)
            .where(ContactEvent.contact_id.in_(ids[offset : offset + ID_CHUNK]))
            .where(ContactEvent.type.in_(FIGURE_EVENTS))
            .order_by(ContactEvent.contact_id, ContactEvent.at, ContactEvent.id)
        )
        for contact_id, type_, at, data in rows:
            events[contact_id].append(StoredEvent(type_, at, data or {}))
    return [
        StoredCall(
            key=key_of(c.source, c.external_id, c.id),
            queue=c.queue,
            agent_name=c.agent_name,
            answered_at=c.answered_at,
            talk_seconds=c.talk_seconds,
            hold_seconds=c.hold_seconds,
            wrapup_seconds=c.wrapup_seconds,
            events=events.get(c.id, []),
        )
        for c in contacts
    ]


async def overdue_cases(session: AsyncSession, now: datetime) -> list[OverdueCase]:
    """Open or pending cases whose reply deadline is before ``now``."""
    rows = await session.execute(
        select(Case.id, Case.subject, Case.reply_due_at, User.display_name)
        .outerjoin(User, User.id == Case.owner_id)
        .where(Case.status.in_(OPEN_CASE_STATUSES), Case.reply_due_at.is_not(None), Case.reply_due_at < now)
        .order_by(Case.reply_due_at)
    )
    return [OverdueCase(case_id, subject, owner, due) for case_id, subject, due, owner in rows]


async def record_acknowledgement(session: AsyncSession, *, alert: Alert, user_id: int) -> None:
    """Write the acknowledgement to the audit trail (who, when, which alert)."""
    session.add(
        AuditEvent(
            at=alert.acknowledged_at,
            actor_id=user_id,
            action="alert.acknowledged",
            target=f"alert:{alert.kind.value}:{alert.subject}"[:128],
            data={"alert_id": alert.id, "message": alert.message, "raised_at": alert.raised_at.isoformat()},
        )
    )
    await session.flush()


async def add_agent_changes(session: AsyncSession, changes: list[AgentStateChanged]) -> None:
    """Append agent state changes to the log."""
    session.add_all(
        AgentStateChange(
            server=c.server,
            interface=c.interface,
            agent_name=c.name,
            state=c.state.value,
            reason=(c.reason or None) and c.reason[:80],
            queue=c.queue,
            at=c.at,
        )
        for c in changes
    )
    await session.flush()


async def agent_changes_between(session: AsyncSession, start: datetime, end: datetime) -> list[StoredAgentChange]:
    """Agent state changes of ``start - AGENT_LOOKBACK``..``end``, oldest first."""
    rows = await session.scalars(
        select(AgentStateChange)
        .where(AgentStateChange.at >= start - AGENT_LOOKBACK, AgentStateChange.at < end)
        .order_by(AgentStateChange.at, AgentStateChange.id)
    )
    return [StoredAgentChange(r.server, r.interface, r.agent_name, r.state, r.reason, r.queue, r.at) for r in rows]
