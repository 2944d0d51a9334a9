"""One AMI TCP connection: the codec behind an asyncio transport, replies matched to actions by ActionID.

Responses are correlated by ``ActionID``, never by order, so any number of actions may be in flight.
Events that carry the ActionID of a list action in progress belong to that action's reply; every other
event (including interleaved ones) goes to ``on_events``, tagged with the server name. Flow control
(``pause_reading``) is decided by the client, which owns the event backlog.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping

import structlog

from callcenter.telephony.ami.actions import AmiResponse, PendingAction
from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage, encode_action
from callcenter.telephony.ami.errors import AmiConnectionError

log = structlog.get_logger(__name__)


class AmiProtocol(asyncio.Protocol):
    """asyncio protocol for one AMI connection (client side)."""

    def __init__(
        self,
        server: str,
        *,
        on_events: Callable[[list[AmiMessage]], None],
        max_frame_bytes: int = 1 << 20,
        only_events: frozenset[str] | None = None,
    ) -> None:
        self.server = server
        self._on_events = on_events
        # The filter is applied here, after matching replies, not in the decoder: the items of a list
        # action must reach it whatever their event name.
        self._decoder = AmiDecoder(max_frame_bytes=max_frame_bytes)
        self._only = only_events
        self._pending: dict[str, PendingAction] = {}
        self._user_actions = 0
        self._transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.banner: asyncio.Future[str] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.last_received = time.monotonic()

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports (uvicorn's default loop) do not derive from asyncio.Transport: no isinstance check.
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.last_received = time.monotonic()
        decoder = self._decoder
        messages = decoder.feed(data)
        if decoder.errors:
            for error in decoder.errors:
                log.warning("ami frame rejected", server=self.server, reason=error.reason, size=error.size)
            decoder.errors.clear()
        if not self.banner.done() and decoder.banner is not None:
            self.banner.set_result(decoder.banner)
        if not messages:
            return
        server = self.server
        events: list[AmiMessage] = []
        pending = self._pending
        only = self._only
        for message in messages:
            message.server = server
            if pending:
                action_id = message.action_id
                waiter = pending.get(action_id) if action_id is not None else None
                if waiter is not None:
                    if message.kind == "response" and not waiter.collecting:
                        if waiter.on_response(message):
                            self._forget(action_id)
                        continue
                    if message.kind == "event" and waiter.collecting:
                        if waiter.on_event(message):
                            self._forget(action_id)
                        continue
            if message.kind == "event":
                if only is None or message.name in only:
                    events.append(message)
            else:
                # A reply to an action already given up on (timeout) or a server that echoes oddly.
                log.debug("ami reply without waiter", server=server, action_id=message.action_id)
        if events:
            self._on_events(events)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        reason = f"connection to AMI server {self.server} lost" + (f": {exc}" if exc else "")
        for waiter in self._pending.values():
            waiter.fail(AmiConnectionError(reason))
        self._pending.clear()
        self._user_actions = 0
        if not self.banner.done():
            self.banner.set_exception(AmiConnectionError(f"{reason} before the AMI banner"))
            self.banner.exception()  # retrieved here so an unawaited banner never warns
        if not self.closed.done():
            self.closed.set_result(None)

    # used by the client

    @property
    def is_open(self) -> bool:
        """True while the transport is connected and not closing."""
        return self._transport is not None and not self._transport.is_closing()

    @property
    def user_actions_in_flight(self) -> int:
        """Actions awaited by callers (keepalive pings not counted)."""
        return self._user_actions

    def send(
        self,
        action: str,
        fields: Mapping[str, str] | Iterable[tuple[str, str]],
        action_id: str,
        *,
        keepalive: bool = False,
    ) -> asyncio.Future[AmiResponse]:
        """Write one action and return the future of its reply (ValueError on header injection)."""
        if not self.is_open:
            raise AmiConnectionError(f"not connected to AMI server {self.server}")
        data = encode_action(action, fields, action_id)
        future: asyncio.Future[AmiResponse] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = PendingAction(action, future, keepalive=keepalive)
        if not keepalive:
            self._user_actions += 1
        assert self._transport is not None
        self._transport.write(data)
        return future

    def forget(self, action_id: str) -> None:
        """Stop waiting for an action (its caller timed out or was cancelled)."""
        self._forget(action_id)

    def _forget(self, action_id: str) -> None:
        waiter = self._pending.pop(action_id, None)
        if waiter is not None and not waiter.keepalive:
            self._user_actions -= 1

    def pause_reading(self) -> None:
        """Stop reading the socket (back-pressure); TCP then slows the sender."""
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        """Read the socket again."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def close(self) -> None:
        """Close after flushing what was written."""
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Drop the connection at once (dead link)."""
        if self._transport is not None:
            self._transport.abort()
