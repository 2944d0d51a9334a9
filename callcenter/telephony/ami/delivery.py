"""Events handed to one consumer, in order, through a bounded backlog.

The connection puts events in; a task of its own awaits the consumer for each one. When the backlog
reaches its limit the connection stops reading the socket (the client decides, see ``AmiClient``);
once the consumer has brought it down to half, ``on_low_water`` lets reading resume. Memory is so
bounded by the limit plus one socket read, and no event is dropped.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Awaitable, Callable

import structlog

from callcenter.telephony.ami.message import AmiMessage

log = structlog.get_logger(__name__)

EventConsumer = Callable[[AmiMessage], Awaitable[None] | None]

_YIELD_EVERY = 200


class EventDelivery:
    """A bounded backlog drained into ``consumer`` (sync or async) by ``run``."""

    def __init__(self, server: str, consumer: EventConsumer, *, limit: int, on_low_water: Callable[[], None]) -> None:
        self.server = server
        self.limit = limit
        self.low_water = limit // 2
        self.notify_low_water = False  # set by whoever paused reading; cleared when notified
        self._consumer = consumer
        self._on_low_water = on_low_water
        self._backlog: deque[AmiMessage] = deque()
        self._ready = asyncio.Event()
        self._drained = asyncio.Event()  # set while every event put in has been consumed
        self._drained.set()

    def __len__(self) -> int:
        return len(self._backlog)

    @property
    def full(self) -> bool:
        """True once the backlog holds ``limit`` events."""
        return len(self._backlog) >= self.limit

    def put(self, events: list[AmiMessage]) -> None:
        """Queue events (never refuses: reading is paused before the backlog grows past one read)."""
        self._backlog.extend(events)
        self._ready.set()
        self._drained.clear()

    async def wait_drained(self) -> None:
        """Wait until the consumer has handled every queued event."""
        await self._drained.wait()

    async def run(self) -> None:
        """Hand events to the consumer one at a time, in order; a failing consumer is logged, not fatal."""
        backlog = self._backlog
        consumer = self._consumer
        since_yield = 0
        while True:
            if not backlog:
                self._drained.set()
                self._ready.clear()
                await self._ready.wait()
                continue
            event = backlog.popleft()
            if self.notify_low_water and len(backlog) <= self.low_water:
                self.notify_low_water = False
                self._on_low_water()
            try:
                result = consumer(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("ami event consumer failed", server=self.server, ami_event=event.name)
            since_yield += 1
            if since_yield >= _YIELD_EVERY:
                # A consumer that never suspends would hold the loop for the whole backlog: let reads,
                # timers and other tasks run between batches.
                since_yield = 0
                await asyncio.sleep(0)
