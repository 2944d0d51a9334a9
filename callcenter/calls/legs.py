"""Channel names, legs and the message shape the tracker reads.

A *leg* is one party's connection to the PBX. A Local channel comes as two halves
``Local/x@ctx-0000000a;1`` and ``;2`` that are one leg: ``;1`` faces the PBX (it is the
one in Queue*/Agent* events), ``;2`` is the far end that plays the party.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Protocol


class AmiEventLike(Protocol):
    """What the tracker needs from an AMI message (the codec's ``AmiMessage`` fits)."""

    kind: str
    name: str
    server: str | None

    def get(self, key: str, default: str | None = None) -> str | None: ...

    def get_all(self, key: str) -> list[str]: ...


def leg_of(channel: str) -> str:
    """The leg a channel belongs to: both halves of a Local channel map to one name."""
    if channel.startswith("Local/") and channel[-2:] in (";1", ";2"):
        return channel[:-2]
    return channel


def device_of(channel: str) -> str:
    """The device a channel runs on: ``Local/agent1001@agents-0000000a;1`` -> ``Local/agent1001@agents``.

    Asterisk names a channel ``<technology>/<resource>-<8 hex digits>``; without the suffix it is the
    device, which is how a queue member or a user's phone is written.
    """
    return _CHANNEL_SUFFIX.sub("", leg_of(channel))


def is_far_half(channel: str) -> bool:
    """True for the ``;2`` half of a Local channel: the side that plays the remote party."""
    return channel.startswith("Local/") and channel.endswith(";2")


def member_key(interface: str) -> str:
    """Queue member interface without the Local ``/n`` (no-optimisation) flag, for user matching."""
    if interface.startswith("Local/") and interface.endswith("/n"):
        return interface[:-2]
    return interface


def known(value: str | None) -> str | None:
    """Asterisk writes ``<unknown>`` (or nothing) for an absent caller id; map both to None."""
    if not value or value == "<unknown>":
        return None
    return value


def to_datetime(epoch: float) -> datetime:
    """Epoch seconds as a timezone-aware UTC datetime."""
    return datetime.fromtimestamp(epoch, UTC)


def as_int(value: str | None, default: int = 0) -> int:
    """An integer header, or ``default`` when absent, malformed or beyond any epoch."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if abs(number) <= MAX_EPOCH else default


_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}$")
# No epoch or duration Asterisk writes comes near these; larger values are damage, not data.
MAX_EPOCH = 1e11
MAX_DURATION = 1e7


def as_float(value: str | None, default: float = 0.0, *, limit: float = MAX_EPOCH) -> float:
    """A numeric header, or ``default`` when absent, malformed, not finite or beyond ``limit``."""
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        return default
    return number if math.isfinite(number) and abs(number) <= limit else default


def as_seconds(value: str | None) -> float:
    """A duration header (HoldTime, TalkTime ...) in its own unit; 0 when absent or damaged."""
    return max(0.0, as_float(value, 0.0, limit=MAX_DURATION))
