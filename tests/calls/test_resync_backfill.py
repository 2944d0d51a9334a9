"""After a blind spell: reconcile with what Asterisk lists, and backfill from its queue_log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.calls import AgentState, CallTracker, HangupBy, Outcome
from callcenter.calls.backfill import plan_backfill
from callcenter.calls.clock import CaptureClock
from callcenter.calls.events import CallEnded
from callcenter.calls.queue_log import parse_queue_log
from callcenter.calls.replay import replay
from callcenter.calls.resync import mark, reconcile
from callcenter.contacts.call_recorder import CallRecorder
from callcenter.contacts.models import Contact
from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage

TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"
WITH_QUEUE_LOG = sorted(p.stem for p in TRACES.glob("ami-*.queue_log") if p.stat().st_size)


def messages(name: str) -> list[AmiMessage]:
    return AmiDecoder().feed((TRACES / f"{name}.txt").read_bytes())


def records(name: str):
    parsed = parse_queue_log((TRACES / f"{name}.queue_log").read_text().splitlines())
    assert parsed.errors == []
    return parsed.records


def live(name: str) -> CallTracker:
    tracker = CallTracker("lab")
    replay(messages(name), tracker)
    return tracker


def comparable(summary) -> tuple:
    return (
        summary.key,
        summary.caller_number,
        summary.queue,
        summary.agent_name,
        summary.outcome,
        summary.wait_seconds,
        summary.talk_seconds,
    )


@pytest.mark.parametrize("name", WITH_QUEUE_LOG)
def test_backfill_rebuilds_the_calls_seen_live(name: str) -> None:
    tracker = live(name)
    seen = tracker.pop_finished()
    rebuilt = plan_backfill(records(name), tracker.key)
    queued = [s for s in seen if s.queue is not None]
    assert sorted(map(comparable, rebuilt)) == sorted(map(comparable, queued))
    assert all(s.reconstructed and isinstance(s.timeline[-1], CallEnded) for s in rebuilt)
    assert plan_backfill(records(name), tracker.key, skip={s.linkedid for s in seen}) == []


def test_backfill_knows_who_ended_each_call_of_the_burst() -> None:
    tracker = live("ami-09-burst-sales-ringall")
    seen = {s.linkedid: s.hangup_by for s in tracker.pop_finished()}
    rebuilt = {s.linkedid: s.hangup_by for s in plan_backfill(records("ami-09-burst-sales-ringall"), tracker.key)}
    assert rebuilt == seen


def test_backfill_window_takes_calls_that_ended_inside_it() -> None:
    rebuilt = plan_backfill(
        records("ami-09-burst-sales-ringall"), CallTracker("lab").key, since=1795439511, until=1795439525
    )
    assert sorted(s.linkedid for s in rebuilt) == sorted(
        ["1795439491.0", "1795439493.8", "1795439492.2", "1795439495.16", "1795439494.12", "1795439492.4"]
    )


async def test_live_calls_and_their_backfill_make_one_contact_each(sessions) -> None:
    tracker = live("ami-09-burst-sales-ringall")
    recorder = CallRecorder(sessions)
    await recorder.record(tracker.pop_finished())
    again = await recorder.record(plan_backfill(records("ami-09-burst-sales-ringall"), tracker.key))
    assert len(again) == 10 and not any(r.created for r in again)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 10
        assert not any(await session.scalars(select(Contact.reconstructed)))


def feed_until(tracker: CallTracker, clock: CaptureClock, stream: list[AmiMessage], stop) -> int:
    for index, msg in enumerate(stream):
        if stop(msg):
            return index
        tracker.feed(msg, clock.observe(msg))
    raise AssertionError("stop condition never met")


def test_call_that_ended_while_blind_is_closed_then_completed_from_queue_log() -> None:
    stream = messages("ami-01-handled-call")
    tracker, clock = CallTracker("lab"), CaptureClock()
    feed_until(tracker, clock, stream, lambda m: m.name == "BridgeEnter")
    # The link drops here; when it is back, Asterisk lists no channel at all.
    result = reconcile(tracker, channels=[], queue_status=[], now=1795438700)
    (closed,) = result.ended_while_blind
    assert closed.reconstructed and closed.outcome is Outcome.HANDLED and not tracker.calls
    (completed,) = plan_backfill(records("ami-01-handled-call"), tracker.key, closed_blind={closed.linkedid: closed})
    assert (completed.talk_seconds, completed.wait_seconds, completed.hangup_by) == (18, 2, HangupBy.CALLER)
    assert completed.ivr_inputs == {"account": "4321", "queue": "support"} and completed.caller_name == "Alice"
    assert completed.reconstructed and completed.key == closed.key
    types = [e.type for e in completed.timeline]
    assert types[0] == "call.started" and types[-1] == "call.ended" and types.count("call.connected") == 1


def status_items(stream: list[AmiMessage], action_id: str) -> list[AmiMessage]:
    return [m for m in stream if m.kind == "event" and m.action_id == action_id]


def test_calls_up_during_the_blind_spell_carry_on() -> None:
    stream = messages("ami-05-queue-management")
    tracker, clock = CallTracker("lab"), CaptureClock()
    blind_from = feed_until(tracker, clock, stream, lambda m: m.action_id == "s5-009")
    back = next(i for i, m in enumerate(stream) if m.name == "CoreShowChannelsComplete" and m.action_id == "s5-016")
    for msg in stream[blind_from:back]:
        clock.observe(msg)  # time passes; the tracker sees nothing
    result = reconcile(tracker, status_items(stream, "s5-016"), status_items(stream, "s5-015"), clock.now or 0)
    assert sorted(result.continued) == ["1795438718.10", "1795438718.8"] and result.adopted == []
    for msg in stream[back + 1 :]:
        tracker.feed(msg, clock.observe(msg))
    calls = {c.caller_name: c for c in tracker.pop_finished()}
    assert (calls["Carol"].agent_name, calls["Carol"].wait_seconds, calls["Carol"].talk_seconds) == ("Agent 1005", 4, 4)
    assert (calls["Dave"].agent_name, calls["Dave"].wait_seconds, calls["Dave"].talk_seconds) == ("Agent 1002", 6, 2)
    assert all(c.outcome is Outcome.HANDLED for c in calls.values())
    assert not tracker.calls


def test_service_started_mid_call_adopts_the_calls_it_finds() -> None:
    stream = messages("ami-05-queue-management")
    back = next(i for i, m in enumerate(stream) if m.name == "CoreShowChannelsComplete" and m.action_id == "s5-016")
    tracker, clock = CallTracker("lab"), CaptureClock()
    for msg in stream[:back]:
        clock.observe(msg)
    result = reconcile(tracker, status_items(stream, "s5-016"), status_items(stream, "s5-015"), clock.now or 0)
    assert sorted(result.adopted) == ["1795438718.10", "1795438718.8"]
    agents = {e.name: e.state.value for e in result.events if hasattr(e, "state")}
    assert agents["Agent 1001"] == "paused" and agents["Agent 1005"] == "on_call"
    for msg in stream[back + 1 :]:
        tracker.feed(msg, clock.observe(msg))
    calls = {c.caller_number: c for c in tracker.pop_finished()}
    carol, dave = calls["+15551230003"], calls["+15551230004"]
    assert carol.reconstructed and dave.reconstructed
    assert (carol.agent_name, carol.talk_seconds, carol.outcome) == ("Agent 1005", 4, Outcome.HANDLED)
    assert (dave.agent_name, dave.talk_seconds, dave.queue) == ("Agent 1002", 2, "support")
    # Both had been up 12 s when listed.
    assert (carol.ended_at - carol.started_at).total_seconds() >= 12


def test_events_that_arrive_while_the_lists_are_on_their_way_are_not_undone() -> None:
    stream = messages("ami-01-handled-call")
    tracker, clock = CallTracker("lab"), CaptureClock()
    before = mark(tracker)
    # The call starts after the lists were asked for, so they do not show it: it is not over.
    stop = feed_until(tracker, clock, stream, lambda m: m.name == "QueueCallerJoin")
    result = reconcile(tracker, channels=[], queue_status=[], now=clock.now or 0, since=before)
    assert result.ended_while_blind == [] and list(tracker.calls) == ["1795438657.0"]
    for msg in stream[stop:]:
        tracker.feed(msg, clock.observe(msg))
    (call,) = tracker.pop_finished()
    assert call.outcome is Outcome.HANDLED and not call.reconstructed
    # A list made while the call was still up arrives after its end: the call is not adopted again.
    listed = [
        AmiMessage.from_headers(
            [
                ("Event", "CoreShowChannel"),
                ("Channel", "Local/s@customer-00000000;1"),
                ("Uniqueid", "1795438657.0"),
                ("Linkedid", "1795438657.0"),
                ("Application", "Queue"),
                ("Duration", "00:00:20"),
            ]
        )
    ]
    late = reconcile(tracker, channels=listed, queue_status=[], now=clock.now or 0, since=mark(tracker))
    assert late.adopted == [] and not tracker.calls


def test_ring_attempt_that_ended_unseen_frees_the_agent() -> None:
    stream = messages("ami-01-handled-call")
    tracker, clock = CallTracker("lab"), CaptureClock()
    feed_until(
        tracker, clock, stream, lambda m: m.name == "DialBegin" and m.get("DestChannel", "").startswith("Local/a")
    )
    assert tracker.agents.agents["Local/agent1001@agents/n"].state is AgentState.RINGING
    caller_only = [
        AmiMessage.from_headers(
            [
                ("Event", "CoreShowChannel"),
                ("Channel", f"Local/s@customer-00000000;{half}"),
                ("Uniqueid", f"1795438657.{half - 1}"),
                ("Linkedid", "1795438657.0"),
                ("Application", "Queue" if half == 1 else "Wait"),
                ("Duration", "00:00:09"),
            ]
        )
        for half in (1, 2)
    ]
    result = reconcile(tracker, caller_only, [], (clock.now or 0) + 3, since=mark(tracker))
    assert result.continued == ["1795438657.0"]
    assert tracker.agents.agents["Local/agent1001@agents/n"].state is AgentState.READY
    assert tracker.calls["1795438657.0"].ringing == {}


def test_damaged_queue_log_lines_are_reported_and_skipped() -> None:
    lines = (TRACES / "ami-01-handled-call.queue_log").read_text().splitlines()
    damaged = [
        "",
        "garbage",
        "x|1795438657.0|support|NONE|ENTERQUEUE||+1|1",
        "99999999999999|a|b|c|CONNECT|1",
        "1795438660|1795438657.0|support|Agent 1001|CONNECT|nonsense|||",
        *lines,
    ]
    parsed = parse_queue_log(damaged)
    assert [number for number, _ in parsed.errors] == [2, 3, 4]
    (call,) = plan_backfill(parsed.records, CallTracker("lab").key)
    assert (call.outcome, call.wait_seconds, call.talk_seconds) == (Outcome.HANDLED, 2, 18)
