"""Finished calls become contacts: customer matching, agents, timelines, idempotency (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from callcenter.calls import CallTracker
from callcenter.calls.replay import replay
from callcenter.contacts.call_recorder import CallRecorder, agent_users
from callcenter.contacts.models import Contact, ContactEvent, Customer, Identity, IdentityKind
from callcenter.db import unit_of_work
from callcenter.telephony.ami.codec import AmiDecoder
from callcenter.users.models import Role, User

TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"


def summaries_of(name: str, users=None):
    tracker = CallTracker("pbx1", agent_users=users)
    replay(AmiDecoder().feed((TRACES / name).read_bytes()), tracker)
    return tracker.pop_finished()


async def test_burst_becomes_one_contact_per_call_with_known_customer_and_agent(sessions) -> None:
    async with unit_of_work(sessions) as session:
        known = Customer(display_name="Abigail A.")
        session.add(known)
        await session.flush()
        session.add(Identity(customer_id=known.id, kind=IdentityKind.PHONE, value="+15551234087"))
        agent = User(
            username="agent1003",
            display_name="Ana Agent",
            role=Role.AGENT,
            password_hash="x",
            interface="Local/agent1003@agents",
        )
        session.add(agent)
    async with sessions() as session:
        users = await agent_users(session)
    summaries = summaries_of("ami-09-burst-sales-ringall.txt", users)
    recorded = await CallRecorder(sessions).record(summaries)
    assert len(recorded) == 10 and all(r.created for r in recorded)

    async with sessions() as session:
        contacts = {c.address: c for c in await session.scalars(select(Contact))}
        assert len(contacts) == 10
        abigail = contacts["+15551234087"]
        assert abigail.customer_id == known.id
        assert (abigail.channel.value, abigail.direction.value, abigail.source) == ("voice", "inbound", "asterisk")
        assert abigail.external_id == f"pbx1:{summaries[0].key.boot}:1795439491.0"
        assert (abigail.agent_id, abigail.agent_name, abigail.outcome) == (agent.id, "Ana Agent", "handled")
        assert (abigail.wait_seconds, abigail.talk_seconds, abigail.hangup_by) == (2, 12, "agent")
        assert abigail.ivr_inputs == {"account": "7310", "queue": "sales"}
        others = [c for c in contacts.values() if c is not abigail]
        assert len({c.customer_id for c in others}) == 9, "each unknown caller gets a customer of their own"
        names = set(await session.scalars(select(Customer.display_name).where(Customer.id != known.id)))
        assert "Igor" in names
        types = list(
            await session.scalars(
                select(ContactEvent.type)
                .where(ContactEvent.contact_id == abigail.id)
                .order_by(ContactEvent.at, ContactEvent.id)
            )
        )
        assert types[0] == "call.started" and types[-1] == "call.ended"
        assert types.count("call.agent_ringing") == 2 and "call.connected" in types


async def test_recording_the_same_calls_again_changes_nothing(sessions) -> None:
    summaries = summaries_of("ami-11-ivr-only-and-timeouts.txt") + summaries_of("ami-01-handled-call.txt")
    first = await CallRecorder(sessions).record(summaries)
    again = await CallRecorder(sessions).record(summaries_of("ami-01-handled-call.txt"))
    assert [r.created for r in again] == [False]
    assert again[0].contact_id == first[-1].contact_id
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 4
        outcomes = sorted(await session.scalars(select(Contact.outcome)))
        assert outcomes == ["handled", "ivr_only", "ivr_only", "ivr_only"]


async def test_outbound_call_is_a_contact_with_the_dialed_customer_and_internal_calls_are_not(sessions) -> None:
    from dataclasses import replace

    (base,) = summaries_of("ami-01-handled-call.txt")
    outbound = replace(
        base, key=replace(base.key, linkedid="out-1"), direction="outbound", dialed_number="+15559870000"
    )
    internal = replace(base, key=replace(base.key, linkedid="int-1"), direction="internal", dialed_number="1002")
    recorded = await CallRecorder(sessions).record([outbound, internal])
    assert [r.linkedid for r in recorded] == ["out-1"]
    async with sessions() as session:
        (contact,) = await session.scalars(select(Contact))
        assert (contact.direction.value, contact.address) == ("outbound", "+15559870000")
