"""Callbacks booked in the IVR land in the repository as pending callbacks an agent will see."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.contacts.models import Callback, CallbackStatus, Customer, Identity
from callcenter.db import unit_of_work
from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.engine import IvrEngine
from callcenter.ivr.services import CallbackRefused, CallbackRequest, IvrServices
from callcenter.ivr.simulate import FixedClock, ScriptedCaller, parse_digits
from callcenter.wiring.ivr_callbacks import RepositoryCallbacks
from tests.ivr.flowkit import TUESDAY_10_NY
from tests.wiring.test_ivr_customers import add_customers

FLOWS = Path(__file__).parents[2] / "ivr_flows"


async def callbacks(sessions: async_sessionmaker[AsyncSession]) -> list[Callback]:
    async with unit_of_work(sessions) as session:
        return list((await session.scalars(select(Callback).order_by(Callback.id))).all())


def request(**changes: object) -> CallbackRequest:
    values = {
        "number": "+15551230002",
        "caller_number": "+15551230002",
        "queue": "support",
        "customer_id": None,
        "flow": "support-queue",
        "linkedid": "1795430000.12",
        "requested_at": TUESDAY_10_NY,
    }
    return CallbackRequest(**(values | changes))  # type: ignore[arg-type]


async def test_a_known_and_an_unknown_caller_get_pending_callbacks(sessions: async_sessionmaker[AsyncSession]) -> None:
    bob_id, _ = await add_customers(sessions)
    booker = RepositoryCallbacks(sessions, default_region="US", window=dt.timedelta(hours=2))
    await booker.book_callback(request(customer_id=str(bob_id)))
    await booker.book_callback(request(number="4155550123", caller_number="+15559990000"))
    first, second = await callbacks(sessions)
    assert (first.customer_id, first.number, first.queue, first.status) == (
        bob_id, "+15551230002", "support", CallbackStatus.PENDING,
    )  # fmt: skip
    assert (first.window_start, first.window_end) == (TUESDAY_10_NY, TUESDAY_10_NY + dt.timedelta(hours=2))
    assert first.reason == "asked for in the IVR (support-queue)"
    assert second.number == "+14155550123"
    async with unit_of_work(sessions) as session:
        owner = await session.get(Customer, second.customer_id)
        identity = await session.scalar(select(Identity).where(Identity.customer_id == second.customer_id))
    assert owner is not None and owner.display_name == "Unknown +15559990000"
    assert identity is not None and identity.value == "+15559990000"


async def test_a_number_that_is_not_one_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    booker = RepositoryCallbacks(sessions, default_region="US")
    with pytest.raises(CallbackRefused):
        await booker.book_callback(request(number="123"))
    assert await callbacks(sessions) == []


async def test_the_support_queue_flow_books_into_the_repository(sessions: async_sessionmaker[AsyncSession]) -> None:
    services = IvrServices(
        callbacks=RepositoryCallbacks(sessions, default_region="US"), clock=FixedClock(TUESDAY_10_NY)
    )
    engine = IvrEngine(FlowCatalog.from_directory(FLOWS), services)
    caller = ScriptedCaller(
        "anonymous", parse_digits("1,123#,2,4155550123#,1"), channel_variables={"QUEUEHOLDTIME": "900"}
    )
    result = await engine.run(caller, "support-queue")
    # the caller types 123, hears it read back, presses 2 to type it again, then confirms the new one
    assert result.path == ["queue", "offer-callback", "goodbye"]
    [booked] = await callbacks(sessions)
    assert booked.number == "+14155550123"
    refused = ScriptedCaller("anonymous", parse_digits("1,99999#,1"), channel_variables={"QUEUEHOLDTIME": "900"})
    result = await engine.run(refused, "support-queue")
    assert result.path == ["queue", "offer-callback", "wait-again"]
    assert result.inputs[-1] == {
        "node": "offer-callback",
        "kind": "callback_number",
        "value": "99999",
        "result": "refused",
    }
