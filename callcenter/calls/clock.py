"""When did an event of a recorded AMI capture happen?

A raw capture holds the bytes, not when they arrived, and Asterisk stamps events only
with ``timestampevents=yes``. Yet many events carry epochs of their own: a channel's
Uniqueid starts with its creation second, member events carry LastCall/LastPause/
LoginTime, security events an ``EventTV``. Each is a moment at or before the event, so the
running maximum is a lower-bound estimate of the event's time (the tracker refines it
with Asterisk's own HoldTime/TalkTime). Replaying live traffic with receive times needs
none of this.
"""

from __future__ import annotations

from datetime import datetime

from callcenter.calls.legs import AmiEventLike, as_float, as_int

_MEMBER_EPOCHS = ("LastCall", "LastPause", "LoginTime")
# Events the clock reads besides the ones the tracker reads (it needs them when decoding filters).
CLOCK_EVENTS = frozenset({"FullyBooted", "SuccessfulAuth"})


def _uniqueid_epoch(uniqueid: str | None) -> float | None:
    if not uniqueid:
        return None
    head = uniqueid.split(".", 1)[0]
    return float(head) if head.isdigit() and len(head) <= 11 else None


def _event_tv(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return None


class CaptureClock:
    """Running lower-bound estimate of capture time; also derives the Asterisk boot id."""

    def __init__(self) -> None:
        self.now: float | None = None
        self.boot: str | None = None
        self._uptime: int | None = None

    def observe(self, msg: AmiEventLike) -> float | None:
        """Advance the clock by the epochs ``msg`` carries; return the current estimate."""
        name = msg.name
        candidates: list[float | None] = [as_float(msg.get("Timestamp"), 0.0) or None]
        if name == "Newchannel":
            candidates.append(_uniqueid_epoch(msg.get("Uniqueid")))
        elif name.startswith("QueueMember"):
            candidates.extend(float(as_int(msg.get(h))) or None for h in _MEMBER_EPOCHS)
        else:
            candidates.append(_event_tv(msg.get("EventTV")))
        if name == "FullyBooted":
            self._uptime = as_int(msg.get("Uptime"))
        for value in candidates:
            if value is not None and (self.now is None or value > self.now):
                self.now = value
        if self.boot is None and self._uptime is not None and self.now is not None:
            # The Asterisk start second identifies the boot; Uniqueid counters restart with it.
            self.boot = str(int(self.now - self._uptime))
        return self.now
