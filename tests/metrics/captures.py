"""Replaying the public captures into live metrics, and reading Asterisk's own queue statistics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from callcenter.calls import CallSummary, CallTracker
from callcenter.calls.clock import CaptureClock
from callcenter.metrics import LiveMetrics
from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage

TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"


def messages(name: str) -> list[AmiMessage]:
    return AmiDecoder().feed((TRACES / name).read_bytes())


class Counts(Protocol):
    """Live metrics, or anything that takes their input (the app's ``Supervision``)."""

    def apply(self, item: Any) -> bool: ...


def replay_into(
    live: LiveMetrics | Counts,
    name: str,
    *,
    tracker: CallTracker | None = None,
    until: Callable[[AmiMessage], bool] | None = None,
    finished: list[CallSummary] | None = None,
) -> datetime | None:
    """Feed a capture through a tracker into ``live`` (summaries after the events that closed them).

    Stops before the first message ``until`` accepts; returns the capture time reached. The finished
    calls are also appended to ``finished`` when given.
    """
    tracker = tracker or CallTracker("lab")
    clock = CaptureClock()
    at = None
    for msg in messages(name):
        if until is not None and until(msg):
            break
        at = clock.observe(msg)
        for event in tracker.feed(msg, at):
            live.apply(event)
        for summary in tracker.pop_finished():
            live.apply(summary)
            if finished is not None:
                finished.append(summary)
    return datetime.fromtimestamp(tracker.now, UTC) if tracker.now else None


def queue_params(name: str) -> list[dict[str, str]]:
    """Every QueueParams event of a capture, in order, as a dict."""
    return [dict(m.headers) for m in messages(name) if m.kind == "event" and m.name == "QueueParams"]


def queue_log_lines(name: str) -> list[list[str]]:
    return [line.split("|") for line in (TRACES / name).read_text().splitlines()]
