"""The IVR call port over a FastAGI session: each port method is one AGI command.

``play`` is STREAM FILE, ``collect`` GET DATA, ``wait_digit`` WAIT FOR DIGIT, ``say`` SAY DIGITS /
NUMBER / ALPHA / DATETIME, ``run_application`` EXEC (allow-list enforced by the session), ``hangup``
HANGUP. ``result=-1``, ``511``, Asterisk's ``HANGUP`` notification, a closed connection and a stalled
Asterisk all become :class:`~callcenter.ivr.port.CallerHungUp`, so the engine ends the session
cleanly and keeps the path. SET/GET VARIABLE still go through after a hang-up (Asterisk accepts them
on a dead channel), so the flow's results reach the dialplan.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from callcenter.ivr.engine import IvrEngine
from callcenter.ivr.port import CallerHungUp, CallPort, SayKind
from callcenter.telephony.agi import AgiHangup, AgiSession, AgiTimeout

if TYPE_CHECKING:
    from callcenter.telephony.agi import SessionHandler

log = logging.getLogger(__name__)

# Asterisk SAY DATETIME formats (say.c, English): weekday, month, day, year / hour, minute, am-pm.
RESUME_PREFIX = "resume="
_SAY_FORMATS = {"date": "ABdY", "time": "IMp", "datetime": "ABdY 'digits/at' IMp"}


class IvrCallOverAgi:
    """A :class:`~callcenter.ivr.port.CallPort` backed by one :class:`AgiSession`."""

    def __init__(self, session: AgiSession, *, linkedid: str | None = None) -> None:
        env = session.environment
        self.session = session
        self.caller_number = "" if env.caller_number == "unknown" else env.caller_number
        self.caller_name = env.caller_name
        self.channel = env.channel
        self.linkedid = linkedid

    @classmethod
    async def open(cls, session: AgiSession) -> IvrCallOverAgi:
        """Wrap a fresh session, reading the call's Linkedid so IVR events join the AMI call."""
        port = cls(session)
        port.linkedid = await port.get_variable("CHANNEL(linkedid)") or session.environment.uniqueid
        return port

    def _alive(self) -> None:
        if self.session.hung_up:
            raise CallerHungUp(f"{self.channel}: caller hung up")

    async def play(self, prompt: str, interrupt_digits: str = "") -> str | None:
        """STREAM FILE; the interrupting key or None."""
        self._alive()
        with _caller_gone(self.channel):
            return (await self.session.stream_file(prompt, interrupt_digits)).digit

    async def collect(self, prompt: str, *, max_digits: int, timeout_s: float) -> str | None:
        """GET DATA; the digits typed ("" when ended by # with none), None on a timeout with no digit."""
        self._alive()
        with _caller_gone(self.channel):
            result = await self.session.get_data(prompt, _ms(timeout_s), max_digits)
        if result.timed_out and not result.digits:
            return None
        return result.digits

    async def wait_digit(self, timeout_s: float) -> str | None:
        """WAIT FOR DIGIT; the key or None."""
        self._alive()
        with _caller_gone(self.channel):
            return await self.session.wait_for_digit(_ms(timeout_s))

    async def say(self, kind: SayKind, value: str) -> None:
        """SAY DIGITS / NUMBER / ALPHA, or SAY DATETIME of an ISO date, time, datetime or epoch seconds."""
        self._alive()
        with _caller_gone(self.channel):
            if kind == "digits":
                await self.session.say_digits(value)
            elif kind == "number":
                await self.session.say_number(int(value))
            elif kind == "alpha":
                await self.session.say_alpha(value)
            else:
                await self.session.say_datetime(_wall_clock_epoch(value), "", _SAY_FORMATS[kind], "UTC")

    async def set_variable(self, name: str, value: str) -> None:
        """SET VARIABLE (accepted even after a hang-up)."""
        with _caller_gone(self.channel):
            await self.session.set_variable(name, value)

    async def get_variable(self, name: str) -> str | None:
        """GET VARIABLE; None when unset."""
        with _caller_gone(self.channel):
            return await self.session.get_variable(name)

    async def run_application(self, app: str, args: str = "") -> str:
        """EXEC an allowed application; its result code as text."""
        self._alive()
        with _caller_gone(self.channel):
            return str(await self.session.exec_(app, args))

    async def hangup(self) -> None:
        """HANGUP: the IVR ends the call."""
        self._alive()
        with _caller_gone(self.channel):
            await self.session.hangup()


@contextlib.contextmanager
def _caller_gone(channel: str | None) -> Iterator[None]:
    """Turn the session's hang-up and stall errors into the port's CallerHungUp."""
    try:
        yield
    except AgiHangup as error:
        raise CallerHungUp(f"{channel}: {error}") from error
    except AgiTimeout as error:
        log.warning("FastAGI: Asterisk stopped answering on %s: %s", channel, error)
        raise CallerHungUp(f"{channel}: {error}") from error


def _ms(seconds: float) -> int:
    return max(round(seconds * 1000), 0)


def _wall_clock_epoch(value: str) -> int:
    """Seconds such that Asterisk, told the zone is UTC, says the wall-clock time written in ``value``."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(text))
        except ValueError:
            raise ValueError(f"cannot say {value!r} as a date or time (use ISO 8601 or epoch seconds)") from None
    return calendar.timegm(moment.replace(tzinfo=None).timetuple())


def ivr_session_handler(run_call: Callable[[CallPort, AgiSession], Awaitable[object]]) -> SessionHandler:
    """A FastAGI session handler that opens the IVR port and hands it to ``run_call``."""

    async def handle(session: AgiSession) -> None:
        try:
            port = await IvrCallOverAgi.open(session)
        except CallerHungUp:
            return
        await run_call(port, session)

    return handle


def resume_argument(session: AgiSession) -> str | None:
    """``<flow>/<node>`` from an AGI argument ``resume=...`` (the dialplan passes ``${IVR_RESUME}`` after Queue)."""
    for argument in session.environment.arguments:
        if argument.startswith(RESUME_PREFIX) and len(argument) > len(RESUME_PREFIX):
            return argument[len(RESUME_PREFIX) :]
    return None


def flow_handlers(engine: IvrEngine) -> Callable[[str], SessionHandler | None]:
    """Script lookup for :class:`AgiServer`: ``agi://host:port/<flow>`` runs that published flow."""

    async def run_flow(port: CallPort, session: AgiSession) -> None:
        await engine.run(port, session.environment.script, resume_at=resume_argument(session))

    handler = ivr_session_handler(run_flow)
    return lambda script: handler if engine.catalog.get(script) is not None else None
