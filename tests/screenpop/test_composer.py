"""The screen-pop card, read from the repository on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from callcenter.contacts import service
from callcenter.contacts.read_pool import ReadPool
from callcenter.contacts.schemas import ContactCreate, CustomerCreate, IdentityIn, NoteCreate
from callcenter.db import create_engine, unit_of_work
from callcenter.screenpop.composer import CallContext, ScreenPopComposer
from callcenter.users.actor import Actor
from callcenter.users.models import Role

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ALICE_AGENT = Actor(user_id=None, role=Role.AGENT)


@pytest.fixture
async def composer(database_url: str) -> AsyncIterator[ScreenPopComposer]:
    engine = create_engine(database_url)
    reads = ReadPool(engine, size=2)
    await reads.open()
    yield ScreenPopComposer(reads, region="US")
    await reads.close()
    await engine.dispose()


async def _seed(sessions) -> int:
    async with unit_of_work(sessions) as session:
        view = await service.create_customer(
            session,
            region="US",
            data=CustomerCreate(
                display_name="Alice Martin",
                segment="vip",
                value_score=800,
                identities=[IdentityIn(kind="phone", value="+15551230001")],
            ),
        )
        customer_id = view.customer.id
        for minutes, channel in [(0, "email"), (30, "voice"), (60, "chat")]:
            contact, _ = await service.log_contact(
                session,
                region="US",
                data=ContactCreate(
                    channel=channel,
                    source=channel,
                    external_id=str(minutes),
                    customer_id=customer_id,
                    started_at=T0 + timedelta(minutes=minutes),
                    subject=f"{channel} contact",
                ),
            )
        await service.add_note(
            session, data=NoteCreate(body="wants a refund"), actor=ALICE_AGENT, contact_id=contact.id
        )
        await service.add_note(
            session,
            data=NoteCreate(body="private remark", private=True),
            actor=Actor(user_id=None, role=Role.SUPERVISOR),
            contact_id=contact.id,
        )
    return customer_id


async def test_known_caller_card_has_customer_ivr_and_history(composer: ScreenPopComposer, sessions) -> None:
    customer_id = await _seed(sessions)
    call = CallContext(
        call_id="pbx:1:1700.1",
        caller_number="(555) 123-0001",
        queue="support",
        ivr_path=["menu", "account", "queue"],
        ivr_inputs={"choice": "1", "account": "4321"},
    )
    await composer.prefetch(call.call_id, call.caller_number)
    card = await composer.compose(call, agent_user_id=None, reads_all_private=True)
    json.dumps(card)  # ready for the websocket as it is
    assert card["known"] is True
    assert (card["customer"]["id"], card["customer"]["segment"], card["customer"]["value_score"]) == (
        customer_id,
        "vip",
        800,
    )
    assert card["call"] == {
        "id": "pbx:1:1700.1",
        "caller_number": "+15551230001",
        "caller_name": None,
        "queue": "support",
        "ivr_path": ["menu", "account", "queue"],
        "ivr_inputs": {"choice": "1", "account": "4321"},
    }
    assert [c["channel"] for c in card["history"]["contacts"]] == ["chat", "voice", "email"]
    assert card["history"]["contacts"][0]["started_at"] == "2026-11-02T10:00:00Z"
    assert [n["body"] for n in card["history"]["contacts"][0]["notes"]] == ["wants a refund", "private remark"]


async def test_agent_card_leaves_out_private_notes_of_others(composer: ScreenPopComposer, sessions) -> None:
    await _seed(sessions)
    card = await composer.compose(
        CallContext(call_id="c", caller_number="+15551230001"), agent_user_id=42, reads_all_private=False
    )
    assert [n["body"] for n in card["history"]["contacts"][0]["notes"]] == ["wants a refund"]


async def test_notes_written_after_the_prefetch_are_on_the_card(composer: ScreenPopComposer, sessions) -> None:
    customer_id = await _seed(sessions)
    await composer.prefetch("c2", "+15551230001")
    async with unit_of_work(sessions) as session:
        await service.add_note(
            session, data=NoteCreate(body="called back during IVR"), actor=ALICE_AGENT, customer_id=customer_id
        )
    card = await composer.compose(
        CallContext(call_id="c2", caller_number="+15551230001"), agent_user_id=None, reads_all_private=True
    )
    assert [n["body"] for n in card["history"]["customer_notes"]] == ["called back during IVR"]


async def test_unknown_or_hidden_caller_gets_a_create_suggestion(composer: ScreenPopComposer, sessions) -> None:
    await _seed(sessions)
    unknown = await composer.compose(
        CallContext(call_id="u", caller_number="+442079460958", caller_name="Bob"),
        agent_user_id=None,
        reads_all_private=True,
    )
    assert (unknown["known"], unknown["customer"], unknown["history"]) == (False, None, None)
    assert unknown["suggested_customer"] == {"display_name": "Bob", "phone": "+442079460958"}
    hidden = await composer.compose(
        CallContext(call_id="h", caller_number="anonymous"), agent_user_id=None, reads_all_private=True
    )
    assert hidden["known"] is False and hidden["call"]["caller_number"] == "anonymous"
    assert hidden["suggested_customer"] == {"display_name": "Unknown caller", "phone": None}
