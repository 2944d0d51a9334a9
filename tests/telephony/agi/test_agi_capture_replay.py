"""Replay each real Asterisk FastAGI capture over TCP into the server, running the capture's IVR script.

The fake Asterisk sends the capture's from-asterisk lines in transcript order, reading one server line
per ``S>`` entry; the server must send exactly the capture's to-asterisk bytes, half-close, and the
typed session methods must return what the recorded replies mean.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from callcenter.telephony.agi import (
    AgiCommandError,
    AgiHangup,
    AgiSession,
    GetDataResult,
    StreamFileResult,
)
from tests.telephony.agi.agi_support import CAPTURES, raw_bytes, read_transcript, running_server

# Each step: (session method, arguments, expected outcome). An outcome is the returned value, or
# ("raises", exception class, reply code) when the call raises.
HANGUP = ("raises", AgiHangup, None)


def menu(number: str, key: str | None, endpos: int) -> list[tuple[str, tuple[Any, ...], Any]]:
    return [
        ("get_variable", ("CALLERID(num)",), number),
        ("stream_file", ("vm-options", "123"), StreamFileResult(key, endpos)),
    ]


AFTER_IVR_HANGUP = [
    ("stream_file", ("vm-goodbye", ""), StreamFileResult(None, 7040)),
    ("hangup", (), None),
    ("wait_hangup", (), None),
    ("set_variable", ("IVR_QUEUE", "none"), None),
]

ANSWER = ("answer", (), None)
ERROR_PROBES = [
    ("command", ("FOOBAR", "baz"), ("raises", AgiCommandError, 510)),
    ("command", ("STREAM FILE",), ("raises", AgiCommandError, 520)),
    ("command", ("GET DATA",), ("raises", AgiCommandError, 520)),
    ("noop", ("errors-done",), None),
]
GOODBYE_511 = ("stream_file", ("vm-goodbye", ""), HANGUP)


def account(digits: str, queue: str) -> list[tuple[str, tuple[Any, ...], Any]]:
    return [
        ("get_data", ("agent-pass", 5000, 4), GetDataResult(digits, False)),
        ("set_variable", ("IVR_ACCOUNT", digits), None),
        ("set_variable", ("IVR_QUEUE", queue), None),
    ]


SCRIPTS: dict[str, list[tuple[str, tuple[Any, ...], Any]]] = {
    "agi-01-main-menu": [ANSWER, *menu("+15551230001", "1", 17760), *account("4321", "support")],
    "agi-02-errors-510-520": [ANSWER, *ERROR_PROBES, *menu("+15551230009", "2", 17760), *account("3141", "sales")],
    "agi-03-hangup-during-get-data": [
        ANSWER,
        *menu("+15551230010", "1", 17760),
        ("get_data", ("agent-pass", 5000, 4), HANGUP),
        ("wait_hangup", (), None),
        ("set_variable", ("IVR_QUEUE", "none"), None),
        GOODBYE_511,
    ],
    "agi-04-ivr-hangs-up": [ANSWER, *menu("+15551230011", "3", 17760), *AFTER_IVR_HANGUP, GOODBYE_511],
    "agi-06-option-3-goodbye": [ANSWER, *menu("+15551234410", "3", 17760), *AFTER_IVR_HANGUP, GOODBYE_511],
    "agi-06-no-input-timeouts": [
        ANSWER,
        *menu("+15551237702", None, 131040),
        ("wait_for_digit", (5000,), None),
        ("get_data", ("agent-pass", 5000, 4), GetDataResult("", True)),
        *AFTER_IVR_HANGUP,
    ],
    "agi-06-hangup-mid-prompt": [
        ANSWER,
        ("get_variable", ("CALLERID(num)",), "+15551232058"),
        ("stream_file", ("vm-options", "123"), HANGUP),
        ("wait_hangup", (), None),
        ("get_data", ("agent-pass", 5000, 4), HANGUP),
        ("verbose", ("caller hung up during main menu", 1), None),
    ],
}


def test_every_capture_has_a_script() -> None:
    assert sorted(SCRIPTS) == CAPTURES


async def run_script(session: AgiSession, steps: list[tuple[str, tuple[Any, ...], Any]], outcomes: list[Any]) -> None:
    for method, args, _ in steps:
        try:
            outcomes.append(await getattr(session, method)(*args))
        except AgiCommandError as error:
            outcomes.append(("raises", AgiCommandError, error.reply.code))
        except AgiHangup:
            outcomes.append(("raises", AgiHangup, None))


async def replay(port: int, name: str) -> tuple[bytes, bytes, bool]:
    """Play Asterisk's side of a capture; return (bytes sent, bytes the server sent, server half-closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = bytearray()
    received = bytearray()
    half_closed = False
    for line in read_transcript(name):
        if line.direction == "A":
            data = (line.text + "\n").encode()
            sent += data
            writer.write(data)
        elif line.direction == "S":
            received += await asyncio.wait_for(reader.readline(), 5)
        elif "half-closes" in line.text:
            rest = await asyncio.wait_for(reader.read(), 5)
            received += rest
            half_closed = reader.at_eof()
        elif "EOF from Asterisk" in line.text:
            await writer.drain()
            writer.close()
            await writer.wait_closed()
    return bytes(sent), bytes(received), half_closed


@pytest.mark.parametrize("name", CAPTURES)
async def test_capture_replayed_byte_for_byte(name: str) -> None:
    steps = SCRIPTS[name]
    outcomes: list[Any] = []
    done = asyncio.Event()

    async def handler(session: AgiSession) -> None:
        try:
            await run_script(session, steps, outcomes)
        finally:
            done.set()

    script = read_transcript(name)[2].text.split(": ", 1)[1]  # agi_network_script
    async with running_server({script: handler}) as server:
        sent, received, half_closed = await replay(server.port, name)
        await asyncio.wait_for(done.wait(), 5)

    assert sent == raw_bytes(name, "from-asterisk")
    assert received == raw_bytes(name, "to-asterisk")
    assert half_closed
    assert outcomes == [expected for _, _, expected in steps]
