"""The port through which the IVR engine talks to one call.

The same flow runs over FastAGI in production (an adapter maps each method to an AGI command)
and over a scripted caller in simulation. Every method raises :class:`CallerHungUp` once the
caller is gone, so the engine can end the session cleanly wherever it is.
"""

from __future__ import annotations

from typing import Literal, Protocol

SayKind = Literal["digits", "number", "alpha", "date", "time", "datetime"]


class CallerHungUp(Exception):
    """Raised by any port method once the caller is gone."""


class CallPort(Protocol):
    """One live call as the IVR engine sees it."""

    caller_number: str
    """E.164 or as Asterisk gave it."""
    caller_name: str | None
    channel: str | None
    """Asterisk channel name (None in simulation)."""
    linkedid: str | None
    """Ties the IVR session to the AMI call (None in simulation)."""

    async def play(self, prompt: str, interrupt_digits: str = "") -> str | None:
        """Play a sound; return the key that interrupted it, or None."""
        ...

    async def collect(self, prompt: str, *, max_digits: int, timeout_s: float) -> str | None:
        """Play a prompt and read digits: the digits typed ("" when nothing), None on timeout with no digit."""
        ...

    async def wait_digit(self, timeout_s: float) -> str | None:
        """Wait for one key; None when none came in time."""
        ...

    async def say(self, kind: SayKind, value: str) -> None:
        """Speak a value with Asterisk's built-in sayings."""
        ...

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable."""
        ...

    async def get_variable(self, name: str) -> str | None:
        """Read a channel variable; None when unset."""
        ...

    async def run_application(self, app: str, args: str = "") -> str:
        """Run an Asterisk application (only those on the allow-list); return its result."""
        ...

    async def hangup(self) -> None:
        """Hang the call up."""
        ...
