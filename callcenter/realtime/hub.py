"""The hub: routes stream messages to the websocket connections joined to each stream.

Streams
    ``agent:<user id>``: one user's own calls and state; only that user's connections join it, so an
    agent never receives another agent's call. ``supervisors``: queue and agent updates for the
    supervisors' and admins' wallboards.

Publishing (for the call tracker bridge, screen-pop, agent actions, live metrics)
    ``seq = await hub.publish(stream, type, data)``: ``data`` is anything JSON-ready; it is serialised
    once and the same text goes to every connection of the stream on every instance. Messages of one
    stream are numbered ``seq`` N+1, N+2, ... by the backplane and delivered in that order.

Snapshot providers
    ``hub.register_snapshot("agent" | "supervisors", provider)`` with
    ``async def provider(stream: str) -> JSON-ready``: the whole current state a client of ``stream``
    needs to draw its page (for ``agent:7``: agent 7's state and current call; for ``supervisors``:
    queues and agents). It is called when a client joins without a seq, or with one older than the
    replay buffer; the client then gets ``{"type":"snapshot","seq":S,...}`` where S was the stream's
    last seq when the provider was called, followed by the live messages after S. A live message
    after S may repeat a change the snapshot already shows, so messages should carry the new state of
    the thing they describe (not a delta). It must answer promptly; an exception closes the client
    with 1011 (it retries). Without a provider for the kind, the snapshot's ``data`` is null.

Connection lifecycle (the websocket endpoint does this)
    ``await hub.serve(connection, since)`` joins the stream, queues the replay or snapshot, then
    reads the client's frames (``pong``) until it leaves, and detaches it. Slow clients, silent
    clients (heartbeat) and service shutdown end it with the close codes of
    :mod:`callcenter.realtime.connection`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from callcenter.realtime.backplane import Backplane
from callcenter.realtime.connection import (
    CLOSE_GOING_AWAY,
    CLOSE_HEARTBEAT,
    CLOSE_INTERNAL,
    CLOSE_RESYNC,
    CLOSE_TOO_SLOW,
    Connection,
)
from callcenter.realtime.wire import control, dumps, message_tail, seq_of, stream_kind

log = logging.getLogger(__name__)

SnapshotProvider = Callable[[str], Awaitable[Any]]


class Hub:
    """Connections by stream, fed by a backplane; see the module docstring for the contract."""

    def __init__(
        self,
        backplane: Backplane,
        *,
        send_queue_limit: int = 512,
        heartbeat_interval: float = 20.0,
        heartbeat_timeout: float = 45.0,
        close_timeout: float = 5.0,
    ) -> None:
        self.backplane = backplane
        self.send_queue_limit = send_queue_limit
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.close_timeout = close_timeout
        self._streams: dict[str, set[Connection]] = {}
        self._providers: dict[str, SnapshotProvider] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self._resyncs: set[asyncio.Task[None]] = set()
        # Snapshots being built, by (stream, seq): clients reconnecting together share one provider call.
        self._snapshots: dict[tuple[str, int], asyncio.Task[str]] = {}

    def register_snapshot(self, kind: str, provider: SnapshotProvider) -> None:
        """Use ``provider`` for the snapshots of every stream of ``kind`` (``agent``, ``supervisors``)."""
        self._providers[kind] = provider

    async def start(self) -> None:
        await self.backplane.start(self._deliver, self._on_resync)
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat(), name="hub-heartbeat")

    async def stop(self) -> None:
        """Close every connection with 1001 (clients reconnect and resume) and stop the backplane."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        for connection in [c for members in self._streams.values() for c in members]:
            self._close(connection, CLOSE_GOING_AWAY, "service restarting; reconnect with your last seq")
        for task in self._resyncs:
            task.cancel()
        await self.backplane.stop()

    async def publish(self, stream: str, type_: str, data: Any) -> int:
        """Send ``data`` as a ``type_`` message to every client of ``stream``; answer its seq."""
        return await self.backplane.publish(stream, message_tail(stream, type_, dumps(data)))

    def connections(self, stream: str) -> int:
        """How many clients are joined to ``stream`` on this instance."""
        return len(self._streams.get(stream, ()))

    def _deliver(self, stream: str, seq: int, text: str) -> None:
        members = self._streams.get(stream)
        if not members:
            return
        slow: list[Connection] = []
        for connection in members:
            if not connection.offer(seq, text):
                slow.append(connection)
        for connection in slow:
            self._close(connection, CLOSE_TOO_SLOW, "too slow: the send queue is full")

    def _close(self, connection: Connection, code: int, reason: str) -> None:
        if code != CLOSE_GOING_AWAY and not connection.closing:
            user, stream = connection.user_id, connection.stream
            log.warning("closing the websocket of user %s on %s: %s (%d)", user, stream, reason, code)
        self._detach(connection)
        connection.close(code, reason, timeout=self.close_timeout)

    def _detach(self, connection: Connection) -> None:
        members = self._streams.get(connection.stream)
        if members is not None:
            members.discard(connection)
            if not members:
                del self._streams[connection.stream]

    async def serve(self, connection: Connection, since: int | None) -> None:
        """Run one accepted client until it leaves or is closed."""
        self._streams.setdefault(connection.stream, set()).add(connection)
        connection.start_writer()
        reader = asyncio.get_running_loop().create_task(self._read(connection))
        try:
            await self._resume(connection, since)
            await connection.done.wait()
        finally:
            self._detach(connection)
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await connection.finish()

    async def _resume(self, connection: Connection, since: int | None) -> None:
        """Queue what the client missed (or a snapshot), then its held live messages."""
        stream = connection.stream
        try:
            history = await self.backplane.history(stream, since)
        except Exception:
            log.exception("reading the history of %s failed", stream)
            self._close(connection, CLOSE_INTERNAL, "history unavailable; reconnect later")
            return
        if history.missed is not None:
            connection.replay(history.missed)
            queued = True
        else:
            try:
                snapshot = await self._snapshot(stream, history.last_seq)
            except Exception:
                log.exception("snapshot of %s failed", stream)
                self._close(connection, CLOSE_INTERNAL, "snapshot unavailable; reconnect later")
                return
            queued = connection.push(snapshot)
        if not (queued and connection.release(history.last_seq)):
            self._close(connection, CLOSE_TOO_SLOW, "too slow: the send queue is full")

    async def _snapshot(self, stream: str, seq: int) -> str:
        """The snapshot message of ``stream`` at ``seq``, built once for all the clients asking at the same time."""
        key = (stream, seq)
        pending = self._snapshots.get(key)
        if pending is None:
            pending = asyncio.get_running_loop().create_task(self._build_snapshot(stream, seq))
            self._snapshots[key] = pending
            pending.add_done_callback(lambda _: self._snapshots.pop(key, None))
        # shield: one client leaving must not cancel the snapshot the others wait for.
        return await asyncio.shield(pending)

    async def _build_snapshot(self, stream: str, seq: int) -> str:
        provider = self._providers.get(stream_kind(stream))
        data = await provider(stream) if provider is not None else None
        return control("snapshot", stream, seq, data)

    async def _read(self, connection: Connection) -> None:
        websocket, loop = connection.websocket, asyncio.get_running_loop()
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                connection.last_seen = loop.time()
                self._answer(connection, message.get("text"))
        finally:
            connection.done.set()

    def _answer(self, connection: Connection, text: str | None) -> None:
        """Handle one client frame: ``{"type":"pong"}`` keeps it alive; anything else gets an error."""
        try:
            kind = json.loads(text)["type"] if text is not None else None
        except (ValueError, TypeError, KeyError):
            kind = None
        if kind == "pong":
            return
        problem = {"message": 'the server understands only {"type": "pong"} (text frames, JSON)'}
        if not connection.push(control("error", connection.stream, connection.floor, problem)):
            self._close(connection, CLOSE_TOO_SLOW, "too slow: the send queue is full")

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            now = loop.time()
            for connection in [c for members in self._streams.values() for c in members]:
                if now - connection.last_seen > self.heartbeat_timeout:
                    self._close(connection, CLOSE_HEARTBEAT, "no pong within the heartbeat timeout")
                elif not connection.push(control("ping", connection.stream, connection.floor)):
                    self._close(connection, CLOSE_TOO_SLOW, "too slow: the send queue is full")

    def _on_resync(self) -> None:
        """Live delivery had a gap (backplane reconnect): replay from each client's seq, or ask it to resume."""
        task = asyncio.get_running_loop().create_task(self._resync())
        self._resyncs.add(task)
        task.add_done_callback(self._resyncs.discard)

    async def _resync(self) -> None:
        for stream, members in list(self._streams.items()):
            ready = [c for c in members if c.held is None]
            if not ready:
                continue
            history = await self.backplane.history(stream, min(c.floor for c in ready))
            for connection in ready:
                if history.missed is None:
                    self._close(connection, CLOSE_RESYNC, "missed messages; reconnect with your last seq")
                    continue
                for text in history.missed:
                    self._deliver_one(connection, text)

    def _deliver_one(self, connection: Connection, text: str) -> None:
        if not connection.offer(seq_of(text), text):
            self._close(connection, CLOSE_TOO_SLOW, "too slow: the send queue is full")
