"""The AMI client against the PBX simulator (a different AMI server implementation than the test fake)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from callcenter.pbxsim.clock import accelerated
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.telephony.ami import AmiAuthenticationError, AmiClient, AmiMessage

ALICE = [
    ("Channel", "Local/s@customer"),
    ("Context", "ivr-in"),
    ("Exten", "s"),
    ("Priority", "1"),
    ("CallerID", "Alice <+15551230001>"),
    ("Async", "true"),
    ("Variable", "CHOICE=1"),
    ("Variable", "ACCOUNT=4321"),
    ("Variable", "HOLD=300"),
    ("Variable", "__TALK=600"),  # the call stays up (15 s at the simulator's 40x) while lists are asked for
]


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator(clock=accelerated(40.0, start=1795438652.0))
    await simulator.start()
    yield simulator
    await simulator.stop()


class Seen:
    def __init__(self) -> None:
        self.events: list[AmiMessage] = []
        self.boots: list[int | None] = []

    def consume(self, event: AmiMessage) -> None:
        self.events.append(event)

    async def on_connect(self, client: AmiClient) -> None:
        self.boots.append(client.boot.number if client.boot else None)


async def eventually(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Poll every 10 ms until ``predicate()`` holds; fail after ``within`` seconds."""
    for _ in range(int(within / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


def client_for(sim: PbxSimulator, seen: Seen, **options: object) -> AmiClient:
    return AmiClient(
        "sim",
        "127.0.0.1",
        sim.ami_port,
        username="callcenter",
        secret="lab-secret",
        consumer=seen.consume,
        on_connect=seen.on_connect,
        reconnect_min_delay=0.05,
        reconnect_max_delay=0.5,
        **options,  # type: ignore[arg-type]
    )


async def test_actions_lists_and_a_call(sim: PbxSimulator) -> None:
    seen = Seen()
    async with client_for(sim, seen) as client:
        status = await client.action("QueueStatus", {"Queue": "support"})
        assert status.complete is not None and status.complete.name == "QueueStatusComplete"
        assert len(status.events) == int(status.complete["ListItems"]) > 0
        assert (await client.command("core show version"))[0].startswith("Asterisk 22.10.1")
        pings = await asyncio.gather(*(client.ping() for _ in range(200)))
        assert len(pings) == 200
        queued = await client.action("Originate", ALICE)
        assert queued["Message"] == "Originate successfully queued"
        await eventually(lambda: any(e.name == "QueueCallerJoin" for e in seen.events))
        originated = next(e for e in seen.events if e.name == "OriginateResponse")
        assert originated.action_id == queued.message.action_id  # the event reaches the consumer, not the action
        join = next(e for e in seen.events if e.name == "QueueCallerJoin")
        assert (join["Queue"], join["CallerIDNum"]) == ("support", "+15551230001")
        # More list actions, answered while the call's events keep flowing to the consumer.
        channels = await client.action("CoreShowChannels")
        assert channels.complete is not None and channels.complete.name == "CoreShowChannelsComplete"
        assert any(e["Linkedid"] == join["Linkedid"] for e in channels.events)
        summary = await client.action("QueueSummary", {"Queue": "support"})
        assert summary.complete is not None and [e.name for e in summary.events] == ["QueueSummary"]
        assert {e.server for e in seen.events} == {"sim"}


async def test_event_filter_sent_at_login_is_applied(sim: PbxSimulator) -> None:
    system_only, everything = Seen(), Seen()
    async with client_for(sim, system_only, events="system") as filtered, client_for(sim, everything):
        await filtered.action("Originate", ALICE)
        # Once the unfiltered client has seen the caller queue, the filtered one would have seen call events too.
        await eventually(lambda: any(e.name == "QueueCallerJoin" for e in everything.events))
        await filtered.ping()
        assert [e.name for e in system_only.events] == ["FullyBooted"]


async def test_restart_reconnects_with_a_new_boot(sim: PbxSimulator) -> None:
    seen = Seen()
    async with client_for(sim, seen) as client:
        await eventually(lambda: seen.boots == [1])
        await sim.restart(0.3)
        await eventually(lambda: seen.boots == [1, 2])
        names = [e.name for e in seen.events]
        assert "Shutdown" in names
        assert names.count("FullyBooted") == 2
        assert await client.ping() > 0


async def test_bad_login_against_the_simulator(sim: PbxSimulator) -> None:
    client = AmiClient("sim", "127.0.0.1", sim.ami_port, username="callcenter", secret="wrong")
    with pytest.raises(AmiAuthenticationError, match="Authentication failed"):
        await client.connect()
    assert not client.connected
