"""A minimal raw AMI client for the tests: sends bytes as given and records every message received."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage, encode_action


class RawAmiClient:
    """One TCP connection to an AMI server; `messages` grows as bytes arrive."""

    def __init__(self) -> None:
        self.decoder = AmiDecoder(expect_banner=True)
        self.messages: list[AmiMessage] = []
        self.raw = bytearray()
        self.closed = asyncio.Event()
        self._changed = asyncio.Event()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None

    async def connect(self, port: int) -> RawAmiClient:
        """Connect to 127.0.0.1:`port` and start reading."""
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", port)
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._reader is not None
        while True:
            data = await self._reader.read(65536)
            if not data:
                break
            self.raw.extend(data)
            self.messages.extend(self.decoder.feed(data))
            self._changed.set()
        self.closed.set()
        self._changed.set()

    async def send_raw(self, data: bytes) -> None:
        """Send bytes exactly as given."""
        assert self._writer is not None
        self._writer.write(data)
        await self._writer.drain()

    async def action(self, name: str, fields: dict[str, str] | list[tuple[str, str]] | None = None,
                     action_id: str | None = None) -> AmiMessage:  # fmt: skip
        """Send an action and wait for its response (matched by ActionID)."""
        await self.send_raw(encode_action(name, fields or {}, action_id=action_id))
        return await self.wait_for(lambda m: m.kind == "response" and m.action_id == action_id)

    async def wait_for(self, predicate: Callable[[AmiMessage], bool], within: float = 10.0,
                       start: int = 0) -> AmiMessage:  # fmt: skip
        """The first message (from index `start`) matching `predicate`, waiting for it if needed."""

        async def scan() -> AmiMessage:
            index = start
            while True:
                while index < len(self.messages):
                    if predicate(self.messages[index]):
                        return self.messages[index]
                    index += 1
                if self.closed.is_set():
                    raise ConnectionError("connection closed before the expected message")
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(scan(), within)

    async def close(self) -> None:
        """Close the connection."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
        if self._task is not None:
            self._task.cancel()
