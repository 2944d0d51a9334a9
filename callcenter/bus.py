"""In-process event bus: the parts publish typed domain events, subscribers consume them.

Publishers (the call tracker, the recorder, agent actions) call :meth:`EventBus.publish`, which never
blocks and never awaits: the event is appended to the queue of every subscriber whose ``types``
match. Each subscriber has its own worker task that hands the events to its handler one at a time,
in publish order, so the events of one publisher reach every subscriber in the order they were
published.

A subscriber's queue is bounded (``queue_size``). When it is full, new events for that subscriber are
dropped, never the publisher slowed: the drop is counted, logged once per overflow episode, and the
subscriber receives an :class:`EventsDropped` marker (with the number dropped) at the place of the gap,
so it knows it must resynchronise (reload state, send snapshots) instead of losing events silently.

A handler that raises is logged with the subscriber's name and the event type; the subscriber goes on
with the next event and the other subscribers never notice.

    bus = EventBus()
    bus.subscribe("realtime", on_call_event, types=(CallEvent,))
    await bus.start()
    bus.publish(CallStarted(...))
    await bus.stop()
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class EventsDropped:
    """Stands where a subscriber's full queue made it miss ``count`` events."""

    count: int


class Subscription:
    """One subscriber: a bounded queue drained by its own worker task."""

    def __init__(self, name: str, handler: Handler, types: tuple[type, ...] | None, queue_size: int) -> None:
        self.name = name
        self.types = types
        self.queue_size = queue_size
        self.dropped = 0
        self._handler = handler
        self._queue: deque[Any] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def wants(self, event: object) -> bool:
        return self.types is None or isinstance(event, self.types)

    def offer(self, event: object) -> None:
        """Queue ``event``, or count it as dropped behind an :class:`EventsDropped` marker when full."""
        queue = self._queue
        if len(queue) >= self.queue_size:
            self.dropped += 1
            tail = queue[-1] if queue else None
            if isinstance(tail, EventsDropped):
                queue[-1] = EventsDropped(tail.count + 1)
            else:
                # The marker may overshoot the bound by one entry: it is what makes the loss visible.
                log.warning("event bus: subscriber %s is %d events behind; dropping", self.name, len(queue))
                queue.append(EventsDropped(1))
        else:
            queue.append(event)
        self._idle.clear()
        self._wake.set()

    @property
    def backlog(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"bus:{self.name}")

    def cancel(self) -> None:
        """Stop the worker now, leaving queued events unhandled."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def stop(self, grace: float) -> None:
        """Let the worker drain the queue for up to ``grace`` seconds, then cancel it."""
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            log.warning("event bus: subscriber %s stopped with %d events unhandled", self.name, len(self._queue))
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _run(self) -> None:
        queue = self._queue
        while True:
            while not queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
            event = queue.popleft()
            try:
                await self._handler(event)
            except Exception:
                log.exception("event bus: subscriber %s failed on %s", self.name, type(event).__name__)


class EventBus:
    """Fan-out of domain events to subscribers, each with its own bounded, ordered queue."""

    def __init__(self, *, queue_size: int = 10_000) -> None:
        self.queue_size = queue_size
        self._subscriptions: list[Subscription] = []
        self._running = False

    def subscribe(
        self,
        name: str,
        handler: Handler,
        *,
        types: tuple[type, ...] | None = None,
        queue_size: int | None = None,
    ) -> Subscription:
        """Call ``handler`` for each published event that is an instance of one of ``types`` (all when None)."""
        subscription = Subscription(name, handler, types, queue_size or self.queue_size)
        self._subscriptions.append(subscription)
        if self._running:
            subscription.start()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription`` and stop its worker."""
        self._subscriptions.remove(subscription)
        subscription.cancel()

    def publish(self, event: object) -> None:
        """Queue ``event`` for every interested subscriber; never blocks."""
        for subscription in self._subscriptions:
            if subscription.wants(event):
                subscription.offer(event)

    async def start(self) -> None:
        """Start the subscribers' workers (events published before are kept and delivered)."""
        self._running = True
        for subscription in self._subscriptions:
            subscription.start()

    async def stop(self, *, drain_timeout: float = 5.0) -> None:
        """Give the subscribers up to ``drain_timeout`` seconds to finish their queues, then stop them."""
        self._running = False
        await asyncio.gather(*(s.stop(drain_timeout) for s in self._subscriptions))
