"""Two service instances on one PostgreSQL and one Redis: streams, seq and resume cross instances."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis.asyncio as redis

from callcenter.realtime.wire import SUPERVISORS, agent_stream
from tests.conftest import REDIS_URL
from tests.realtime.conftest import StartService, add_people, receive

pytestmark = pytest.mark.postgres


async def test_a_message_published_on_a_reaches_b_and_resume_works_on_b(
    start_service: StartService, shared_postgres: str
) -> None:
    people = await add_people(shared_postgres)
    a = await start_service(database_url=shared_postgres, backplane=REDIS_URL)
    b = await start_service(database_url=shared_postgres, backplane=REDIS_URL)
    alice = agent_stream(people.ids["alice"])
    async with (
        b.connect("/ws/agent", people.tokens["alice"]) as alice_b,
        b.connect("/ws/agent", people.tokens["bob"]) as bob_b,
    ):
        snapshot = await receive(alice_b)
        assert snapshot["type"] == "snapshot"
        await receive(bob_b)
        for n in range(50):
            await a.hub.publish(alice, "call.update", {"n": n})
        got = [await receive(alice_b) for _ in range(50)]
        assert [m["data"]["n"] for m in got] == list(range(50))
        assert [m["seq"] for m in got] == list(range(snapshot["seq"] + 1, snapshot["seq"] + 51))
        await b.hub.publish(agent_stream(people.ids["bob"]), "end", None)
        assert (await receive(bob_b))["type"] == "end"  # bob saw none of alice's fifty
        last = got[-1]["seq"]
        alice_b.transport.abort()
    for n in range(50, 80):
        await a.hub.publish(alice, "call.update", {"n": n})
    for resume_on in (b, a):
        async with resume_on.connect("/ws/agent", people.tokens["alice"], query={"since": last}) as again:
            missed = [await receive(again) for _ in range(30)]
            assert [m["data"]["n"] for m in missed] == list(range(50, 80))
            assert [m["seq"] for m in missed] == list(range(last + 1, last + 31))


async def test_both_instances_publishing_one_stream_share_one_sequence(
    start_service: StartService, shared_postgres: str
) -> None:
    people = await add_people(shared_postgres)
    a = await start_service(database_url=shared_postgres, backplane=REDIS_URL)
    b = await start_service(database_url=shared_postgres, backplane=REDIS_URL)
    async with (
        a.connect("/ws/supervisor", people.tokens["sue"]) as on_a,
        b.connect("/ws/supervisor", people.tokens["ada"]) as on_b,
    ):
        start = (await receive(on_a))["seq"]
        await receive(on_b)
        await asyncio.gather(
            *(
                hub.publish(SUPERVISORS, "queue.updated", {"from": name, "n": n})
                for n in range(100)
                for name, hub in (("a", a.hub), ("b", b.hub))
            )
        )
        seen_a = [await receive(on_a) for _ in range(200)]
        seen_b = [await receive(on_b) for _ in range(200)]
    assert [m["seq"] for m in seen_a] == list(range(start + 1, start + 201))
    assert seen_a == seen_b
    for name in ("a", "b"):
        assert [m["data"]["n"] for m in seen_a if m["data"]["from"] == name] == list(range(100))


async def test_after_losing_redis_an_instance_replays_what_its_clients_missed(
    start_service: StartService, shared_postgres: str, caplog: pytest.LogCaptureFixture
) -> None:
    people = await add_people(shared_postgres)
    a = await start_service(database_url=shared_postgres, backplane=REDIS_URL)
    b = await start_service(database_url=shared_postgres, backplane=REDIS_URL)
    alice = agent_stream(people.ids["alice"])
    admin = redis.from_url(REDIS_URL, decode_responses=True)
    caplog.set_level(logging.WARNING, logger="callcenter.realtime.redis_backplane")
    async with b.connect("/ws/agent", people.tokens["alice"]) as alice_b:
        await receive(alice_b)
        # Cut every hub subscriber on this test's Redis database (both instances).
        for client in await admin.client_list(_type="pubsub"):
            if client["name"].startswith("callcenter-hub:") and client["db"] == "15":
                await admin.client_kill_filter(_id=client["id"])
        for n in range(20):
            await a.hub.publish(alice, "call.update", {"n": n})
        got = [await receive(alice_b) for _ in range(20)]
    await admin.aclose()
    assert [m["data"]["n"] for m in got] == list(range(20))
    assert "Redis" in caplog.text
