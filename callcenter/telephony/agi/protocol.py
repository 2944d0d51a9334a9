"""FastAGI wire format, sans I/O: bytes in, events out; commands in, bytes out.

A FastAGI session, as a real Asterisk 22 speaks it (see the captures in the tests):

* Asterisk connects and sends the environment: ``agi_network: yes``, ``agi_network_script: <script>``,
  then the other ``agi_<name>: <value>`` lines (``agi_arg_N`` carry the AGI arguments), each ended by a
  bare LF, and an empty line.
* The server sends one command per line (``STREAM FILE vm-options "123"``); Asterisk answers each with
  ``200 result=N [(data)] [endpos=N]``, ``510 ...``, ``511 ...`` or a multi-line usage block
  ``520-...`` / usage text / ``520 End of proper usage.``.
* ``HANGUP`` on its own line is an unsolicited notification: the channel hung up (or the server
  half-closed its side). It can arrive between any two replies.

Arguments are split by Asterisk on spaces and tabs, with double quotes grouping and a backslash escaping
the next character; :func:`encode_command` quotes what needs it and refuses CR, LF and NUL, so no value
can smuggle a second command onto the wire. :func:`split_arguments` is the Asterisk side of that rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

DEFAULT_MAX_LINE_BYTES = 8192
DEFAULT_MAX_HANDSHAKE_BYTES = 16384

HANGUP_NOTICE = "HANGUP"
USAGE_END = "520 End of proper usage."

_REPLY_200 = re.compile(r"200 result=(\S*)(?: \((.*)\))?(?: endpos=(\d+))?")
_ENV_LINE = re.compile(r"(agi_[A-Za-z0-9_]+): ?(.*)")
_BARE_ARGUMENT = re.compile(r'[^\s"\\\x00]+')
_VERB = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
_CHECKED_VERBS: set[str] = set()


class AgiError(Exception):
    """Base of every FastAGI error."""


class AgiProtocolError(AgiError):
    """The peer sent something that is not FastAGI (garbage, an oversize line or handshake)."""


class UnsafeArgumentError(AgiError, ValueError):
    """A command argument contains CR, LF or NUL and would let its text act as a second command."""


@dataclass(frozen=True, slots=True)
class AgiEnvironment:
    """The ``agi_*`` variables Asterisk sent when the session opened, keyed without the ``agi_`` prefix."""

    variables: dict[str, str]
    arguments: tuple[str, ...] = ()

    def get(self, name: str, default: str | None = None) -> str | None:
        """One variable by its name without ``agi_`` (``callerid``, ``channel`` ...)."""
        return self.variables.get(name, default)

    @property
    def script(self) -> str:
        """The script (path after ``agi://host:port/``) that selects the handler; ``""`` when absent."""
        return self.variables.get("network_script", "")

    @property
    def channel(self) -> str | None:
        """Asterisk channel name (``agi_channel``)."""
        return self.variables.get("channel")

    @property
    def uniqueid(self) -> str | None:
        """The channel's Uniqueid (``agi_uniqueid``)."""
        return self.variables.get("uniqueid")

    @property
    def caller_number(self) -> str:
        """Caller ID number as Asterisk gave it (``agi_callerid``)."""
        return self.variables.get("callerid", "")

    @property
    def caller_name(self) -> str | None:
        """Caller ID name, or None when Asterisk has none (``agi_calleridname``)."""
        name = self.variables.get("calleridname", "")
        return None if name in ("", "unknown") else name


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One answer to a command: status code, ``result=`` value, ``(data)``, ``endpos=`` and raw lines."""

    code: int
    result: str | None = None
    data: str | None = None
    endpos: int | None = None
    lines: tuple[str, ...] = field(default=())

    @property
    def result_int(self) -> int | None:
        """The result as an integer, or None when it is empty or not a number (GET DATA digits are strings)."""
        try:
            return int(self.result) if self.result else None
        except ValueError:
            return None

    @property
    def text(self) -> str:
        """The reply as Asterisk sent it, lines joined by LF."""
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class HangupNotice:
    """The unsolicited ``HANGUP`` line."""


AgiEvent = AgiEnvironment | AgiReply | HangupNotice


_REPLY_CACHE: dict[str, AgiReply] = {}
_REPLY_CACHE_SIZE = 512


def parse_reply_line(line: str) -> AgiReply:
    """Parse a one-line reply (``200 ...``, ``510 ...``, ``511 ...``); raise AgiProtocolError otherwise."""
    cached = _REPLY_CACHE.get(line)
    if cached is not None:
        return cached
    reply = _parse_reply_line(line)
    # Replies are immutable and a handful of short ones ("200 result=1") make up most of the traffic.
    if len(_REPLY_CACHE) < _REPLY_CACHE_SIZE and len(line) <= 32:
        _REPLY_CACHE[line] = reply
    return reply


def _parse_reply_line(line: str) -> AgiReply:
    if line.startswith("200 "):
        match = _REPLY_200.fullmatch(line)
        if match is None:
            raise AgiProtocolError(f"malformed 200 reply: {line[:80]!r}")
        endpos = match.group(3)
        return AgiReply(200, match.group(1), match.group(2), int(endpos) if endpos else None, (line,))
    if len(line) >= 3 and line[:3].isdigit() and (len(line) == 3 or line[3] == " "):
        return AgiReply(int(line[:3]), lines=(line,))
    raise AgiProtocolError(f"not an AGI reply: {line[:80]!r}")


class AgiServerConnection:
    """Server side of one FastAGI connection: feed received bytes, collect events.

    The first event is the :class:`AgiEnvironment`; after it come :class:`AgiReply` and
    :class:`HangupNotice` events in wire order. Oversize lines or handshakes and lines that are not
    AGI raise :class:`AgiProtocolError`; the connection object is unusable afterwards.
    """

    __slots__ = ("_buffer", "_env", "_handshake_bytes", "_max_handshake", "_max_line", "_usage", "environment")

    def __init__(
        self, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, max_handshake_bytes: int = DEFAULT_MAX_HANDSHAKE_BYTES
    ) -> None:
        self._buffer = b""
        self._max_line = max_line_bytes
        self._max_handshake = max_handshake_bytes
        self._handshake_bytes = 0
        self._env: dict[str, str] | None = {}
        self._usage: list[str] | None = None
        self.environment: AgiEnvironment | None = None

    def receive_data(self, data: bytes) -> list[AgiEvent]:
        """Consume bytes from the socket and return the complete events they finish."""
        if (
            self._env is None and not self._buffer and data.find(b"\n") == len(data) - 1 and len(data) <= self._max_line
        ):  # the usual read: exactly one reply line
            event = self._reply_line(data[:-1].decode("utf-8", "replace"))
            return [] if event is None else [event]
        buffer = self._buffer + data if self._buffer else data
        events: list[AgiEvent] = []
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            if end - start > self._max_line:
                raise AgiProtocolError(f"line longer than {self._max_line} bytes")
            line = buffer[start:end].decode("utf-8", "replace")
            if self._env is not None:
                self._handshake_bytes += end - start + 1
                event = self._environment_line(line)
            else:
                event = self._reply_line(line)
            start = end + 1
            if event is not None:
                events.append(event)
        rest = buffer[start:]
        if len(rest) > self._max_line:
            raise AgiProtocolError(f"line longer than {self._max_line} bytes")
        if self._env is not None and self._handshake_bytes + len(rest) > self._max_handshake:
            raise AgiProtocolError(f"environment block larger than {self._max_handshake} bytes")
        self._buffer = rest
        return events

    def _environment_line(self, line: str) -> AgiEnvironment | None:
        env = self._env
        assert env is not None
        if self._handshake_bytes > self._max_handshake:
            raise AgiProtocolError(f"environment block larger than {self._max_handshake} bytes")
        if line == "" or line == "\r":
            if not env:
                raise AgiProtocolError("empty environment block")
            arguments = []
            index = 1
            while f"arg_{index}" in env:
                arguments.append(env[f"arg_{index}"])
                index += 1
            self.environment = AgiEnvironment(env, tuple(arguments))
            self._env = None
            return self.environment
        match = _ENV_LINE.fullmatch(line.rstrip("\r"))
        if match is None:
            raise AgiProtocolError(f"not an agi_* environment line: {line[:80]!r}")
        env[match.group(1)[4:]] = match.group(2)
        return None

    def _reply_line(self, line: str) -> AgiReply | HangupNotice | None:
        usage = self._usage
        if usage is not None:
            usage.append(line)
            if line == USAGE_END:
                self._usage = None
                return AgiReply(520, lines=tuple(usage))
            if len(usage) > 200:
                raise AgiProtocolError("520 usage block longer than 200 lines")
            return None
        if line == HANGUP_NOTICE:
            return HangupNotice()
        if line.startswith("520-"):
            self._usage = [line]
            return None
        return parse_reply_line(line)


def quote_argument(value: str) -> str:
    """Always-quoted form of an argument (``"123"``, ``""``), escaping backslash and double quote."""
    check_argument(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_argument(value: str) -> str:
    """An argument as sent: bare when it is one plain word, quoted and escaped otherwise."""
    if _BARE_ARGUMENT.fullmatch(value):  # no whitespace (so no CR/LF), quote, backslash or NUL
        return value
    check_argument(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_argument(value: str) -> None:
    """Refuse a value that could end the command line early (CR, LF, NUL)."""
    if "\n" in value or "\r" in value or "\0" in value:
        raise UnsafeArgumentError(f"refusing an AGI argument containing CR, LF or NUL: {value[:40]!r}")


def encode_command(verb: str, arguments: Iterable[str] = ()) -> bytes:
    """One command line: the verb words, then each argument already encoded, LF-terminated."""
    if verb not in _CHECKED_VERBS:
        if not _VERB.fullmatch(verb):
            raise UnsafeArgumentError(f"invalid AGI command verb: {verb[:40]!r}")
        if len(_CHECKED_VERBS) < 256:
            _CHECKED_VERBS.add(verb)
    line = " ".join((verb, *arguments))
    if "\n" in line or "\r" in line or "\0" in line:
        raise UnsafeArgumentError(f"refusing an AGI command containing CR, LF or NUL: {line[:40]!r}")
    return (line + "\n").encode()


def split_arguments(line: str) -> list[str]:
    """Split a command line into words the way Asterisk's AGI does (spaces/tabs, quotes, backslash)."""
    if '"' not in line and "\\" not in line:
        return [word for word in line.replace("\t", " ").split(" ") if word]  # nothing quoted or escaped
    words: list[str] = []
    current: list[str] = []
    in_word = quoted = escaped = False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
            in_word = True
        elif char == "\\":
            escaped = True
            in_word = True
        elif char == '"':
            quoted = not quoted
            in_word = True
        elif char in " \t" and not quoted:
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
        else:
            current.append(char)
            in_word = True
    if in_word:
        words.append("".join(current))
    return words


def encode_environment(variables: Iterable[tuple[str, str]]) -> bytes:
    """The environment block Asterisk sends: ``agi_<name>: <value>`` lines and an empty line."""
    lines = [f"agi_{name}: {value}\n" for name, value in variables]
    return ("".join(lines) + "\n").encode()
