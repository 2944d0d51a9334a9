"""Finished calls into the contact repository: one voice contact per call, with its timeline.

The contact's key is (``asterisk``, ``<server>:<boot>:<linkedid>``), so recording the same
call twice (a replay of the same bytes, a reconnect, a backfill of a call seen live)
returns the contact stored the first time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.calls.agents import AgentUser
from callcenter.calls.summary import CallSummary
from callcenter.contacts import service
from callcenter.contacts.identities import normalize_phone
from callcenter.contacts.models import Channel, Direction, IdentityKind
from callcenter.contacts.schemas import ContactCreate, ContactEventIn, IdentityIn
from callcenter.db import unit_of_work
from callcenter.errors import InvalidInput
from callcenter.users import repository as users

SOURCE = "asterisk"


@dataclass(frozen=True, slots=True)
class RecordedCall:
    linkedid: str
    contact_id: int
    customer_id: int
    created: bool


def contact_from_summary(summary: CallSummary, *, region: str) -> ContactCreate:
    """The repository's shape of a finished call; an unusable caller id leaves the customer unknown.

    The customer is the caller of an inbound call and the number dialed on an outbound one.
    """
    outbound = summary.direction == "outbound"
    raw = summary.dialed_number if outbound else summary.caller_number
    number = None
    if raw:
        try:
            number = normalize_phone(raw, region)
        except InvalidInput:
            number = None
    return ContactCreate(
        channel=Channel.VOICE,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        source=SOURCE,
        external_id=summary.key.external_id,
        identity=IdentityIn(kind=IdentityKind.PHONE, value=number) if number else None,
        customer_name=(None if outbound else summary.caller_name) or (None if number else "Unknown caller"),
        address=number,
        started_at=summary.started_at,
        answered_at=summary.answered_at,
        ended_at=summary.ended_at,
        queue=summary.queue,
        agent_id=summary.agent_user_id,
        agent_name=summary.agent_name,
        outcome=summary.outcome.value,
        ivr_path=list(summary.ivr_path),
        ivr_inputs=dict(summary.ivr_inputs),
        wait_seconds=summary.wait_seconds,
        talk_seconds=summary.talk_seconds,
        hold_seconds=summary.hold_seconds,
        wrapup_seconds=summary.wrapup_seconds,
        hangup_by=summary.hangup_by.value,
        hangup_cause=summary.hangup_cause[:64] if summary.hangup_cause else None,
        reconstructed=summary.reconstructed,
        events=[ContactEventIn(at=e.at, type=e.type, data=e.data()) for e in summary.timeline],
    )


class CallRecorder:
    """Writes finished calls, one unit of work per batch (never a session held for a call)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, region: str = "US") -> None:
        self.sessions = sessions
        self.region = region

    async def record(self, summaries: Sequence[CallSummary]) -> list[RecordedCall]:
        """Store each call as a contact unless its key is stored already.

        Calls between two agents are no customer contact and are left out.
        """
        summaries = [s for s in summaries if s.direction != "internal"]
        if not summaries:
            return []
        out: list[RecordedCall] = []
        async with unit_of_work(self.sessions) as session:
            for summary in summaries:
                data = contact_from_summary(summary, region=self.region)
                contact, created = await service.log_contact(session, data=data, region=self.region)
                out.append(RecordedCall(summary.linkedid, contact.id, contact.customer_id, created))
        return out


async def agent_users(session: AsyncSession) -> dict[str, AgentUser]:
    """Queue member interface -> the user who answers on it, for every user that has one."""
    return {
        user.interface: AgentUser(user.id, user.display_name)
        for user in await users.list_users(session)
        if user.interface and user.active
    }
