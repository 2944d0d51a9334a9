"""Channel names, legs and the message shape the tracker reads.

A *leg* is one party's connection to the PBX. A Local channel comes as two halves
``Local/x@ctx-0000000a;1`` and ``;2`` that are one leg: ``;1`` faces the PBX (it is the
one in Queue*/Agent* events), ``;2`` is the far end that plays the party.
"""

from __future__ import annotations

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
    """An integer header, or ``default`` when absent or malformed."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def as_float(value: str | None, default: float = 0.0) -> float:
    """A numeric header, or ``default`` when absent or malformed."""
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default
