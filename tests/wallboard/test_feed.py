"""The wallboard feed: call events in, coalesced figure messages, alert changes and chart points out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from callcenter.calls.events import AgentState, AgentStateChanged, CallConnected, CallKey, CallQueued
from callcenter.config import MetricsSettings, WallboardSettings
from callcenter.realtime.wire import SUPERVISORS
from callcenter.supervision.service import Supervision
from callcenter.wallboard.feed import WallboardFeed

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
AGENT = "PJSIP/1001"


class StreamLog:
    """Stands in for the hub: keeps what was published to which stream."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, Any]] = []

    async def publish(self, stream: str, type_: str, data: Any) -> int:
        self.messages.append((stream, type_, data))
        return len(self.messages)

    def of(self, type_: str) -> list[Any]:
        return [data for stream, t, data in self.messages if t == type_ and stream == SUPERVISORS]


def make_feed(now: list[datetime], **settings: float) -> tuple[WallboardFeed, StreamLog, Supervision]:
    supervision = Supervision(MetricsSettings(longest_wait_alert_seconds=60), clock=lambda: now[0])
    log = StreamLog()
    feed = WallboardFeed(supervision, log, WallboardSettings(**settings))  # type: ignore[arg-type]
    return feed, log, supervision


def queued(n: int, at: datetime, queue: str = "support") -> CallQueued:
    return CallQueued(CallKey("pbx", "1", f"call-{n}"), at, queue=queue, position=n)


async def wait_for(predicate, within: float = 5.0) -> None:
    for _ in range(int(within / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


async def test_a_burst_of_calls_reaches_the_wallboard_as_few_whole_queue_messages() -> None:
    now = [T0]
    feed, log, _ = make_feed(now, publish_interval=0.2, history_sample_seconds=3600)
    runner = asyncio.create_task(feed.run())
    try:
        await wait_for(lambda: log.of("history.point"))
        await feed.on_event(queued(0, T0))
        # The first change after a quiet spell goes out at once ...
        await wait_for(lambda: log.of("figures.queues"))
        assert [q["calls_waiting"] for q in log.of("figures.queues")[0]["queues"]] == [1]
        # ... the next 99 within the coalescing interval go out together, as the queue's whole new state.
        for n in range(1, 100):
            await feed.on_event(queued(n, T0 + timedelta(seconds=n / 100)))
        await wait_for(lambda: len(log.of("figures.queues")) >= 2)
        await asyncio.sleep(0.5)
    finally:
        runner.cancel()
    figures = log.of("figures.queues")
    assert len(figures) == 2
    assert figures[-1]["queues"][0]["queue"] == "support"
    assert figures[-1]["queues"][0]["calls_waiting"] == 100
    assert figures[-1]["version"] == 100


async def test_agents_that_changed_are_sent_whole_with_their_server() -> None:
    now = [T0 + timedelta(seconds=30)]
    feed, log, _ = make_feed(now)
    await feed.on_event(
        AgentStateChanged("pbx-2", AGENT, "Ann", None, T0, state=AgentState.READY, previous=None, queue="support")
    )
    await feed.on_event(queued(1, T0 + timedelta(seconds=1)))
    await feed.on_event(
        CallConnected(
            CallKey("pbx-2", "1", "call-1"), T0 + timedelta(seconds=11), queue="support", agent_interface=AGENT,
            agent_name="Ann", wait_seconds=10, ring_seconds=2,
        )
    )  # fmt: skip
    await feed.flush()
    (agents,) = log.of("figures.agents")
    (ann,) = agents["agents"]
    assert (ann["interface"], ann["server"], ann["name"], ann["state"]) == (AGENT, "pbx-2", "Ann", "ready")
    assert ann["calls_handled"] == 1
    assert ann["seconds_in_state"] == 30
    (queues,) = log.of("figures.queues")
    support = queues["queues"][0]
    assert (support["offered"], support["answered"], support["asa_seconds"]) == (1, 1, 10)
    # Nothing changed since: the next flush sends nothing.
    await feed.flush()
    assert len(log.messages) == 2


async def test_alerts_are_pushed_as_they_are_raised_acknowledged_and_cleared() -> None:
    now = [T0]
    feed, log, supervision = make_feed(now)
    await feed.on_event(queued(1, T0))
    now[0] = T0 + timedelta(seconds=61)
    supervision.check()
    await feed.flush()
    raised = {a["kind"]: a for a in log.of("alert.raised")}
    assert set(raised) == {"longest_wait", "no_agent_ready"}
    assert raised["longest_wait"]["message"] == "support: a caller has waited more than 60 s"
    supervision.acknowledge(raised["longest_wait"]["id"], "Sam Supervisor")
    supervision.ami_link("pbx", False)
    await feed.flush()
    (acknowledged,) = log.of("alert.acknowledged")
    assert acknowledged["acknowledged_by"] == "Sam Supervisor" and acknowledged["active"]
    assert [a["kind"] for a in log.of("alert.raised")][-1] == "ami_down"
    supervision.ami_link("pbx", True)
    await feed.flush()
    assert [(a["kind"], a["active"]) for a in log.of("alert.cleared")] == [("ami_down", False)]


async def test_snapshot_holds_figures_agents_alerts_and_the_chart_history() -> None:
    now = [T0]
    feed, log, supervision = make_feed(now, history_sample_seconds=60, history_hours=1)
    await feed.on_event(
        AgentStateChanged("pbx", AGENT, "Ann", None, T0, state=AgentState.PAUSED, previous=None, reason="lunch",
                          queue="support")
    )  # fmt: skip
    for minute in range(70):
        now[0] = T0 + timedelta(minutes=minute)
        if minute == 5:
            await feed.on_event(queued(1, now[0]))
        await feed.sample()
    supervision.check()
    snapshot = await feed.snapshot(SUPERVISORS)
    assert snapshot["figures"]["queues"][0]["calls_waiting"] == 1
    assert snapshot["figures"]["queues"][0]["agents"]["paused_by_reason"] == {"lunch": 1}
    assert [(a["interface"], a["state"], a["reason"]) for a in snapshot["agents"]] == [(AGENT, "paused", "lunch")]
    assert {a["kind"] for a in snapshot["alerts"]} == {"longest_wait", "no_agent_ready"}
    history = snapshot["history"]
    # An hour of one-minute points: the oldest ten were dropped.
    assert len(history["points"]) == 60
    assert history["points"][0]["at"] == (T0 + timedelta(minutes=10)).isoformat()
    assert history["points"][-1]["queues"]["support"] == {
        "calls_waiting": 1, "service_level": None, "abandon_rate": None,
    }  # fmt: skip
    assert len(log.of("history.point")) == 70
