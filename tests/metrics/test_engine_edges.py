"""Queue visits the captures do not show: adopted answers, queue exits, transfers back into a queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from callcenter.calls.events import (
    CallConnected,
    CallEnded,
    CallKey,
    CallQueued,
    CallTransferred,
    HangupBy,
    TransferKind,
)
from callcenter.metrics import LiveMetrics, MetricsRules

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
KEY = CallKey("pbx", "1", "1800000000.1")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def connected(seconds: float, wait: float, queue: str = "support") -> CallConnected:
    return CallConnected(
        KEY, at(seconds), queue=queue, agent_interface="PJSIP/1", agent_name="A", wait_seconds=wait, ring_seconds=2
    )


def support(live: LiveMetrics, seconds: float) -> dict:
    return next(q for q in live.snapshot(at(seconds))["queues"] if q["queue"] == "support")


def test_an_answer_seen_without_its_queue_entry_is_still_one_offered_call() -> None:
    live = LiveMetrics(MetricsRules())
    live.apply(connected(40, wait=25))  # adopted after a reconnect: only the answer was seen
    figures = support(live, 41)
    assert (figures["offered"], figures["answered"], figures["answered_within_threshold"]) == (1, 1, 0)
    assert figures["asa_seconds"] == 25


def test_a_caller_leaving_the_queue_unanswered_counts_as_offered_and_left() -> None:
    live = LiveMetrics(MetricsRules())
    live.apply(CallQueued(KEY, at(0), queue="support", position=1))
    assert support(live, 30)["calls_waiting"] == 1
    assert support(live, 30)["longest_wait_seconds"] == 30
    live.apply(CallEnded(KEY, at(45), hangup_by=HangupBy.SYSTEM, cause=None, outcome="timeout"))
    figures = support(live, 46)
    assert (figures["offered"], figures["left_unanswered"], figures["calls_waiting"]) == (1, 1, 0)
    assert figures["max_wait_seconds"] == 45
    # Service level = 0 answered within 20 s / (1 offered - 0 short abandons).
    assert figures["service_level"] == 0.0


def test_a_call_transferred_back_into_a_queue_is_a_second_visit() -> None:
    live = LiveMetrics(MetricsRules())
    live.apply(CallQueued(KEY, at(0), queue="support", position=1))
    live.apply(connected(5, wait=5))
    live.apply(CallTransferred(KEY, at(60), kind=TransferKind.BLIND, target="2000@transfer", agent_interface="PJSIP/1"))
    live.apply(CallQueued(KEY, at(61), queue="sales", position=1))
    live.apply(connected(91, wait=30, queue="sales"))
    snapshot = {q["queue"]: q for q in live.snapshot(at(92))["queues"]}
    assert (snapshot["support"]["offered"], snapshot["support"]["answered_within_threshold"]) == (1, 1)
    assert (snapshot["sales"]["offered"], snapshot["sales"]["answered_within_threshold"]) == (1, 0)
    # No agent event came (the tracker was not told the member's state): the answers still count.
    (agent,) = live.snapshot(at(92))["agents"]
    assert (agent["interface"], agent["state"], agent["calls_handled"]) == ("PJSIP/1", None, 2)
