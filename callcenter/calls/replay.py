"""Run recorded AMI traffic through a tracker, with times estimated from the capture itself."""

from __future__ import annotations

from collections.abc import Iterable

from callcenter.calls.clock import CaptureClock
from callcenter.calls.events import TrackerEvent
from callcenter.calls.legs import AmiEventLike
from callcenter.calls.tracker import CallTracker


def replay(messages: Iterable[AmiEventLike], tracker: CallTracker, *, derive_boot: bool = True) -> list[TrackerEvent]:
    """Feed ``messages`` in order; return every event emitted.

    With ``derive_boot`` the tracker's boot becomes the Asterisk start second read from
    FullyBooted's Uptime, so replaying the same bytes always gives the same call keys.
    """
    clock = CaptureClock()
    events: list[TrackerEvent] = []
    for msg in messages:
        at = clock.observe(msg)
        if derive_boot and clock.boot is not None:
            tracker.boot = clock.boot
            derive_boot = False
        events.extend(tracker.feed(msg, at))
    return events
