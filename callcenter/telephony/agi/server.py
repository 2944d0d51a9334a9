"""Asyncio FastAGI server: accepts Asterisk's connections and hands each session to a handler.

``agi://host:port/<script>`` selects the handler by script name. A script nobody handles is logged
and either runs the configured default script or gets a polite hang-up (a VERBOSE line for the
Asterisk log, then HANGUP). Whatever the handler does, the session ends like the captures: the server
half-closes its side (``shutdown(SHUT_WR)``) and reads until Asterisk closes (it sends ``HANGUP``).

Each connection is an :class:`asyncio.Protocol` feeding the sans-I/O parser, so a peer that sends
garbage, floods or stalls costs one bounded buffer and a timer, never the event loop or the listener.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import cast

from callcenter.telephony.agi.limits import AgiLimits
from callcenter.telephony.agi.protocol import (
    AgiEnvironment,
    AgiError,
    AgiProtocolError,
    AgiReply,
    AgiServerConnection,
    HangupNotice,
)
from callcenter.telephony.agi.session import AgiConnectionClosed, AgiHangup, AgiSession

log = logging.getLogger(__name__)

SessionHandler = Callable[[AgiSession], Awaitable[None]]
HandlerLookup = Callable[[str], SessionHandler | None]


class _AgiConnection(asyncio.Protocol):
    """One TCP connection: handshake, replies to the session, half-close at the end."""

    __slots__ = ("_closed", "_handshake_timer", "_hangups", "_parser", "_server", "_transport", "peer", "session")

    def __init__(self, server: AgiServer) -> None:
        self._server = server
        limits = server.limits
        self._parser = AgiServerConnection(
            max_line_bytes=limits.max_line_bytes, max_handshake_bytes=limits.max_handshake_bytes
        )
        self._transport: asyncio.Transport | None = None
        self._handshake_timer: asyncio.TimerHandle | None = None
        self._closed: asyncio.Future[None] | None = None
        self._hangups = 0
        self.session: AgiSession | None = None
        self.peer = "?"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's TCP transport is not an asyncio.Transport subclass
        self._transport = transport
        self._closed = asyncio.get_running_loop().create_future()
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        if len(self._server._connections) >= self._server.limits.max_sessions:
            log.warning("FastAGI: refusing %s, %d sessions already open", self.peer, self._server.limits.max_sessions)
            transport.abort()
            return
        self._server._connections.add(self)
        self._handshake_timer = asyncio.get_running_loop().call_later(
            self._server.limits.handshake_timeout_s, self._handshake_expired
        )

    def _handshake_expired(self) -> None:
        log.warning("FastAGI: %s sent no complete environment in time; closing", self.peer)
        self._drop()

    def data_received(self, data: bytes) -> None:
        try:
            events = self._parser.receive_data(data)
        except AgiProtocolError as error:
            if self.session is None or not self._server._is_finishing(self):
                log.warning("FastAGI: dropping %s: %s", self.peer, error)
            self._drop(error)
            return
        session = self.session
        for event in events:
            if isinstance(event, AgiReply):
                if session is None or not session._on_reply(event):
                    if not self._server._is_finishing(self):
                        log.warning("FastAGI: dropping %s: reply with no command pending: %r", self.peer, event.text)
                        self._drop(AgiProtocolError("unexpected reply"))
                        return
            elif isinstance(event, HangupNotice):
                self._hangups += 1
                if session is not None:
                    session._on_hangup_notice()
                if self._hangups > self._server.limits.max_hangup_notices:
                    log.warning("FastAGI: dropping %s: HANGUP flood", self.peer)
                    self._drop(AgiProtocolError("HANGUP flood"))
                    return
            elif isinstance(event, AgiEnvironment):
                if self._handshake_timer is not None:
                    self._handshake_timer.cancel()
                assert self._transport is not None
                session = self.session = AgiSession(
                    event,
                    self._transport.write,
                    allowed_applications=self._server.allowed_applications,
                    command_timeout_s=self._server.limits.command_timeout_s,
                )
                self._server._start(self, session)

    def eof_received(self) -> bool:
        if self.session is not None:
            self.session._on_closed(AgiConnectionClosed("Asterisk closed the connection"))
        return False  # let the transport close: nothing more will come

    def connection_lost(self, exc: Exception | None) -> None:
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
        if self.session is not None:
            self.session._on_closed(AgiConnectionClosed("connection lost"))
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)
        self._server._connections.discard(self)

    def _drop(self, error: AgiError | None = None) -> None:
        if self.session is not None:
            self.session._on_closed(AgiConnectionClosed(str(error or "connection dropped")))
        if self._transport is not None:
            self._transport.abort()

    async def finish(self) -> None:
        """Half-close our side like the captures and wait (bounded) for Asterisk to close."""
        transport = self._transport
        if transport is None or self._closed is None:
            return
        if not transport.is_closing() and transport.can_write_eof():
            try:
                transport.write_eof()
            except (OSError, RuntimeError):
                transport.abort()
        try:
            await asyncio.wait_for(asyncio.shield(self._closed), self._server.limits.close_timeout_s)
        except TimeoutError:
            log.warning("FastAGI: %s did not close after our half-close; dropping it", self.peer)
            transport.abort()


class AgiServer:
    """FastAGI listener; ``handlers`` maps script names to coroutines taking an :class:`AgiSession`.

    ``handlers`` may also be a function from script name to handler (or None), so the caller can look
    scripts up dynamically (e.g. published IVR flows). ``default_script`` runs for unknown scripts;
    without it they get a polite hang-up.
    """

    def __init__(
        self,
        handlers: Mapping[str, SessionHandler] | HandlerLookup,
        *,
        host: str = "127.0.0.1",
        port: int = 4573,
        default_script: str | None = None,
        limits: AgiLimits | None = None,
    ) -> None:
        self._lookup: HandlerLookup = handlers.get if isinstance(handlers, Mapping) else handlers
        self.host = host
        self.port = port
        self.default_script = default_script
        self.limits = limits or AgiLimits()
        self.allowed_applications = self.limits.allowed()
        self._server: asyncio.Server | None = None
        self._connections: set[_AgiConnection] = set()
        self._finishing: set[_AgiConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.TimerHandle | None = None
        self._sweep_interval = 1.0
        self.sessions_started = 0
        self.sessions_failed = 0

    async def start(self) -> None:
        """Listen; with port 0 the chosen port is in :attr:`port` afterwards."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _AgiConnection(self), self.host, self.port, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweep_interval = min(1.0, self.limits.command_timeout_s / 4)
        self._sweeper = loop.call_later(self._sweep_interval, self._sweep)
        log.info("FastAGI listening on agi://%s:%d/", self.host, self.port)

    def _sweep(self) -> None:
        """Expire overdue commands: one timer for the whole server instead of one per command."""
        now = asyncio.get_running_loop().time()
        for connection in self._connections:
            session = connection.session
            if session is not None and session.deadline <= now:
                session._expire_if_overdue(now)
        self._sweeper = asyncio.get_running_loop().call_later(self._sweep_interval, self._sweep)

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop listening, give running sessions ``grace_s`` to end, then cancel the rest."""
        if self._server is not None:
            self._server.close()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for connection in list(self._connections):
            connection._drop()
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> AgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _is_finishing(self, connection: _AgiConnection) -> bool:
        return connection in self._finishing

    def _start(self, connection: _AgiConnection, session: AgiSession) -> None:
        self.sessions_started += 1
        task = asyncio.get_running_loop().create_task(self._run(connection, session))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _resolve(self, script: str, channel: str | None) -> SessionHandler:
        handler = self._lookup(script)
        if handler is not None:
            return handler
        if self.default_script is not None:
            fallback = self._lookup(self.default_script)
            if fallback is not None:
                log.warning(
                    "FastAGI: unknown script %r requested by %s; running the default script %r",
                    script,
                    channel,
                    self.default_script,
                )
                return fallback
        log.warning("FastAGI: unknown script %r requested by %s and no default script; hanging up", script, channel)
        return _polite_hangup

    async def _run(self, connection: _AgiConnection, session: AgiSession) -> None:
        env = session.environment
        handler = self._resolve(env.script, env.channel)
        try:
            await handler(session)
        except AgiHangup:
            pass  # the caller left: a normal end of an IVR session
        except AgiError as error:
            self.sessions_failed += 1
            log.warning("FastAGI: session %s (%s) ended: %s", env.uniqueid, env.channel, error)
        except Exception:
            self.sessions_failed += 1
            log.exception("FastAGI: handler for %r failed on %s", env.script, env.channel)
        finally:
            self._finishing.add(connection)
            try:
                await connection.finish()
            finally:
                self._finishing.discard(connection)


async def _polite_hangup(session: AgiSession) -> None:
    """Fallback for an unknown script: say why in the Asterisk log, then hang up."""
    await session.verbose(f"callcenter: no IVR for script {session.environment.script!r}", 1)
    await session.hangup()
