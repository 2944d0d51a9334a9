"""Shared helpers for the FastAGI tests: the captures, a server on an ephemeral port, a raw peer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from callcenter.telephony.agi import AgiLimits, AgiServer, SessionHandler

TRACES = Path(__file__).resolve().parents[2] / "data" / "asterisk-traces"
CAPTURES = sorted(path.name.removesuffix(".txt") for path in TRACES.glob("agi-*.txt"))


@dataclass(frozen=True)
class TranscriptLine:
    direction: str  # "A" (Asterisk), "S" (server) or "#" (annotation)
    text: str


def read_transcript(name: str) -> list[TranscriptLine]:
    """The ``+SSS.mmm X> line`` transcript of a capture."""
    lines = []
    for raw in (TRACES / f"{name}.txt").read_text().splitlines():
        _, rest = raw.split(" ", 1)
        if rest.startswith("# "):
            lines.append(TranscriptLine("#", rest[2:]))
        else:
            lines.append(TranscriptLine(rest[0], rest[3:]))
    return lines


def raw_bytes(name: str, direction: str) -> bytes:
    """``from-asterisk`` or ``to-asterisk`` bytes of a capture."""
    return (TRACES / f"{name}.{direction}.raw").read_bytes()


@contextlib.asynccontextmanager
async def running_server(
    handlers: Mapping[str, SessionHandler], *, default_script: str | None = None, limits: AgiLimits | None = None
) -> AsyncIterator[AgiServer]:
    """An AgiServer on 127.0.0.1 and an ephemeral port, closed afterwards."""
    server = AgiServer(handlers, host="127.0.0.1", port=0, default_script=default_script, limits=limits)
    await server.start()
    try:
        yield server
    finally:
        await server.close(grace_s=1.0)


async def read_until_closed(reader: asyncio.StreamReader, limit_s: float = 5.0) -> bytes:
    """Everything the server still sends until it closes or half-closes the connection."""
    return await asyncio.wait_for(reader.read(), limit_s)


def env_block(script: str = "main-menu", **extra: str) -> bytes:
    """A minimal environment block like Asterisk's."""
    lines = [
        "agi_network: yes",
        f"agi_network_script: {script}",
        f"agi_request: agi://127.0.0.1:4573/{script}",
        "agi_channel: Local/s@customer-00000000;1",
        "agi_uniqueid: 1795438657.0",
        "agi_callerid: +15551230001",
        "agi_calleridname: Alice",
    ]
    lines += [f"agi_{key}: {value}" for key, value in extra.items()]
    return ("\n".join(lines) + "\n\n").encode()
