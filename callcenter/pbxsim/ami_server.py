"""The simulated Asterisk's AMI listener: banner, login, per-connection event filter, actions.

Each connection reads frames with the project's AMI codec, runs its actions one after the other (as
Asterisk does per session) and gets the events its read permission and `Events:` filter allow. A
client whose unsent output stays above a limit for longer than the write timeout is disconnected, so
it never stalls the others nor grows memory for ever (Asterisk drops such clients too).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
from collections.abc import Iterable

from callcenter.pbxsim.ami_actions import ActionContext, handle_action
from callcenter.pbxsim.config import AmiUser, parse_classes
from callcenter.pbxsim.pbx import Pbx
from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage, encode_message

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
log = logging.getLogger(__name__)


class AmiSession(asyncio.Protocol):
    """One AMI connection."""

    def __init__(self, server: AmiServer) -> None:
        self.server = server
        self.decoder = AmiDecoder(expect_banner=False)
        self.transport: asyncio.Transport | None = None
        self.user: AmiUser | None = None
        self.challenge = ""
        self.login_time = 0.0
        self.event_classes: frozenset[str] = frozenset()
        self.inbox: asyncio.Queue[AmiMessage] = asyncio.Queue()
        self.worker: asyncio.Task[None] | None = None
        self.peer = ""
        self.closed = False
        self._slow_timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------ transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the banner (one line, no empty line after it)."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}/{peer[1]}" if peer else ""
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # a bounded kernel buffer, so a client that stops reading shows up in our own buffer and is cut off
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.server.pbx.config.socket_send_buffer)
        transport.set_write_buffer_limits(high=self.server.pbx.config.max_client_buffer)
        transport.write(BANNER)
        self.server.sessions.add(self)
        self.worker = asyncio.create_task(self._work(), name=f"ami session {self.peer}")

    def data_received(self, data: bytes) -> None:
        """Queue the complete actions; report frames the codec rejected."""
        for message in self.decoder.feed(data):
            self.inbox.put_nowait(message)
        if self.decoder.errors:
            for error in self.decoder.errors:
                self.send([("Response", "Error"), ("Message", f"Malformed request: {error.reason}")])
            self.decoder.errors.clear()

    def pause_writing(self) -> None:
        """Output backs up: give the client the write timeout to catch up."""
        timeout = self.server.pbx.config.slow_client_timeout
        self._slow_timer = asyncio.get_running_loop().call_later(timeout, self._too_slow)

    def resume_writing(self) -> None:
        """The client caught up."""
        if self._slow_timer is not None:
            self._slow_timer.cancel()
            self._slow_timer = None

    def _too_slow(self) -> None:
        log.warning("AMI client %s is not reading; disconnecting it", self.peer)
        self.close(abort=True)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the session."""
        self.closed = True
        self.resume_writing()
        self.server.sessions.discard(self)
        self.server.pbx.bus.unsubscribe(self)
        if self.worker is not None:
            self.worker.cancel()

    # ------------------------------------------------------------------ output

    def send(self, headers: Iterable[tuple[str, str]]) -> None:
        """Write one message."""
        self.write(encode_message(headers))

    def write(self, data: bytes) -> None:
        """Write bytes unless the connection is gone."""
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def wants(self, category: str) -> bool:
        """The permission and the `Events:` filter let this class of event through."""
        return category in self.event_classes and not self.closed

    def deliver(self, category: str, name: str, data: bytes) -> None:
        """Write an event the session wants."""
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def close(self, *, abort: bool = False) -> None:
        """Close the connection (after flushing unless `abort`)."""
        if self.transport is None or self.closed:
            return
        self.closed = True
        self.server.pbx.bus.unsubscribe(self)
        if abort:
            self.transport.abort()
        else:
            self.transport.close()

    # ------------------------------------------------------------------ session state

    def login(self, user: AmiUser, events: str | None) -> None:
        """Authenticated: subscribe to the events the user may read and asked for."""
        self.user = user
        self.login_time = self.server.pbx.clock.now()
        self.set_events(events)
        self.server.pbx.bus.subscribe(self)

    def set_events(self, events: str | None) -> None:
        """Apply an `Events:` value (`on`, `off`, or a class list) within the read permission."""
        assert self.user is not None
        value = (events or "on").strip().lower()
        if value in ("on", "yes", "true", "1"):
            self.event_classes = self.user.read
        elif value in ("off", "no", "false", "0"):
            self.event_classes = frozenset()
        else:
            self.event_classes = self.user.read & parse_classes(value)

    async def _work(self) -> None:
        context = ActionContext(self.server, self)
        while not self.closed:
            message = await self.inbox.get()
            try:
                await handle_action(context, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("AMI action failed")
                self.send([("Response", "Error"), ("Message", "Internal error")])


class AmiServer:
    """Listens for AMI clients on behalf of a `Pbx`."""

    def __init__(self, pbx: Pbx, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.pbx = pbx
        self.host = host
        self.port = port
        self.sessions: set[AmiSession] = set()
        self._server: asyncio.Server | None = None
        self._restarting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start listening (port 0 picks a free port, kept across restarts)."""
        self._server = await asyncio.get_running_loop().create_server(
            lambda: AmiSession(self), self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._restarting is not None:
            self._restarting.cancel()
        self._close_listener()
        for session in list(self.sessions):
            session.close()
        await asyncio.sleep(0)

    def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def restart(self, downtime: float | None = None) -> None:
        """`core restart now`: end the calls, `Shutdown`, drop every client, come back with fresh counters."""
        await self.pbx.shutdown_calls()
        self.pbx.bus.emit("Shutdown", "system", [("Shutdown", "Cleanly"), ("Restart", "True")])
        self._close_listener()
        for session in list(self.sessions):
            session.close()
        await asyncio.sleep(self.pbx.config.restart_downtime if downtime is None else downtime)
        self.pbx.reboot()
        await self.start()

    def schedule_restart(self) -> None:
        """Restart in the background (from an AMI `Command: core restart now`)."""
        if self._restarting is None or self._restarting.done():
            self._restarting = asyncio.create_task(self.restart(), name="pbxsim restart")

    def security_event(self, name: str, session: AmiSession, account: str, extra: list[tuple[str, str]]) -> None:
        """A security-class event about `session`, fields in Asterisk's order (ami-06)."""
        now = _event_tv(self.pbx.clock.now())
        account_field = [("AccountID", account)]
        fields = [
            ("EventTV", now),
            ("Severity", "Informational" if name == "SuccessfulAuth" else "Error"),
            ("Service", "AMI"),
            ("EventVersion", "2" if name == "InvalidPassword" else "1"),
            *([] if name == "RequestBadFormat" else account_field),
            ("SessionID", hex(id(session))),
            ("LocalAddress", f"IPV4/TCP/{self.host}/{self.port}"),
            ("RemoteAddress", f"IPV4/TCP/{session.peer}"),
            *extra,
            ("SessionTV", _event_tv(session.login_time)),
            *(account_field if name == "RequestBadFormat" else []),
        ]
        self.pbx.bus.emit(name, "security", fields)


def _event_tv(epoch: float) -> str:
    """`2026-11-23T12:59:03.442+0000`, the time format of security events."""
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
