"""One FastAGI session: typed commands over a connection, one command in flight at a time.

Hang-up semantics follow Asterisk 22 (see the captures): a channel command answered ``result=-1`` or
``511``, and any command once the connection is gone, raise :class:`AgiHangup`; the unsolicited
``HANGUP`` line only sets :attr:`AgiSession.hung_up`, because SET/GET VARIABLE, VERBOSE and NOOP still
work on a dead channel and a handler may want to record what happened.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.telephony.agi.protocol import (
    AgiEnvironment,
    AgiError,
    AgiReply,
    encode_argument,
    encode_command,
    quote_argument,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_DIGITS = re.compile(r"[0-9*#A-D]*")
_APPLICATION = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Verbs that run applications or dialplan: only exec_() may send EXEC, after the allow-list check.
_RAW_FORBIDDEN = ("EXEC", "GOSUB", "ASYNCAGI")


class AgiHangup(AgiError):
    """The caller is gone (result -1, 511, or the connection closed): end the handler."""


class AgiConnectionClosed(AgiHangup):
    """The connection closed (or was dropped) before the reply came."""


class AgiTimeout(AgiError):
    """No reply within the command's time limit: the peer stalled; the session is closed."""


class AgiCommandError(AgiError):
    """Asterisk refused a command (510 unknown, 520 usage, EXEC of a missing application)."""

    def __init__(self, command: str, reply: AgiReply) -> None:
        super().__init__(f"{command!r} failed: {reply.lines[0] if reply.lines else reply.code}")
        self.command = command
        self.reply = reply


class ApplicationNotAllowed(AgiError):
    """EXEC of an application that is not on the allow-list (never System or anything running a shell)."""


@dataclass(frozen=True, slots=True)
class StreamFileResult:
    """STREAM FILE outcome: the key that interrupted the prompt (None if it played out) and where it stopped."""

    digit: str | None
    endpos: int | None


@dataclass(frozen=True, slots=True)
class GetDataResult:
    """GET DATA outcome: the digits typed, and whether input ended by the timeout rather than max/#."""

    digits: str
    timed_out: bool


class AgiSession:
    """A live FastAGI session handed to a handler; every command method awaits Asterisk's reply."""

    __slots__ = (
        "_allowed",
        "_broken",
        "_closed",
        "_command_timeout",
        "_hangup_waiters",
        "_loop",
        "_notified",
        "_pending",
        "_pending_line",
        "_write",
        "deadline",
        "environment",
        "hung_up",
    )

    def __init__(
        self,
        environment: AgiEnvironment,
        write: Callable[[bytes], None],
        *,
        allowed_applications: frozenset[str],
        command_timeout_s: float,
    ) -> None:
        self.environment = environment
        self.hung_up = False
        """True once Asterisk has sent the HANGUP notification (or answered 511 / -1)."""
        self._write = write
        self._allowed = allowed_applications
        self._command_timeout = command_timeout_s
        self._loop = asyncio.get_running_loop()
        self._pending: asyncio.Future[AgiReply] | None = None
        self._pending_line = ""
        self._closed = False
        self._broken = False
        self._notified = False
        self.deadline = float("inf")
        self._hangup_waiters: list[asyncio.Future[None]] = []

    # -- fed by the connection -------------------------------------------------------------------

    def _on_reply(self, reply: AgiReply) -> bool:
        """Deliver a reply; False when none was awaited (the peer is not speaking AGI)."""
        pending = self._pending
        if pending is None or pending.done():
            return False
        pending.set_result(reply)
        return True

    def _on_hangup_notice(self) -> None:
        self.hung_up = True
        self._notified = True
        for waiter in self._hangup_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._hangup_waiters.clear()

    def _on_closed(self, error: AgiError) -> None:
        self._closed = True
        self.hung_up = True
        pending = self._pending
        if pending is not None and not pending.done():
            pending.set_exception(error)
        self._on_hangup_notice()

    # -- core ----------------------------------------------------------------------------------

    async def _send(self, verb: str, args: list[str], extra_timeout_s: float = 0.0) -> AgiReply:
        """Send one command and await its reply; 510/520 raise AgiCommandError, 511 raises AgiHangup."""
        data = encode_command(verb, args)
        if self._closed:
            raise AgiConnectionClosed(f"connection closed before {verb}")
        if self._broken:
            raise AgiTimeout("session unusable after an unanswered command")
        if self._pending is not None:
            raise RuntimeError("AgiSession runs one command at a time")
        loop = self._loop
        future = loop.create_future()
        self._pending = future
        self._pending_line = verb
        # No timer per command: the server's sweep expires overdue commands (see AgiServer._sweep).
        self.deadline = loop.time() + self._command_timeout + extra_timeout_s
        self._write(data)
        try:
            reply = await future
        except asyncio.CancelledError:
            self._broken = True  # the reply may still come and would answer the next command
            raise
        finally:
            self._pending = None
        code = reply.code
        if code == 200:
            return reply
        if code == 511:
            self.hung_up = True
            raise AgiHangup(f"{verb}: channel is dead (511)")
        raise AgiCommandError(data.decode().rstrip("\n"), reply)

    def _expire_if_overdue(self, now: float) -> None:
        """Fail the command in flight with AgiTimeout once its deadline has passed."""
        future = self._pending
        if future is not None and not future.done() and now >= self.deadline:
            self._broken = True
            future.set_exception(AgiTimeout(f"no reply to {self._pending_line} in time"))

    def _channel_result(self, verb: str, reply: AgiReply) -> int:
        """The integer result of a command that touches the channel; -1 means the caller hung up."""
        result = reply.result_int
        if result is None:
            raise AgiCommandError(verb, reply)
        if result == -1:
            self.hung_up = True
            raise AgiHangup(f"{verb}: caller hung up")
        return result

    async def command(self, verb: str, *args: str) -> AgiReply:
        """Send any AGI command with quoted arguments and return the 200 reply (not EXEC or GOSUB)."""
        if verb.split(" ", 1)[0].upper() in _RAW_FORBIDDEN:
            raise ApplicationNotAllowed(f"{verb} must go through exec_() and its allow-list")
        return await self._send(verb, [encode_argument(arg) for arg in args])

    async def wait_hangup(self) -> None:
        """Return once Asterisk has sent its HANGUP notification (or the connection is gone)."""
        if self._notified:
            return
        waiter = self._loop.create_future()
        self._hangup_waiters.append(waiter)
        await waiter

    # -- typed commands ------------------------------------------------------------------------

    async def answer(self) -> None:
        """ANSWER the channel."""
        self._channel_result("ANSWER", await self._send("ANSWER", []))

    async def stream_file(self, prompt: str, escape_digits: str = "") -> StreamFileResult:
        """STREAM FILE: play a sound; the key in ``escape_digits`` that interrupted it, if any."""
        reply = await self._send("STREAM FILE", [encode_argument(prompt), _digits(escape_digits)])
        result = self._channel_result("STREAM FILE", reply)
        return StreamFileResult(chr(result) if result > 0 else None, reply.endpos)

    async def get_data(
        self, prompt: str, timeout_ms: int | None = None, max_digits: int | None = None
    ) -> GetDataResult:
        """GET DATA: play a prompt and collect digits until max_digits, ``#`` or the timeout."""
        args = [encode_argument(prompt)]
        if timeout_ms is not None or max_digits is not None:
            args.append(str(int(timeout_ms or 0)))
        if max_digits is not None:
            args.append(str(int(max_digits)))
        reply = await self._send("GET DATA", args, (timeout_ms or 0) / 1000)
        if reply.result == "-1":
            self.hung_up = True
            raise AgiHangup("GET DATA: caller hung up")
        return GetDataResult(reply.result or "", reply.data == "timeout")

    async def wait_for_digit(self, timeout_ms: int = -1) -> str | None:
        """WAIT FOR DIGIT: one key, or None after ``timeout_ms`` (-1: until the limits' command timeout)."""
        reply = await self._send("WAIT FOR DIGIT", [str(int(timeout_ms))], max(timeout_ms, 0) / 1000)
        result = self._channel_result("WAIT FOR DIGIT", reply)
        return chr(result) if result > 0 else None

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        """SAY DIGITS one by one; the key that interrupted, if any."""
        return await self._say("SAY DIGITS", [encode_argument(digits), _digits(escape_digits)])

    async def say_number(self, number: int | str, escape_digits: str = "") -> str | None:
        """SAY NUMBER as a whole number."""
        return await self._say("SAY NUMBER", [str(int(number)), _digits(escape_digits)])

    async def say_alpha(self, text: str, escape_digits: str = "") -> str | None:
        """SAY ALPHA letter by letter."""
        return await self._say("SAY ALPHA", [encode_argument(text), _digits(escape_digits)])

    async def say_datetime(
        self, epoch_s: int, escape_digits: str = "", fmt: str | None = None, timezone: str | None = None
    ) -> str | None:
        """SAY DATETIME of a Unix time, in an Asterisk say format and time zone when given."""
        args = [str(int(epoch_s)), _digits(escape_digits)]
        if fmt is not None or timezone is not None:
            args.append(quote_argument(fmt or ""))
        if timezone is not None:
            args.append(encode_argument(timezone))
        return await self._say("SAY DATETIME", args)

    async def _say(self, verb: str, args: list[str]) -> str | None:
        result = self._channel_result(verb, await self._send(verb, args))
        return chr(result) if result > 0 else None

    async def set_variable(self, name: str, value: str) -> None:
        """SET VARIABLE (works on a dead channel too)."""
        await self._send("SET VARIABLE", [encode_argument(name), encode_argument(value)])

    async def get_variable(self, name: str) -> str | None:
        """GET VARIABLE: the value, or None when it is not set."""
        reply = await self._send("GET VARIABLE", [encode_argument(name)])
        return reply.data if reply.result == "1" else None

    async def exec_(self, app: str, args: str = "") -> int:
        """EXEC an application on the allow-list; its result (``-1`` raises AgiHangup)."""
        if not _APPLICATION.fullmatch(app) or app.lower() not in self._allowed:
            raise ApplicationNotAllowed(f"application {app!r} is not on the allow-list")
        if "${" in args or "$[" in args:
            raise ApplicationNotAllowed("EXEC arguments may not contain ${...} or $[...] expressions")
        reply = await self._send("EXEC", [app, encode_argument(args)] if args else [app])
        result = self._channel_result("EXEC", reply)
        if result == -2:
            raise AgiCommandError(f"EXEC {app}", reply)
        return result

    async def hangup(self) -> None:
        """HANGUP the channel (the IVR ends the call)."""
        await self._send("HANGUP", [])

    async def verbose(self, message: str, level: int = 1) -> None:
        """VERBOSE: a line in the Asterisk console log."""
        await self._send("VERBOSE", [quote_argument(message), str(int(level))])

    async def noop(self, text: str = "") -> None:
        """NOOP (a round trip; the text shows in Asterisk's debug log)."""
        await self._send("NOOP", [encode_argument(text)] if text else [])


def _digits(escape_digits: str) -> str:
    if not _DIGITS.fullmatch(escape_digits):
        raise ValueError(f"escape digits must be 0-9, *, #, A-D: {escape_digits!r}")
    return f'"{escape_digits}"'
