"""A small AMI server for client tests that answers with the real bytes of the Asterisk 22 captures.

Replies are frames cut out of tests/data/asterisk-traces (ActionID rewritten to the client's), so the
client is tested against what Asterisk really sends, over a real TCP socket on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage

TRACES = Path(__file__).resolve().parents[2] / "data" / "asterisk-traces"
BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def capture_frames(name: str) -> list[bytes]:
    """The frames of a received-side capture, each with its terminating empty line."""
    raw = (TRACES / name).read_bytes()
    raw = raw[raw.index(b"\r\n") + 2 :]
    return [frame + b"\r\n\r\n" for frame in raw.split(b"\r\n\r\n")[:-1]]


def frames_with_action_id(name: str, action_id: str) -> list[bytes]:
    """Every frame of a capture that carries ``ActionID: action_id``."""
    needle = f"\r\nActionID: {action_id}\r\n".encode()
    return [f for f in capture_frames(name) if needle in b"\r\n" + f]


def with_action_id(frame: bytes, old: str, new: str | None) -> bytes:
    """The frame with its ActionID line replaced (or removed when the action had none)."""
    line = f"ActionID: {old}\r\n".encode()
    return frame.replace(line, f"ActionID: {new}\r\n".encode() if new is not None else b"")


def events_of(name: str) -> list[bytes]:
    """The event frames of a capture (no responses)."""
    return [f for f in capture_frames(name) if f.startswith(b"Event: ")]


def _first(frames: list[bytes], prefix: bytes) -> bytes:
    return next(f for f in frames if f.startswith(prefix))


LOGIN_OK = frames_with_action_id("ami-05-queue-management.txt", "s5-001")[0]
AUTH_FAILED = frames_with_action_id("ami-06-login-failure.txt", "s6bad-014")[0]
PERMISSION_DENIED = frames_with_action_id("ami-06-login-failure.txt", "s6bad-013")[0]
PONG = frames_with_action_id("ami-06-errors.txt", "s6-lowercase")[0]
UNKNOWN_COMMAND = frames_with_action_id("ami-06-errors.txt", "s6-003")[0]
COMMAND_ERROR = frames_with_action_id("ami-06-errors.txt", "s6-011")[0]
COMMAND_VERSION = frames_with_action_id("ami-06-errors.txt", "s6-012")[0]
GOODBYE = frames_with_action_id("ami-06-errors.txt", "s6-020")[0]
QUEUE_STATUS = frames_with_action_id("ami-05-queue-management.txt", "s5-002")
FULLY_BOOTED = _first(capture_frames("ami-05-queue-management.txt"), b"Event: FullyBooted\r\n")
SHUTDOWN = _first(capture_frames("ami-08-restart.txt"), b"Event: Shutdown\r\n")
# The call of ami-01 (FullyBooted left out: tests count it apart, it marks each login).
CALL_EVENTS = [f for f in events_of("ami-01-handled-call.txt") if not f.startswith(b"Event: FullyBooted\r\n")]


@dataclass
class Session:
    """One client connection to the fake server."""

    writer: asyncio.StreamWriter
    authenticated: bool = False
    stalled: bool = False  # reads actions, answers nothing: a dead link seen from the client
    challenge: str = ""  # the last MD5 challenge sent
    actions: list[AmiMessage] = field(default_factory=list)

    def write(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)


class FakeAsterisk:
    """AMI server on 127.0.0.1 speaking like Asterisk 22 (banner, login, Ping, lists, Command, restart)."""

    def __init__(self, *, username: str = "callcenter", secret: str = "lab-secret", auth_delay: float = 0.3) -> None:
        self.username = username
        self.secret = secret
        self.auth_delay = auth_delay
        self.port = 0
        self.sessions: list[Session] = []
        self.logins: list[AmiMessage] = []
        self.booted_at = time.time() - 66
        self.interleave: list[bytes] = CALL_EVENTS[:8]
        self.send_fully_booted = True  # False: as if the login's Events filter left out the system class
        self._server: asyncio.Server | None = None
        self._rng = random.Random(3)

    async def start(self, port: int = 0) -> FakeAsterisk:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port or self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
            for session in self.sessions:
                session.writer.transport.abort()
            await self._server.wait_closed()
            self._server = None

    @property
    def live(self) -> list[Session]:
        return [s for s in self.sessions if not s.writer.is_closing()]

    def push(self, data: bytes) -> None:
        """Send raw bytes to every logged-in client."""
        for session in self.live:
            if session.authenticated:
                session.write(data)

    def cut(self, data: bytes = b"") -> None:
        """Send ``data`` and drop every connection at once (no FIN handshake, like a crash)."""
        for session in self.live:
            session.write(data)
            session.writer.transport.abort()

    def restart(self) -> None:
        """``core restart now``: Shutdown event, close; the next login sees a fresh boot (Uptime 0)."""
        for session in self.live:
            session.write(SHUTDOWN)
            session.writer.close()
        self.booted_at = time.time()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(writer)
        self.sessions.append(session)
        writer.write(BANNER)
        decoder = AmiDecoder(expect_banner=False)
        try:
            while data := await reader.read(65536):
                for action in decoder.feed(data):
                    session.actions.append(action)
                    if not session.stalled:
                        await self._answer(session, action)
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _answer(self, session: Session, action: AmiMessage) -> None:
        name = action.name.lower()
        action_id = action.action_id
        if name == "challenge":
            session.challenge = str(self._rng.randrange(10**8, 10**9))
            session.write(
                f"Response: Success\r\nActionID: {action_id}\r\nChallenge: {session.challenge}\r\n\r\n".encode()
            )
            return
        if name == "login":
            self.logins.append(action)
            if action.get("Username") == self.username and self._secret_matches(session, action):
                session.authenticated = True
                uptime = int(time.time() - self.booted_at)
                session.write(with_action_id(LOGIN_OK, "s5-001", action_id))
                if self.send_fully_booted:
                    session.write(FULLY_BOOTED.replace(b"Uptime: 66\r\n", f"Uptime: {uptime}\r\n".encode()))
            else:
                # Asterisk waits about a second before refusing, then closes the socket.
                await asyncio.sleep(self.auth_delay)
                session.write(with_action_id(AUTH_FAILED, "s6bad-014", action_id))
                session.writer.close()
            return
        if not session.authenticated:
            session.write(with_action_id(PERMISSION_DENIED, "s6bad-013", action_id))
            return
        if name == "ping":
            session.write(with_action_id(PONG, "s6-lowercase", action_id))
        elif name == "getvar":
            # Answered after a random delay, so replies come back out of order.
            asyncio.get_running_loop().call_later(self._rng.uniform(0, 0.05), self._getvar_reply, session, action)
        elif name == "queuestatus":
            response, *items = QUEUE_STATUS
            session.write(with_action_id(response, "s5-002", action_id))
            for item, unrelated in zip(items, self.interleave, strict=False):
                session.write(unrelated)
                session.write(with_action_id(item, "s5-002", action_id))
            for item in items[len(self.interleave) :]:
                session.write(with_action_id(item, "s5-002", action_id))
        elif name == "command":
            reply, old = (
                (COMMAND_VERSION, "s6-012")
                if action.get("Command") == "core show version"
                else (COMMAND_ERROR, "s6-011")
            )
            session.write(with_action_id(reply, old, action_id))
        elif name == "logoff":
            session.write(with_action_id(GOODBYE, "s6-020", action_id))
            session.writer.close()
        elif name == "hang":
            pass  # never answered: for timeouts and connections lost with actions pending
        else:
            session.write(with_action_id(UNKNOWN_COMMAND, "s6-003", action_id).replace(b"FooBar", action.name.encode()))

    def _secret_matches(self, session: Session, action: AmiMessage) -> bool:
        if (action.get("AuthType") or "").lower() == "md5":
            expected = hashlib.md5((session.challenge + self.secret).encode(), usedforsecurity=False).hexdigest()
            return bool(session.challenge) and action.get("Key") == expected
        return action.get("Secret") == self.secret

    @staticmethod
    def _getvar_reply(session: Session, action: AmiMessage) -> None:
        lines = ["Response: Success"]
        if action.action_id is not None:
            lines.append(f"ActionID: {action.action_id}")
        lines += [f"Variable: {action.get('Variable')}", f"Value: value-of-{action.get('Variable')}"]
        session.write(("\r\n".join(lines) + "\r\n\r\n").encode())
