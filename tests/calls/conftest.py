"""Replaying the real Asterisk captures, and reading Asterisk's own queue_log as the expected result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from callcenter.calls import CallSummary, CallTracker
from callcenter.calls.events import TrackerEvent
from callcenter.calls.replay import replay
from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage

TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"


@dataclass
class Replayed:
    tracker: CallTracker
    events: list[TrackerEvent]
    calls: list[CallSummary]


@dataclass
class QueueLogCall:
    """One caller as Asterisk's queue_log tells it (whole seconds)."""

    callid: str
    queue: str
    caller: str
    agent: str | None = None
    outcome: str | None = None
    wait: int | None = None
    talk: int | None = None
    ended_by: str | None = None


def read_messages(name: str) -> list[AmiMessage]:
    return AmiDecoder().feed((TRACES / name).read_bytes())


def read_queue_log(name: str) -> dict[str, QueueLogCall]:
    """The callers of a queue_log, computed by hand from the documented line formats."""
    calls: dict[str, QueueLogCall] = {}
    for line in (TRACES / name).read_text().splitlines():
        _, callid, queue, agent, event, *data = line.split("|")
        if callid in ("NONE", "MANAGER"):
            continue
        if event == "ENTERQUEUE":
            calls[callid] = QueueLogCall(callid, queue, data[1])
            continue
        call = calls[callid]
        if event == "CONNECT":
            call.outcome, call.agent, call.wait = "handled", agent, int(data[0])
        elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
            call.talk = int(data[1])
            call.ended_by = "caller" if event == "COMPLETECALLER" else "agent"
        elif event == "ABANDON":
            call.outcome, call.wait = "abandoned", int(data[2])
        elif event == "EXITWITHTIMEOUT":
            call.outcome, call.wait = "timeout", int(data[2])
    return calls


@pytest.fixture
def replayed() -> Callable[..., Replayed]:
    def run(name: str, **options: object) -> Replayed:
        tracker = CallTracker("lab", **options)  # type: ignore[arg-type]
        events = replay(read_messages(name), tracker)
        return Replayed(tracker, events, tracker.pop_finished())

    return run


@pytest.fixture
def queue_log() -> Callable[[str], dict[str, QueueLogCall]]:
    return read_queue_log
