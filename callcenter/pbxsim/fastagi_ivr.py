"""IVR over FastAGI: the simulated call's PBX half connects to a FastAGI server, as `AGI(agi://...)` does.

The environment block is the one `agi_client.AgiCall` builds (Asterisk 22's order); each command the
server sends runs on the call's `AgiChannel`, so the AGIExec, DTMF and VarSet events appear on AMI
while the session runs and the caller's keys come from the call's own customer half. Like Asterisk,
a `HANGUP` line follows about 40 ms after the channel dies, and again when the server half-closes.
"""

from __future__ import annotations

import asyncio
import contextlib

from callcenter.pbxsim.agi_client import HANGUP_NOTICE_DELAY_S, AgiCall
from callcenter.pbxsim.agi_exec import AgiChannel
from callcenter.telephony.agi.protocol import HANGUP_NOTICE

MAX_COMMAND_LINE = 64 * 1024


class FastAgiIvr:
    """An `IvrRunner` that relays a FastAGI server's commands to the simulated channel."""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout

    async def run(self, agi: AgiChannel, script: str, args: list[str]) -> None:
        """One FastAGI session; raises `ConnectionError` when the server cannot be reached."""
        ch = agi.channel
        call = AgiCall(
            script=script,
            caller_number=ch.cid_num,
            caller_name=ch.cid_name,
            channel=ch.name,
            uniqueid=ch.uniqueid,
            linkedid=ch.linkedid,
            arguments=tuple(args),
            host_in_request=f"{self.host}:{self.port}",
        )
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=MAX_COMMAND_LINE), self.connect_timeout
            )
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(f"FastAGI server {self.host}:{self.port} unreachable: {exc}") from exc
        session = _Relay(agi, reader, writer)
        try:
            env = "".join(f"agi_{name}: {value}\n" for name, value in call.environment()) + "\n"
            writer.write(env.encode())
            await session.serve()
        finally:
            session.stop()
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


class _Relay:
    def __init__(self, agi: AgiChannel, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.agi = agi
        self.reader = reader
        self.writer = writer
        self.notified = False
        self.busy = False
        self.watch = asyncio.create_task(self._watch_caller())

    async def _watch_caller(self) -> None:
        """A caller who hangs up between commands gets the unsolicited HANGUP line."""
        await self.agi.line.gone.wait()
        await self.agi.clock.sleep(HANGUP_NOTICE_DELAY_S)
        if not self.busy:
            self._notice()

    def _notice(self) -> None:
        if not self.notified and not self.writer.is_closing():
            self.notified = True
            self.writer.write(f"{HANGUP_NOTICE}\n".encode())

    async def serve(self) -> None:
        while True:
            try:
                raw = await self.reader.readline()
            except (ValueError, ConnectionError):
                return
            if not raw.endswith(b"\n"):
                # the server half-closed (or went away): Asterisk says HANGUP and ends the session
                if not self.writer.is_closing():
                    self.writer.write(f"{HANGUP_NOTICE}\n".encode())
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.busy = True
            reply = await self.agi.execute(line)
            self.busy = False
            if self.writer.is_closing():
                return
            self.writer.write(f"{reply}\n".encode())
            if self.agi.dead and not self.notified:
                await self.agi.clock.sleep(HANGUP_NOTICE_DELAY_S)
                self._notice()

    def stop(self) -> None:
        self.watch.cancel()
