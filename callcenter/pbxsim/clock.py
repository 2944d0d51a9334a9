"""Simulated time: real time for real runs, accelerated or virtual time for tests and load runs.

Everything in the simulator (ring times, talk times, Uniqueid epochs, queue_log stamps, every wait)
goes through the clock it was given, so a test can run an hour of traffic in seconds while every
timestamp and duration the simulator reports stays consistent in simulated seconds.

* `Clock(speed=1)`: wall-clock time (optionally `speed` times faster).
* `VirtualClock()`: time stands still while anything in the event loop has work to do and jumps to
  the next timer when the loop is idle. Runs are as fast as the CPU allows and do not depend on how
  busy the machine is; all parties must run in the same event loop (a client in another thread or
  process sees simulated time race ahead while it is not talking).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable


class Clock:
    """Wall clock: one simulated second is `1 / speed` real seconds."""

    def __init__(self, *, start: float | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self._real0 = time.monotonic()
        self._sim0 = time.time() if start is None else start

    def now(self) -> float:
        """Current simulated epoch time in seconds."""
        return self._sim0 + (time.monotonic() - self._real0) * self.speed

    def timer(self, seconds: float) -> asyncio.Future[None]:
        """A future that completes `seconds` of simulated time from now (cancel it to drop it)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(max(seconds, 0.0) / self.speed, _resolve, future)
        future.add_done_callback(lambda _: handle.cancel())
        return future

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of simulated time."""
        await self.timer(seconds)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> asyncio.Future[None]:
        """Run `callback` after `seconds` of simulated time; cancel the returned future to drop it."""
        future = self.timer(seconds)
        future.add_done_callback(lambda f: None if f.cancelled() else callback())
        return future

    async def first(self, awaitables: set[Awaitable[object]], within: float | None) -> bool:
        """Wait until one of `awaitables` is done (True) or `within` simulated seconds pass (False)."""
        waiters = {asyncio.ensure_future(a) for a in awaitables}
        timer = self.timer(within) if within is not None else None
        try:
            done, _ = await asyncio.wait(
                waiters | ({timer} if timer is not None else set()), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            if timer is not None:
                timer.cancel()
        return bool(done & waiters)


class VirtualClock(Clock):
    """Discrete-event time: jumps to the next timer whenever the event loop has nothing else to run."""

    def __init__(self, *, start: float | None = None) -> None:
        super().__init__(start=start)
        self.speed = float("inf")
        self._now = self._sim0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None

    def now(self) -> float:
        """Current simulated time."""
        return self._now

    def timer(self, seconds: float) -> asyncio.Future[None]:
        """A future completed when simulated time reaches now + `seconds`."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._timers, (self._now + max(seconds, 0.0), next(self._order), future))
        if self._driver is None or self._driver.done():
            self._driver = loop.create_task(self._drive(), name="virtual clock")
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)
        return future

    async def _drive(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not await _loop_idle(loop):
                continue
            while self._timers and self._timers[0][2].done():
                heapq.heappop(self._timers)
            if not self._timers:
                self._wakeup = loop.create_future()
                await self._wakeup
                continue
            when, _, future = heapq.heappop(self._timers)
            self._now = max(self._now, when)
            future.set_result(None)


async def _loop_idle(loop: asyncio.AbstractEventLoop) -> bool:
    """True when, over two loop iterations, nothing but this coroutine was ready to run.

    Socket data already sent on loopback is seen by the next select, and its callbacks are queued
    behind ours, so an idle loop means no I/O is in flight between tasks of this loop either.
    """
    for _ in range(2):
        await asyncio.sleep(0)
        ready = getattr(loop, "_ready", None)
        if ready is None:  # an event loop without the ready queue (uvloop): give I/O a real moment
            await asyncio.sleep(0.001)
            return True
        if ready:
            return False
    return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def accelerated(speed: float, *, start: float | None = None) -> Clock:
    """A clock that runs `speed` times faster than real time."""
    return Clock(start=start, speed=speed)
