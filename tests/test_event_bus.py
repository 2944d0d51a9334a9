"""The in-process event bus: order, isolation of failing subscribers, bounded queues that say what they lost."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest

from callcenter.bus import EventBus, EventsDropped


@dataclass(frozen=True)
class Ringing:
    n: int


@dataclass(frozen=True)
class Hangup:
    n: int


async def test_each_subscriber_gets_its_types_in_publish_order() -> None:
    bus = EventBus()
    everything: list[object] = []
    rings: list[object] = []
    done = asyncio.Event()

    async def all_events(event: object) -> None:
        everything.append(event)
        if event == Hangup(98):
            done.set()

    async def only_rings(event: object) -> None:
        rings.append(event)

    bus.subscribe("all", all_events)
    bus.subscribe("rings", only_rings, types=(Ringing,))
    await bus.start()
    expected = [Ringing(n) if n % 2 else Hangup(n) for n in range(99)]
    for event in expected:
        bus.publish(event)
    await asyncio.wait_for(done.wait(), 5)
    await bus.stop()
    assert everything == expected
    assert rings == [e for e in expected if isinstance(e, Ringing)]


async def test_a_failing_subscriber_is_logged_and_the_others_carry_on(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    good: list[int] = []
    seen_by_bad: list[int] = []

    async def bad(event: Ringing) -> None:
        seen_by_bad.append(event.n)
        if event.n == 1:
            raise ValueError("boom")

    async def fine(event: Ringing) -> None:
        good.append(event.n)

    bus.subscribe("bad", bad)
    bus.subscribe("fine", fine)
    await bus.start()
    for n in range(3):
        bus.publish(Ringing(n))
    await bus.stop()
    assert good == [0, 1, 2] and seen_by_bad == [0, 1, 2]
    assert "subscriber bad failed on Ringing" in caplog.text and "boom" in caplog.text


async def test_a_slow_subscriber_never_blocks_the_publisher_and_learns_what_it_missed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="callcenter.bus")
    bus = EventBus(queue_size=10)
    release, caught_up = asyncio.Event(), asyncio.Event()
    slow: list[object] = []
    fast: list[object] = []

    async def slow_handler(event: object) -> None:
        await release.wait()
        slow.append(event)
        if isinstance(event, EventsDropped):
            caught_up.set()

    async def fast_handler(event: object) -> None:
        fast.append(event)

    subscription = bus.subscribe("slow", slow_handler)
    bus.subscribe("fast", fast_handler, queue_size=1000)
    await bus.start()
    bus.publish(Ringing(0))
    await asyncio.sleep(0)  # the slow worker takes event 0 and waits inside its handler
    for n in range(1, 101):
        bus.publish(Ringing(n))  # returns at once although "slow" is stuck
    assert subscription.dropped == 90
    release.set()
    await asyncio.wait_for(caught_up.wait(), 5)
    bus.publish(Ringing(101))
    await bus.stop()
    assert fast == [Ringing(n) for n in range(102)]
    # Events 1-10 fit, 11-100 were dropped and counted at the gap, 101 came after the queue drained.
    assert slow == [*(Ringing(n) for n in range(11)), EventsDropped(90), Ringing(101)]
    assert "subscriber slow is 10 events behind" in caplog.text


async def test_events_published_before_start_wait_and_an_unsubscribed_handler_hears_nothing_more() -> None:
    bus = EventBus()
    kept: list[object] = []
    gone: list[object] = []

    async def keep(event: object) -> None:
        kept.append(event)

    async def leave(event: object) -> None:
        gone.append(event)

    keeper = bus.subscribe("keep", keep)
    leaver = bus.subscribe("leave", leave)
    bus.publish(Ringing(1))
    assert keeper.backlog == 1 and kept == []  # queued until the bus starts
    await bus.start()
    await asyncio.sleep(0)
    bus.unsubscribe(leaver)
    bus.publish(Ringing(2))
    await bus.stop()
    assert kept == [Ringing(1), Ringing(2)]
    assert gone == [Ringing(1)]
