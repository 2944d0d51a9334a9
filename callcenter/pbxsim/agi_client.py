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
import contextlib
import time
from dataclasses import dataclass, field
from typing import Protocol

from callcenter.pbxsim.agi_caller import AsteriskChannel, CallerScript
from callcenter.telephony.agi.protocol import HANGUP_NOTICE

HANGUP_NOTICE_DELAY_S = 0.04  # Asterisk sends HANGUP about 40 ms after the result=-1 (see the captures)


class Clock(Protocol):
    """Session time in (simulated) seconds."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    """Wall-clock seconds."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ScaledClock:
    """Simulated seconds that pass ``speedup`` times faster than real ones (tests: prompts in milliseconds)."""

    def __init__(self, speedup: float = 100.0) -> None:
        self._speedup = speedup
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * self._speedup

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self._speedup)


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


class _Session:
    def __init__(self, call: AgiCall, clock: Clock, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.call = call
        self.clock = clock
        self.reader = reader
        self.writer = writer
        self.start = clock.now()
        self.report = AgiCallReport()
        self.channel = AsteriskChannel(
            script=call.caller, variables=call.channel_variables(), prompt_seconds=call.prompt_seconds
        )
        self.busy = False
        self.tasks: list[asyncio.Task[None]] = []
        self.last_heard = 0.0
        self.watchdog: asyncio.TimerHandle | None = None

    def elapsed(self) -> float:
        return self.clock.now() - self.start

    def send(self, lines: list[str]) -> None:
        t = self.elapsed()
        self.report.transcript.extend((t, "A>", line) for line in lines)
        self.writer.write("".join(line + "\n" for line in lines).encode())

    async def notice_later(self) -> None:
        await self.clock.sleep(HANGUP_NOTICE_DELAY_S)
        if not self.writer.is_closing():
            self.send([HANGUP_NOTICE])

    async def caller_hangs_up_at(self, moment: float) -> None:
        await self.clock.sleep(moment - self.elapsed())
        if not self.busy and not self.channel.dead:  # during a command the channel model ends it itself
            self.channel.caller_hangs_up()
            self.send([HANGUP_NOTICE])

    def _watch_idle(self, idle_timeout_s: float) -> None:
        """Close the connection once the server has been silent for ``idle_timeout_s`` (real seconds)."""
        loop = asyncio.get_running_loop()
        quiet = loop.time() - self.last_heard
        if quiet >= idle_timeout_s:
            self.report.stalled = True
            self.writer.transport.abort()
        else:
            self.watchdog = loop.call_later(idle_timeout_s - quiet, self._watch_idle, idle_timeout_s)

    async def run(self, idle_timeout_s: float | None) -> None:
        loop = asyncio.get_running_loop()
        self.send([f"agi_{name}: {value}" for name, value in self.call.environment()] + [""])
        if self.call.caller.hangup_at_s is not None:
            self.tasks.append(asyncio.create_task(self.caller_hangs_up_at(self.call.caller.hangup_at_s)))
        if idle_timeout_s is not None:
            self.last_heard = loop.time()
            self.watchdog = loop.call_later(idle_timeout_s, self._watch_idle, idle_timeout_s)
        while True:
            try:
                raw = await self.reader.readline()
            except (ValueError, ConnectionError):  # an oversize line or a reset: Asterisk drops the session too
                return
            if self.report.stalled:
                return
            if not raw.endswith(b"\n"):
                self.report.server_half_closed = True
                self.send([HANGUP_NOTICE])
                return
            self.last_heard = loop.time()
            line = raw[:-1].decode("utf-8", "replace")
            self.report.commands.append(line)
            self.report.transcript.append((self.elapsed(), "S>", line))
            self.busy = True
            reply = self.channel.handle(line, self.elapsed())
            if reply.duration_s > 0:
                await self.clock.sleep(reply.duration_s)
            self.busy = False
            self.send(reply.lines)
            if reply.hung_up:
                self.tasks.append(asyncio.create_task(self.notice_later()))

    def finish(self) -> AgiCallReport:
        if self.watchdog is not None:
            self.watchdog.cancel()
        for task in self.tasks:
            task.cancel()
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
    call = call or AgiCall()
    reader, writer = await asyncio.open_connection(host, port)
    session = _Session(call, clock or RealClock(), reader, writer)
    try:
        await session.run(idle_timeout_s)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
        for task in session.tasks:
            task.cancel()
    return session.finish()


__all__ = ["AgiCall", "AgiCallReport", "Clock", "RealClock", "ScaledClock", "run_agi_call"]
