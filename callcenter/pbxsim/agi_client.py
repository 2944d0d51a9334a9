"""FastAGI client that stands in for Asterisk: one simulated call entering the IVR over TCP.

It connects to the service's FastAGI port, sends the environment block as Asterisk 22 does, answers
each command through :class:`~callcenter.pbxsim.agi_caller.AsteriskChannel` (which follows the
caller's :class:`~callcenter.pbxsim.agi_caller.CallerScript`), sends the ``HANGUP`` notification
about 40 ms after the caller or the IVR hangs up, and again when the server half-closes its side, then
closes like Asterisk. Time passes on an injectable :class:`Clock`, so tests can run prompts
of seconds in milliseconds.

Usage::

    report = await run_agi_call("127.0.0.1", 4573, AgiCall(script="main-menu", caller=CallerScript.parse("1,4321")))
    report.variables_set["IVR_QUEUE"]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

from callcenter.pbxsim.agi_caller import AsteriskChannel, CallerScript, ChannelReply
from callcenter.telephony.agi.protocol import HANGUP_NOTICE

HANGUP_NOTICE_DELAY_S = 0.04  # Asterisk sends HANGUP about 40 ms after the result=-1 (see the captures)


class Clock(Protocol):
    """Session time in (simulated) seconds."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def call_later(self, seconds: float, callback: Callable[[], None]) -> asyncio.TimerHandle: ...


class RealClock:
    """Wall-clock seconds."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(max(seconds, 0.0), callback)


class ScaledClock:
    """Simulated seconds that pass ``speedup`` times faster than real ones (tests: prompts in milliseconds)."""

    def __init__(self, speedup: float = 100.0) -> None:
        self._speedup = speedup
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * self._speedup

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self._speedup)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(max(seconds, 0.0) / self._speedup, callback)


@dataclass
class AgiCall:
    """Who calls and which script (``agi://host:port/<script>``) the dialplan asks for."""

    script: str = "main-menu"
    caller: CallerScript = field(default_factory=CallerScript)
    caller_number: str = "+15551230001"
    caller_name: str = "Alice"
    channel: str = "Local/s@customer-00000000;1"
    uniqueid: str = "1795438657.0"
    linkedid: str | None = None
    arguments: tuple[str, ...] = ("inbound",)
    variables: dict[str, str] = field(default_factory=dict)
    prompt_seconds: dict[str, float] = field(default_factory=dict)
    host_in_request: str = "127.0.0.1:4573"
    hangup_notice_delay_s: float = HANGUP_NOTICE_DELAY_S

    def environment(self) -> list[tuple[str, str]]:
        """The ``agi_*`` variables in the order Asterisk 22 sends them."""
        env = [
            ("network", "yes"),
            ("network_script", self.script),
            ("request", f"agi://{self.host_in_request}/{self.script}"),
            ("channel", self.channel),
            ("language", "en"),
            ("type", self.channel.split("/", 1)[0]),
            ("uniqueid", self.uniqueid),
            ("version", "22.10.1"),
            ("callerid", self.caller_number or "unknown"),
            ("calleridname", self.caller_name or "unknown"),
            ("callingpres", "0"),
            ("callingani2", "0"),
            ("callington", "0"),
            ("callingtns", "0"),
            ("dnid", "unknown"),
            ("rdnis", "unknown"),
            ("context", "ivr-in"),
            ("extension", "s"),
            ("priority", "3"),
            ("enhanced", "0.0"),
            ("accountcode", ""),
            ("threadid", "140213614737088"),
        ]
        return env + [(f"arg_{i}", arg) for i, arg in enumerate(self.arguments, start=1)]

    def channel_variables(self) -> dict[str, str]:
        """What GET VARIABLE finds on the channel before the IVR sets anything."""
        found = {
            "CALLERID(num)": self.caller_number,
            "CALLERID(name)": self.caller_name,
            "CHANNEL(name)": self.channel,
            "CHANNEL(linkedid)": self.linkedid or self.uniqueid,
            "UNIQUEID": self.uniqueid,
        }
        return found | self.variables


@dataclass
class AgiCallReport:
    """What happened on one simulated call."""

    commands: list[str] = field(default_factory=list)
    transcript: list[tuple[float, str, str]] = field(default_factory=list)
    variables_set: dict[str, str] = field(default_factory=dict)
    prompts: list[str] = field(default_factory=list)
    applications: list[tuple[str, str]] = field(default_factory=list)
    hangup_by: str | None = None
    """``caller``, ``ivr`` (AGI HANGUP command) or None when the call went on in the dialplan."""
    server_half_closed: bool = False
    stalled: bool = False
    """The server sent nothing for ``idle_timeout_s`` (the client gave up and closed)."""

    def transcript_text(self) -> str:
        """The session in the captures' notation: ``+SSS.mmm A> line`` / ``S> line``."""
        return "\n".join(f"+{t:07.3f} {who} {line}" for t, who, line in self.transcript)


MAX_COMMAND_BYTES = 65536  # a longer line is not AGI: drop the session like Asterisk would


class _CallerConnection(asyncio.Protocol):
    """Asterisk's end of one FastAGI connection: one command at a time, replies after the simulated time."""

    def __init__(self, call: AgiCall, clock: Clock, idle_timeout_s: float | None) -> None:
        self.call = call
        self.clock = clock
        self.idle_timeout_s = idle_timeout_s
        self.start = clock.now()
        self.report = AgiCallReport()
        self.channel = AsteriskChannel(
            script=call.caller, variables=call.channel_variables(), prompt_seconds=call.prompt_seconds
        )
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.queued: list[str] = []  # commands that came while one was still playing
        self.busy = False
        self.timers: dict[str, asyncio.TimerHandle] = {}  # the reply being played, HANGUP notice, caller hang-up
        self.last_heard = 0.0
        self.watchdog: asyncio.TimerHandle | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def elapsed(self) -> float:
        return self.clock.now() - self.start

    def send(self, lines: list[str]) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        t = self.elapsed()
        self.report.transcript.extend((t, "A>", line) for line in lines)
        self.transport.write("".join(line + "\n" for line in lines).encode())

    # -- asyncio callbacks ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.send([f"agi_{name}: {value}" for name, value in self.call.environment()] + [""])
        if self.call.caller.hangup_at_s is not None:
            self.timers["hangup"] = self.clock.call_later(self.call.caller.hangup_at_s, self.caller_hangs_up)
        if self.idle_timeout_s is not None:
            loop = asyncio.get_running_loop()
            self.last_heard = loop.time()
            self.watchdog = loop.call_later(self.idle_timeout_s, self.watch_idle)

    def data_received(self, data: bytes) -> None:
        self.last_heard = asyncio.get_running_loop().time()
        buffer = self.buffer + data if self.buffer else data
        *lines, self.buffer = buffer.split(b"\n")
        if len(self.buffer) > MAX_COMMAND_BYTES:
            assert self.transport is not None
            self.transport.abort()
            return
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            self.report.commands.append(line)
            self.report.transcript.append((self.elapsed(), "S>", line))
            if self.busy:
                self.queued.append(line)
            else:
                self.execute(line)

    def eof_received(self) -> bool:
        # The server half-closed (end of the IVR): Asterisk says HANGUP and closes even if the call goes on.
        self.report.server_half_closed = True
        self.send([HANGUP_NOTICE])
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    # -- the channel ---------------------------------------------------------------------------

    def execute(self, line: str) -> None:
        reply = self.channel.handle(line, self.elapsed())
        if reply.duration_s > 0:
            self.busy = True
            self.timers["reply"] = self.clock.call_later(reply.duration_s, lambda: self.reply_played(reply))
        else:
            self.deliver(reply)

    def deliver(self, reply: ChannelReply) -> None:
        self.send(reply.lines)
        if reply.hung_up:
            self.timers["notice"] = self.clock.call_later(
                self.call.hangup_notice_delay_s, lambda: self.send([HANGUP_NOTICE])
            )

    def reply_played(self, reply: ChannelReply) -> None:
        self.busy = False
        self.deliver(reply)
        while self.queued and not self.busy:
            self.execute(self.queued.pop(0))

    def caller_hangs_up(self) -> None:
        if not self.busy and not self.channel.dead:  # during a command the channel model ends it itself
            self.channel.caller_hangs_up()
            self.send([HANGUP_NOTICE])

    def watch_idle(self) -> None:
        """Give up once the server has been silent for ``idle_timeout_s`` (real seconds)."""
        assert self.idle_timeout_s is not None and self.transport is not None
        loop = asyncio.get_running_loop()
        quiet = loop.time() - self.last_heard
        if quiet >= self.idle_timeout_s:
            self.report.stalled = True
            self.transport.abort()
        else:
            self.watchdog = loop.call_later(self.idle_timeout_s - quiet, self.watch_idle)

    def finish(self) -> AgiCallReport:
        if self.watchdog is not None:
            self.watchdog.cancel()
        for timer in self.timers.values():
            timer.cancel()
        self.report.variables_set = dict(self.channel.variables_set)
        self.report.prompts = list(self.channel.prompts)
        self.report.applications = list(self.channel.applications_run)
        self.report.hangup_by = self.channel.hangup_by
        return self.report


async def run_agi_call(
    host: str,
    port: int,
    call: AgiCall | None = None,
    *,
    clock: Clock | None = None,
    idle_timeout_s: float | None = 30.0,
) -> AgiCallReport:
    """Place one simulated call into the FastAGI server at host:port and report what it did.

    ``idle_timeout_s`` (real seconds, None for no limit): give up on a server that stays silent that long.
    """
    loop = asyncio.get_running_loop()
    connection = _CallerConnection(call or AgiCall(), clock or RealClock(), idle_timeout_s)
    transport, _ = await loop.create_connection(lambda: connection, host, port)
    try:
        await connection.closed
    finally:
        transport.close()
    return connection.finish()


__all__ = ["AgiCall", "AgiCallReport", "Clock", "RealClock", "ScaledClock", "run_agi_call"]
