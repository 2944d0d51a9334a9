"""Which boot of an Asterisk server a connection talks to.

Asterisk restarts its Uniqueid counters (and Local channel suffixes) at every boot, so ids are unique
only per boot: consumers key calls by server + boot + Linkedid. A boot is recognised from what AMI
says after login: ``FullyBooted`` carries the seconds since start (``Uptime``), and a ``Shutdown``
event before a disconnect announces a restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from callcenter.telephony.ami.message import AmiMessage

# Uptime is reported in whole seconds: two estimates of a boot's start this close are the same boot.
_SAME_BOOT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class AmiBoot:
    """One boot of an Asterisk server as seen by one client."""

    number: int  # 1 for the first boot seen, +1 after every restart
    started_at: float | None  # epoch seconds, estimated from FullyBooted's Uptime (None if never seen)


class BootTracker:
    """Numbers the boots of one server across reconnections."""

    def __init__(self) -> None:
        self.current: AmiBoot | None = None
        self.shutdown_seen = False

    def settle(self, fully_booted: AmiMessage | None) -> AmiBoot:
        """After a login: the same boot as before, or the next one (FullyBooted, or None if it never came)."""
        started_at: float | None = None
        if fully_booted is not None:
            try:
                started_at = time.time() - float(fully_booted.get("Uptime") or 0)
            except ValueError:
                started_at = None
        previous = self.current
        if previous is None:
            self.current = AmiBoot(1, started_at)
        elif self.shutdown_seen or (
            started_at is not None
            and previous.started_at is not None
            and abs(started_at - previous.started_at) > _SAME_BOOT_SECONDS
        ):
            self.current = AmiBoot(previous.number + 1, started_at)
        elif previous.started_at is None and started_at is not None:
            self.current = AmiBoot(previous.number, started_at)
        self.shutdown_seen = False
        return self.current
