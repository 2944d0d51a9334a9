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
from callcenter.calls.summary import CallSummary, Outcome
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


def summary_of(events: list, *, talk: float = 30.0) -> CallSummary:
    return CallSummary(
        key=KEY, caller_number="+15550001111", caller_name=None, queue="support", agent_interface="PJSIP/1",
        agent_name="A", agent_user_id=None, outcome=Outcome.HANDLED, started_at=at(0), answered_at=at(5),
        ended_at=at(35), wait_seconds=5, talk_seconds=talk, hold_seconds=0.0, wrapup_seconds=10.0, ring_attempts=1,
        hangup_by=HangupBy.CALLER, hangup_cause=None, timeline=events,
    )  # fmt: skip


def whole_call() -> list:
    return [
        CallQueued(KEY, at(0), queue="support", position=1),
        connected(5, wait=5),
        CallEnded(KEY, at(35), hangup_by=HangupBy.CALLER, cause=None, outcome="handled"),
    ]


def test_a_call_that_ended_unseen_is_counted_from_its_summary_once() -> None:
    live = LiveMetrics(MetricsRules())
    # Rebuilt from the queue_log after a link cut: none of its events were seen live.
    live.apply(summary_of(whole_call()))
    live.apply(summary_of(whole_call()))  # the same call again (a retried batch)
    figures = support(live, 40)
    assert (figures["offered"], figures["answered"], figures["handled"]) == (1, 1, 1)
    assert figures["aht_seconds"] == 40  # talk 30 + wrap-up 10


def test_a_call_closed_by_a_resync_adds_only_the_events_not_seen() -> None:
    live = LiveMetrics(MetricsRules())
    events = whole_call()
    live.apply(events[0])
    live.apply(events[1])  # seen live up to the answer; the link dropped before the end
    live.apply(summary_of(events))
    figures = support(live, 40)
    assert (figures["offered"], figures["answered"], figures["handled"]) == (1, 1, 1)
    assert live.events["call.connected"] == 1 and live.events["call.ended"] == 1
