"""Simulated time: real time for real runs, an accelerated clock for tests and load runs.

Everything in the simulator (ring times, talk times, Uniqueid epochs, queue_log stamps) reads the
clock it was given, so a test can run an hour of traffic in seconds while every timestamp and
duration the simulator reports stays consistent in simulated seconds.
"""

from __future__ import annotations

import asyncio
import time


class Clock:
    """Wall clock: one simulated second is one real second."""

    speed: float = 1.0

    def __init__(self, *, start: float | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self._real0 = time.monotonic()
        self._sim0 = time.time() if start is None else start

    def now(self) -> float:
        """Current simulated epoch time in seconds."""
        return self._sim0 + (time.monotonic() - self._real0) * self.speed

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of simulated time."""
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    def real_seconds(self, seconds: float) -> float:
        """How many real seconds `seconds` of simulated time take."""
        return seconds / self.speed


def accelerated(speed: float, *, start: float | None = None) -> Clock:
    """A clock that runs `speed` times faster than real time."""
    return Clock(start=start, speed=speed)
