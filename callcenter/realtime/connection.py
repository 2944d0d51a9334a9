"""One websocket client of the hub: its bounded send queue, its writer task and how it is closed.

Messages are shared ``str`` objects (serialised once per publish), so a queued message costs a
pointer per connection. The queue is bounded by a count: a client that falls ``send_queue_limit``
messages behind is closed with :data:`CLOSE_TOO_SLOW` instead of slowing the others or growing memory.
The replay a resuming client is owed (at most the replay buffer) does not count against that bound.

Fast path: when the client is keeping up (nothing queued, the writer task parked), a message is written
at once from the publisher's call instead of waking the writer task: the ASGI send coroutine is
stepped by hand and, in the usual case, finishes without suspending (the transport takes the frame).
If it suspends (the transport is paused by flow control), the writer task finishes it before anything
queued after it. A broadcast to clients that keep up thus costs no task switch per client.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine, Generator
from typing import Any

from starlette.websockets import WebSocket

log = logging.getLogger(__name__)

# Close codes the server uses (4000-4999 are the application's range).
CLOSE_GOING_AWAY = 1001  # the service is shutting down; reconnect with your last seq
CLOSE_INTERNAL = 1011  # the history or the snapshot could not be read; reconnect later
CLOSE_HEARTBEAT = 4002  # no pong (or any frame) within the heartbeat timeout
CLOSE_TOO_SLOW = 4008  # the client did not read fast enough; its send queue filled up
CLOSE_RESYNC = 4009  # this instance missed messages it can no longer replay; reconnect with your last seq


class _SuspendedSend:
    """A send stepped by hand that suspended; awaiting this finishes it inside the writer task."""

    __slots__ = ("coro", "pending")

    def __init__(self, coro: Coroutine[Any, Any, None], pending: Any) -> None:
        self.coro = coro
        self.pending = pending

    def __await__(self) -> Generator[Any, None, None]:
        coro, pending = self.coro, self.pending
        while True:
            try:
                yield pending
            except BaseException as exc:  # cancellation reaches the send where it waits
                try:
                    pending = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    pending = coro.send(None)
                except StopIteration:
                    return


class Connection:
    """A signed-in websocket joined to one stream."""

    def __init__(self, websocket: WebSocket, *, stream: str, user_id: int, send_queue_limit: int) -> None:
        self.websocket = websocket
        self.stream = stream
        self.user_id = user_id
        self.send_queue_limit = send_queue_limit
        # The last seq queued for this client; anything at or below it is a duplicate.
        self.floor = -1
        # While resuming, live messages wait here until the replay or snapshot is queued.
        self.held: list[tuple[int, str]] | None = []
        self.last_seen = asyncio.get_running_loop().time()
        self.close_code: int | None = None
        self.done = asyncio.Event()
        self._queue: deque[str] = deque()
        # Replayed messages still queued; they are owed to the client and do not count as falling behind.
        self._replay_owed = 0
        # The writer's wake-up, a bare future rather than an Event: it is set once per message per client.
        self._waiting: asyncio.Future[None] | None = None
        self._suspended: _SuspendedSend | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None

    @property
    def closing(self) -> bool:
        return self.close_code is not None

    def offer(self, seq: int, text: str) -> bool:
        """Queue a stream message unless already sent; False when the client is too far behind."""
        if seq <= self.floor:
            return True
        if self.held is not None:
            if len(self.held) >= self.send_queue_limit:
                return False
            self.held.append((seq, text))
            return True
        if not self.push(text):
            return False
        self.floor = seq
        return True

    def push(self, text: str) -> bool:
        """Send or queue any message (control messages too); False when the queue is full."""
        if self.close_code is not None:
            return True
        queue = self._queue
        if not queue and self._writer_parked():
            self._send_now(text)
            return True
        if len(queue) >= self.send_queue_limit + self._replay_owed:
            return False
        queue.append(text)
        self._wake()
        return True

    def _writer_parked(self) -> bool:
        waiting = self._waiting
        return waiting is not None and not waiting.done() and self._suspended is None

    def _send_now(self, text: str) -> None:
        coro = self.websocket.send({"type": "websocket.send", "text": text})
        try:
            pending = coro.send(None)
        except StopIteration:
            return
        except Exception as exc:  # the peer is gone; the reader sees the disconnect too
            log.debug("websocket send to %s failed: %r", self.stream, exc)
            self.done.set()
            return
        self._suspended = _SuspendedSend(coro, pending)
        self._wake()

    def replay(self, missed: list[str]) -> None:
        """Queue the messages a resuming client missed, outside the send queue bound."""
        self._queue.extend(missed)
        self._replay_owed += len(missed)
        self._wake()

    def _wake(self) -> None:
        waiting = self._waiting
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    def release(self, floor: int) -> bool:
        """End the resume: the replay or snapshot is queued up to ``floor``; queue the held live messages."""
        self.floor = max(self.floor, floor)
        held, self.held = self.held or [], None
        return all(self.offer(seq, text) for seq, text in held)

    def start_writer(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        queue, send, loop = self._queue, self.websocket.send, asyncio.get_running_loop()
        try:
            while True:
                while not queue and self._suspended is None:
                    self._waiting = loop.create_future()
                    await self._waiting
                if self._suspended is not None:
                    await self._suspended
                    self._suspended = None
                    continue
                await send({"type": "websocket.send", "text": queue.popleft()})
                if self._replay_owed:
                    self._replay_owed -= 1
        except Exception as exc:  # the peer went away mid-send; the reader sees the disconnect too
            log.debug("websocket writer for %s ended: %r", self.stream, exc)
            self.done.set()

    def close(self, code: int, reason: str, *, timeout: float) -> None:
        """Stop sending, drop what is queued and close with ``code``; give up after ``timeout`` seconds."""
        if self.close_code is not None:
            return
        self.close_code = code
        self._queue.clear()
        if self._writer is not None:
            self._writer.cancel()
        self._closer = asyncio.get_running_loop().create_task(self._close(code, reason, timeout))

    async def _close(self, code: int, reason: str, grace: float) -> None:
        try:
            # A client that stopped reading leaves the transport paused, so the close frame may never go out.
            await asyncio.wait_for(self.websocket.close(code, reason), grace)
        except Exception as exc:
            log.debug("closing websocket of %s: %r", self.stream, exc)
        finally:
            self.done.set()

    async def finish(self) -> None:
        """Cancel this connection's tasks (the endpoint is returning)."""
        tasks = [t for t in (self._writer, self._closer) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._suspended is not None:
            self._suspended.coro.close()
            self._suspended = None
