"""Each real capture, replayed through codec and tracker, gives the calls Asterisk's queue_log gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callcenter.calls import AgentState, HangupBy, Outcome
from callcenter.calls.events import (
    AgentAdded,
    AgentRemoved,
    AgentRinging,
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallQueued,
    CallStarted,
    IvrEntered,
    IvrLeft,
)

TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"

WITH_QUEUE_LOG = sorted(
    p.name for p in TRACES.glob("ami-*.txt") if (TRACES / p.name.replace(".txt", ".queue_log")).exists()
)


# queue_log says COMPLETECALLER for a caller hung up by the AMI Hangup action (ami-05) or by the
# restart (ami-08); the tracker reports those as ended by the system.
SYSTEM_HANGUPS = {"ami-05-queue-management.txt", "ami-08-restart.txt"}


def test_every_queue_log_capture_is_covered() -> None:
    assert len(WITH_QUEUE_LOG) == 7


@pytest.mark.parametrize("capture", WITH_QUEUE_LOG)
def test_replay_matches_asterisks_queue_log(capture: str, replayed, queue_log) -> None:
    expected = queue_log(capture.replace(".txt", ".queue_log"))
    result = replayed(capture)
    queued = {c.linkedid: c for c in result.calls if c.queue is not None}
    assert set(queued) == set(expected)
    assert not result.tracker.calls, "no call may stay open once the capture's channels are gone"
    for callid, want in expected.items():
        got = queued[callid]
        assert got.queue == want.queue
        assert got.caller_number == want.caller
        assert got.outcome.value == want.outcome
        assert got.agent_name == want.agent
        assert got.wait_seconds is not None and abs(got.wait_seconds - want.wait) <= 1
        if want.ended_by == "agent" or capture not in SYSTEM_HANGUPS:
            assert got.hangup_by.value == (want.ended_by or "caller")
        else:
            assert got.hangup_by is HangupBy.SYSTEM
        if want.talk is None:
            assert got.talk_seconds is None
        else:
            assert got.talk_seconds is not None and abs(got.talk_seconds - want.talk) <= 1


def test_handled_call_timeline_and_ivr_inputs(replayed) -> None:
    (call,) = replayed("ami-01-handled-call.txt").calls
    assert (call.caller_number, call.caller_name) == ("+15551230001", "Alice")
    assert call.agent_interface == "Local/agent1001@agents/n"
    assert call.hangup_by is HangupBy.CALLER
    assert call.ring_attempts == 1
    assert call.ivr_flow == "main-menu"
    assert call.ivr_inputs == {"account": "4321", "queue": "support"}
    assert [type(e) for e in call.timeline] == [
        CallStarted,
        IvrEntered,
        IvrLeft,
        CallQueued,
        AgentRinging,
        CallConnected,
        CallEnded,
    ]
    assert call.started_at <= call.answered_at <= call.ended_at
    # Asterisk's own figures: queue_log says CONNECT 2 s after ENTERQUEUE, 18 s of talk.
    assert (call.answered_at - call.started_at).total_seconds() >= 2
    assert (call.ended_at - call.answered_at).total_seconds() >= 18


def test_caller_hanging_up_while_agent_rings_is_an_abandon(replayed) -> None:
    result = replayed("ami-02-abandoned-call.txt")
    (call,) = result.calls
    assert call.outcome is Outcome.ABANDONED
    assert call.hangup_by is HangupBy.CALLER
    assert call.agent_interface is None and call.answered_at is None
    assert call.ring_attempts == 1
    (abandoned,) = [e for e in call.timeline if isinstance(e, CallAbandoned)]
    assert (abandoned.queue, abandoned.position, abandoned.original_position, abandoned.wait_seconds) == (
        "support",
        1,
        1,
        10.0,
    )
    # Agent 1002 was ringing; the cancelled attempt puts it back to ready.
    states = [e.state for e in result.events if isinstance(e, AgentStateChanged) and e.name == "Agent 1002"]
    assert states[-2:] == [AgentState.RINGING, AgentState.READY]


def test_ringall_burst_of_ten_calls(replayed) -> None:
    plan = json.loads((TRACES / "ami-09-burst-sales-ringall.plan.json").read_text())
    result = replayed("ami-09-burst-sales-ringall.txt")
    by_number = {c.caller_number: c for c in result.calls}
    assert len(result.calls) == 10 and set(by_number) == {p["number"] for p in plan}
    outcomes = {p["name"]: by_number[p["number"]].outcome for p in plan}
    assert sorted(n for n, o in outcomes.items() if o is Outcome.ABANDONED) == ["Elif", "Gustavo", "Igor"]
    assert sum(o is Outcome.HANDLED for o in outcomes.values()) == 7
    first = by_number[plan[0]["number"]]
    assert first.ring_attempts == 2, "ringall rang both agents for the first caller"
    bruno = by_number[next(p["number"] for p in plan if p["name"] == "Bruno")]
    assert bruno.hangup_by is HangupBy.CALLER
    handled = [c for c in result.calls if c.outcome is Outcome.HANDLED and c is not bruno]
    assert {c.hangup_by for c in handled} == {HangupBy.AGENT}
    for person in plan:
        assert by_number[person["number"]].caller_name == person["name"]
        assert by_number[person["number"]].ivr_inputs["account"] == person["account"]


def test_call_torn_down_by_restart_is_ended_by_the_system(replayed) -> None:
    (call,) = replayed("ami-08-restart.txt").calls
    assert call.outcome is Outcome.HANDLED
    assert call.hangup_by is HangupBy.SYSTEM
    assert call.talk_seconds == 2


def test_reconnect_after_restart_has_no_calls(replayed) -> None:
    result = replayed("ami-08-restart-reconnect.txt")
    assert result.calls == [] and not result.tracker.calls


def test_ivr_only_calls(replayed) -> None:
    result = replayed("ami-11-ivr-only-and-timeouts.txt")
    calls = {c.caller_name: c for c in result.calls}
    assert set(calls) == {"Maya", "Nikolai", "Olga"}
    assert {c.outcome for c in calls.values()} == {Outcome.IVR_ONLY}
    assert all(c.queue is None and c.agent_interface is None for c in calls.values())
    # Maya chose 3 and Nikolai timed out: the IVR hung up. Olga hung up mid-prompt.
    assert calls["Maya"].hangup_by is HangupBy.SYSTEM
    assert calls["Nikolai"].hangup_by is HangupBy.SYSTEM
    assert calls["Olga"].hangup_by is HangupBy.CALLER
    assert calls["Maya"].ivr_inputs == {"queue": "none"}
    assert calls["Olga"].ivr_inputs == {}
    assert all(c.ivr_flow == "main-menu" for c in calls.values())


def test_manager_hangup_of_connected_callers(replayed) -> None:
    result = replayed("ami-05-queue-management.txt")
    calls = {c.caller_name: c for c in result.calls}
    # Both callers were hung up with the AMI Hangup action, one AgentComplete without any channel headers.
    assert calls["Carol"].agent_name == "Agent 1005" and calls["Carol"].talk_seconds == 4
    assert calls["Dave"].agent_name == "Agent 1002" and calls["Dave"].talk_seconds == 2
    assert {c.hangup_by for c in calls.values()} == {HangupBy.SYSTEM}


def agent_states(events, name: str) -> list[tuple[str, str | None]]:
    out = []
    for e in events:
        if getattr(e, "name", None) != name:
            continue
        if isinstance(e, AgentStateChanged):
            out.append((e.state.value, e.reason))
        elif isinstance(e, AgentAdded):
            out.append(("added", e.queue))
        elif isinstance(e, AgentRemoved):
            out.append(("removed", e.queue))
    return out


def test_agent_lifecycle_login_pause_call_wrapup_logoff(replayed) -> None:
    result = replayed("ami-10-agent-login-pause-cycle.txt", wrapup_seconds={"sales": 5, "support": 5})
    assert agent_states(result.events, "Agent 1006") == [
        ("added", "sales"),
        ("ready", None),
        ("paused", "break"),
        ("ready", None),
        ("ringing", None),
        ("on_call", None),
        ("wrap_up", None),
        ("removed", "sales"),
        ("logged_out", None),
    ]
    assert agent_states(result.events, "Agent 1003") == [("ready", None), ("paused", "training"), ("ready", None)]
    (call,) = result.calls
    assert call.wrapup_seconds == 5


def test_agent_states_across_queues(replayed) -> None:
    result = replayed("ami-05-queue-management.txt")
    assert agent_states(result.events, "Agent 1001") == [("ready", None), ("paused", "lunch"), ("ready", None)]
    assert agent_states(result.events, "Agent 1002") == [
        ("ready", None),
        ("paused", "lunch"),
        ("ready", None),
        ("ringing", None),
        ("on_call", None),
        ("ready", None),
    ]
    # Agent 1005 is removed while on a call: on the call until it ends, then logged out.
    assert agent_states(result.events, "Agent 1005") == [
        ("added", "support"),
        ("ready", None),
        ("ringing", None),
        ("on_call", None),
        ("removed", "support"),
        ("logged_out", None),
    ]
    # Agent 1003 paused for lunch in support only still takes sales calls; "meeting" pauses it everywhere.
    assert agent_states(result.events, "Agent 1003") == [
        ("ready", None),
        ("paused", "lunch"),
        ("ready", None),
        ("paused", "meeting"),
        ("ready", None),
    ]


EVERY_CAPTURE = sorted(p.name for p in TRACES.glob("ami-*.txt") if not p.name.endswith(".actions.txt"))


@pytest.mark.parametrize("capture", EVERY_CAPTURE)
def test_every_capture_replays_and_leaves_no_call_open(capture: str, replayed) -> None:
    result = replayed(capture)
    assert not result.tracker.calls
    for call in result.calls:
        assert call.started_at <= call.ended_at
        assert isinstance(call.timeline[-1], CallEnded) and call.timeline[-1].outcome == call.outcome.value


def test_failed_origination_is_a_failed_call_ended_by_the_system(replayed) -> None:
    (call,) = replayed("ami-06-errors.txt").calls
    assert (call.outcome, call.hangup_by, call.caller_number) == (Outcome.FAILED, HangupBy.SYSTEM, None)
