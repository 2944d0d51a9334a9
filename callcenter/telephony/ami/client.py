"""asyncio AMI client for one named Asterisk server: login, actions, keepalive, reconnect, back-pressure.

Life of a client: connect, wait for the banner, ``Login`` (with the ``Events:`` filter), wait briefly for
``FullyBooted`` to learn which boot of Asterisk this is, start the keepalive, await the ``on_connect``
hook (the consumer resynchronises there), then deliver events until the connection drops; reconnect with
capped exponential backoff and jitter, and start over. Asterisk restarts its Uniqueid counters on every
boot, so the client numbers the boots it sees (``boot``): consumers key calls by server + boot + Linkedid.

Events go, in order, to one consumer per client through a bounded backlog. When the consumer falls
behind, the client stops reading the socket (``pause_reading``) instead of buffering without bound or
dropping events; it reads again once the consumer has caught up. Reading continues while actions the
caller awaits are in flight, so a consumer that awaits an action cannot deadlock the connection.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import structlog

from callcenter.telephony.ami.actions import AmiResponse
from callcenter.telephony.ami.boot import AmiBoot, BootTracker
from callcenter.telephony.ami.delivery import EventConsumer, EventDelivery
from callcenter.telephony.ami.errors import (
    AmiActionError,
    AmiAuthenticationError,
    AmiConnectionError,
    AmiError,
    AmiTimeoutError,
)
from callcenter.telephony.ami.login import log_in
from callcenter.telephony.ami.message import AmiMessage
from callcenter.telephony.ami.protocol import AmiProtocol

if TYPE_CHECKING:
    from callcenter.config import AmiServerSettings

log = structlog.get_logger(__name__)

ConnectHook = Callable[["AmiClient"], Awaitable[None]]

# Events the client itself needs whatever the consumer's filter says.
_LIFECYCLE_EVENTS = frozenset({"FullyBooted", "Shutdown"})


class AmiClient:
    """Client of one Asterisk Manager Interface, identified by ``name`` (tagged on every message)."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int = 5038,
        *,
        username: str,
        secret: str,
        events: str | None = "on",
        auth: str = "plain",
        consumer: EventConsumer | None = None,
        on_connect: ConnectHook | None = None,
        only_events: Iterable[str] | None = None,
        action_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        keepalive_interval: float = 0.8,
        keepalive_timeout: float = 1.0,
        reconnect_min_delay: float = 0.5,
        reconnect_max_delay: float = 30.0,
        max_backlog: int = 10_000,
        max_frame_bytes: int = 1 << 20,
        fully_booted_wait: float = 1.0,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.username = username
        self._secret = secret
        for label, value in (("name", name), ("username", username), ("secret", secret), ("events", events or "")):
            if "\r" in value or "\n" in value:
                raise ValueError(f"AMI {label} must not contain CR or LF")
        self.events = events
        if auth not in ("plain", "md5"):
            raise ValueError(f"AMI auth must be 'plain' or 'md5', not {auth!r}")
        self.auth = auth
        self._on_connect = on_connect
        self._only_events = frozenset(only_events) | _LIFECYCLE_EVENTS if only_events is not None else None
        self.action_timeout = action_timeout
        self.connect_timeout = connect_timeout
        self.keepalive_interval = keepalive_interval
        self.keepalive_timeout = keepalive_timeout
        self.reconnect_min_delay = reconnect_min_delay
        self.reconnect_max_delay = reconnect_max_delay
        self.max_backlog = max_backlog
        self._max_frame_bytes = max_frame_bytes
        self.fully_booted_wait = fully_booted_wait
        self.banner: str | None = None
        self._boots = BootTracker()
        self.last_error: BaseException | None = None
        self.connections = 0  # successful logins so far
        self._protocol: AmiProtocol | None = None
        self._ids = itertools.count(1)
        self._id_prefix = f"{name}-{secrets.token_hex(3)}-"
        self._events = (
            EventDelivery(name, consumer, limit=max_backlog, on_low_water=self._update_flow)
            if consumer is not None
            else None
        )
        self._paused = False
        self._pauses = 0  # bumped on every pause, so keepalive knows silence was self-inflicted
        self._fully_booted_seen = asyncio.Event()
        self._connected = asyncio.Event()
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._first_attempt: asyncio.Future[None] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: AmiServerSettings,
        *,
        consumer: EventConsumer | None = None,
        on_connect: ConnectHook | None = None,
        only_events: Iterable[str] | None = None,
    ) -> AmiClient:
        """A client configured from one ``AmiServerSettings`` entry."""
        return cls(
            settings.name,
            settings.host,
            settings.port,
            username=settings.username,
            secret=settings.secret.get_secret_value(),
            events=settings.events,
            auth=settings.auth,
            consumer=consumer,
            on_connect=on_connect,
            only_events=only_events,
            action_timeout=settings.action_timeout,
            keepalive_interval=settings.keepalive_interval,
            keepalive_timeout=settings.keepalive_timeout,
            reconnect_min_delay=settings.reconnect_min_delay,
            reconnect_max_delay=settings.reconnect_max_delay,
            max_backlog=settings.max_backlog,
        )

    # lifecycle

    @property
    def connected(self) -> bool:
        """True while logged in."""
        return self._connected.is_set()

    @property
    def boot(self) -> AmiBoot | None:
        """The Asterisk boot the current (or last) connection talks to."""
        return self._boots.current

    @property
    def reading_paused(self) -> bool:
        """True while the socket is not read because the consumer is behind."""
        return self._paused

    @property
    def backlog(self) -> int:
        """Events read and not yet handed to the consumer."""
        return len(self._events) if self._events is not None else 0

    async def start(self) -> None:
        """Connect in the background and stay connected (retrying with backoff) until ``close``."""
        if self._supervisor is not None:
            return
        self._closing = False
        if self._events is not None:
            self._delivery = asyncio.create_task(self._events.run(), name=f"ami-deliver-{self.name}")
        self._supervisor = asyncio.create_task(self._supervise(), name=f"ami-{self.name}")

    async def connect(self) -> None:
        """Connect and log in once (raising on failure, e.g. AmiAuthenticationError), then stay connected."""
        self._first_attempt = asyncio.get_running_loop().create_future()
        await self.start()
        try:
            await self._first_attempt
        except BaseException:
            await self.close()
            raise

    async def wait_connected(self) -> None:
        """Wait until logged in (wrap in ``asyncio.timeout`` to bound the wait)."""
        await self._connected.wait()

    async def close(self) -> None:
        """Log off, close the connection, hand the remaining backlog to the consumer, stop the tasks."""
        self._closing = True
        protocol = self._protocol
        if protocol is not None and protocol.is_open and self.connected:
            try:
                await self._send(protocol, "Logoff", (), limit=1.0)
            except AmiError:
                pass  # closing anyway
            protocol.close()
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        if protocol is not None:
            protocol.abort()
        delivery, self._delivery = self._delivery, None
        if delivery is not None and self._events is not None:
            try:
                async with asyncio.timeout(2.0):
                    await self._events.wait_drained()
            except TimeoutError:
                log.warning("ami events not delivered at close", server=self.name, events=len(self._events))
            delivery.cancel()
            await asyncio.gather(delivery, return_exceptions=True)

    async def __aenter__(self) -> AmiClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # actions

    async def action(
        self,
        action: str,
        fields: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> AmiResponse:
        """Send an action and await its reply (list actions: until ``EventList: Complete``).

        Raises AmiActionError on ``Response: Error``, AmiTimeoutError after ``action_timeout`` seconds,
        AmiConnectionError when not connected or when the connection drops before the reply.
        """
        protocol = self._protocol
        if protocol is None or not self.connected:
            raise AmiConnectionError(f"not connected to AMI server {self.name}")
        return await self._send(protocol, action, fields, limit=self.action_timeout)

    async def command(self, command: str) -> list[str]:
        """Run an Asterisk CLI command (``Action: Command``) and return its output lines."""
        return (await self.action("Command", [("Command", command)])).output

    async def ping(self) -> float:
        """Round trip of a ``Ping`` in seconds."""
        started = time.perf_counter()
        await self.action("Ping")
        return time.perf_counter() - started

    async def _send(
        self,
        protocol: AmiProtocol,
        action: str,
        fields: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        limit: float,
        keepalive: bool = False,
    ) -> AmiResponse:
        action_id = f"{self._id_prefix}{next(self._ids)}"
        future = protocol.send(action, fields, action_id, keepalive=keepalive)
        if not keepalive:
            self._update_flow()  # responses must get through even if the consumer is behind
        try:
            async with asyncio.timeout(limit):
                return await future
        except TimeoutError:
            raise AmiTimeoutError(action, limit, self.name) from None
        finally:
            protocol.forget(action_id)
            if not keepalive:
                self._update_flow()

    # connection supervision

    async def _supervise(self) -> None:
        attempt = 0
        while not self._closing:
            protocol: AmiProtocol | None = None
            try:
                protocol = await self._open()
                attempt = 0
                self._resolve_first_attempt(None)
                await self._run_connected(protocol)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = exc
                if isinstance(exc, AmiAuthenticationError):
                    log.error("ami login refused", server=self.name, error=str(exc))
                elif isinstance(exc, AmiError | OSError):
                    log.warning("ami connection failed", server=self.name, error=str(exc))
                else:
                    log.exception("ami connection crashed", server=self.name)
                if self._resolve_first_attempt(exc):
                    return
            finally:
                self._connected.clear()
                if protocol is not None:
                    protocol.abort()
                    if self._protocol is protocol:
                        self._protocol = None
                self._paused = False
            if self._closing:
                return
            delay = self._backoff(attempt)
            attempt += 1
            log.info("ami reconnecting", server=self.name, delay=round(delay, 2), attempt=attempt)
            await asyncio.sleep(delay)

    def _resolve_first_attempt(self, exc: BaseException | None) -> bool:
        """Report the first attempt to ``connect``; True when the client must stop (first attempt failed)."""
        first, self._first_attempt = self._first_attempt, None
        if first is None or first.done():
            return False
        if exc is None:
            first.set_result(None)
            return False
        first.set_exception(exc)
        return True

    def _backoff(self, attempt: int) -> float:
        """Capped exponential delay with jitter (half fixed, half random) so servers do not reconnect in step."""
        delay = min(self.reconnect_max_delay, self.reconnect_min_delay * 2**attempt)
        return delay / 2 + random.uniform(0, delay / 2)

    async def _open(self) -> AmiProtocol:
        """Connect, read the banner, log in, learn the boot; returns the logged-in protocol."""
        loop = asyncio.get_running_loop()
        protocol = AmiProtocol(
            self.name, on_events=self._on_events, max_frame_bytes=self._max_frame_bytes, only_events=self._only_events
        )
        try:
            async with asyncio.timeout(self.connect_timeout):
                await loop.create_connection(lambda: protocol, self.host, self.port)
                self.banner = await protocol.banner
        except TimeoutError:
            protocol.abort()
            raise AmiConnectionError(
                f"no AMI banner from {self.name} ({self.host}:{self.port}) within {self.connect_timeout:g} s"
            ) from None
        except OSError as exc:
            raise AmiConnectionError(
                f"cannot connect to AMI server {self.name} ({self.host}:{self.port}): {exc}"
            ) from exc
        self._protocol = protocol
        self._fully_booted_seen.clear()
        try:
            await self._login(protocol)
            # Asterisk sends FullyBooted right after a successful login; wait a little (it may be filtered).
            try:
                async with asyncio.timeout(self.fully_booted_wait):
                    await self._fully_booted_seen.wait()
            except TimeoutError:
                self._boots.settle(None)  # FullyBooted filtered out: only a Shutdown seen marks a new boot
        except BaseException:
            protocol.abort()
            self._protocol = None
            raise
        self.connections += 1
        self._connected.set()
        log.info("ami connected", server=self.name, banner=self.banner, boot=self.boot.number if self.boot else None)
        return protocol

    async def _login(self, protocol: AmiProtocol) -> None:
        limit = self.connect_timeout + 2.0  # Asterisk answers a wrong secret only after about a second

        async def send(action: str, fields: list[tuple[str, str]]) -> AmiResponse:
            return await self._send(protocol, action, fields, limit=limit)

        try:
            await log_in(send, username=self.username, secret=self._secret, auth=self.auth, events=self.events)
        except AmiActionError as exc:
            raise AmiAuthenticationError(
                f"AMI server {self.name} ({self.host}:{self.port}) refused the login of user "
                f"{self.username!r}: {exc.message or 'no reason given'}"
            ) from exc

    async def _run_connected(self, protocol: AmiProtocol) -> None:
        """Keepalive and the on_connect hook while connected; returns when the connection is gone."""
        keepalive = asyncio.create_task(self._keepalive(protocol), name=f"ami-keepalive-{self.name}")
        try:
            if self._on_connect is not None:
                try:
                    await self._on_connect(self)
                except AmiError as exc:
                    log.warning("ami on_connect hook failed", server=self.name, error=str(exc))
                except Exception:
                    log.exception("ami on_connect hook crashed", server=self.name)
            await protocol.closed
        finally:
            keepalive.cancel()
            await asyncio.gather(keepalive, return_exceptions=True)
        if not self._closing:
            log.warning("ami connection lost", server=self.name, shutdown=self._boots.shutdown_seen)

    async def _keepalive(self, protocol: AmiProtocol) -> None:
        """Ping periodically; a Ping unanswered in time means a dead link: drop it so we reconnect."""
        while protocol.is_open:
            await asyncio.sleep(self.keepalive_interval)
            if self._paused:
                continue  # we are the ones not reading: silence proves nothing
            pauses = self._pauses
            try:
                await self._send(protocol, "Ping", (), limit=self.keepalive_timeout, keepalive=True)
            except AmiTimeoutError:
                if self._paused or self._pauses != pauses:
                    continue
                log.warning("ami keepalive unanswered, dropping connection", server=self.name)
                protocol.abort()
                return
            except AmiError:
                return

    # events and back-pressure

    def _on_events(self, events: list[AmiMessage]) -> None:
        """Called by the protocol with the unsolicited events of one read, in order."""
        for event in events:
            name = event.name
            if name == "FullyBooted":
                # Settled before the event is queued, so a consumer handling it already sees the new boot.
                self._boots.settle(event)
                self._fully_booted_seen.set()
            elif name == "Shutdown":
                self._boots.shutdown_seen = True
        if self._events is None:
            return
        self._events.put(events)
        if self._events.full:
            self._update_flow()

    def _update_flow(self) -> None:
        """Pause reading when the backlog is full (unless awaited actions need replies); resume when drained."""
        protocol, events = self._protocol, self._events
        if protocol is None or events is None:
            return
        if self._paused:
            if len(events) <= events.low_water or protocol.user_actions_in_flight:
                self._paused = False
                events.notify_low_water = False
                protocol.resume_reading()
        elif events.full and not protocol.user_actions_in_flight:
            self._paused = True
            self._pauses += 1
            events.notify_low_water = True
            protocol.pause_reading()
            log.info("ami consumer behind, reading paused", server=self.name, backlog=len(events))
