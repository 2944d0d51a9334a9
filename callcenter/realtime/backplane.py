"""Backplanes: who numbers a stream's messages, keeps its replay buffer and delivers it to the hubs.

The hub owns connections; the backplane owns sequence numbers and history. ``publish`` assigns the
next seq of the stream, stores the message in the stream's bounded replay buffer and delivers it to
``deliver(stream, seq, text)`` of every hub sharing the backplane (in seq order per stream).
``history`` answers what a resuming client missed.

- :class:`InProcessBackplane` (default): one instance, counters and buffers in memory, delivery is a
  plain synchronous call.
- :class:`callcenter.realtime.redis_backplane.RedisBackplane` (``CALLCENTER_BACKPLANE=redis://...``):
  seq, buffer and fan-out live in Redis so every instance numbers and replays a stream the same way.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from callcenter.realtime.wire import seq_origin, with_seq

Deliver = Callable[[str, int, str], None]


@dataclass(frozen=True, slots=True)
class History:
    """The stream's last seq and the messages after the asked one, or ``missed=None`` beyond the buffer."""

    last_seq: int
    missed: list[str] | None


class Backplane(Protocol):
    async def start(self, deliver: Deliver, on_resync: Callable[[], None]) -> None:
        """Begin delivering messages; ``on_resync`` is called after live delivery had a gap (reconnect)."""

    async def stop(self) -> None: ...

    async def publish(self, stream: str, tail: str) -> int:
        """Number, store and deliver one message (its text after the seq); answer its seq."""

    async def history(self, stream: str, after: int | None) -> History:
        """Messages of ``stream`` with seq > ``after`` (None: just the last seq, ``missed=None``)."""


class _Buffer:
    __slots__ = ("last", "messages", "times")

    def __init__(self, size: int) -> None:
        self.last = seq_origin()
        self.messages: deque[str] = deque(maxlen=size)
        self.times: deque[float] = deque(maxlen=size)

    def forget_before(self, moment: float) -> None:
        while self.times and self.times[0] < moment:
            self.times.popleft()
            self.messages.popleft()


class InProcessBackplane:
    """Counters and replay buffers in this process; delivery is a direct call.

    A buffer keeps a stream's last ``buffer_size`` messages, and none older than ``max_age`` seconds,
    so the buffers of quiet streams (an agent gone home) do not hold memory all day.
    """

    def __init__(self, *, buffer_size: int, max_age: float) -> None:
        self.buffer_size = buffer_size
        self.max_age = max_age
        self._buffers: dict[str, _Buffer] = {}
        self._deliver: Deliver | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, deliver: Deliver, on_resync: Callable[[], None]) -> None:
        self._deliver = deliver
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def stop(self) -> None:
        self._deliver = None
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self.max_age / 4))
            moment = time.monotonic() - self.max_age
            for buffer in self._buffers.values():
                buffer.forget_before(moment)

    def _buffer(self, stream: str) -> _Buffer:
        buffer = self._buffers.get(stream)
        if buffer is None:
            buffer = self._buffers[stream] = _Buffer(self.buffer_size)
        return buffer

    async def publish(self, stream: str, tail: str) -> int:
        buffer = self._buffer(stream)
        buffer.last += 1
        text = with_seq(buffer.last, tail)
        buffer.messages.append(text)
        buffer.times.append(time.monotonic())
        if self._deliver is not None:
            self._deliver(stream, buffer.last, text)
        return buffer.last

    async def history(self, stream: str, after: int | None) -> History:
        buffer = self._buffer(stream)
        if after is None:
            return History(buffer.last, None)
        buffer.forget_before(time.monotonic() - self.max_age)
        missing = buffer.last - after
        if missing < 0 or missing > len(buffer.messages):
            return History(buffer.last, None)
        if missing == 0:
            return History(buffer.last, [])
        return History(buffer.last, list(itertools.islice(buffer.messages, len(buffer.messages) - missing, None)))
