"""Hostile or broken peers, unknown scripts and limits: the listener survives and says why."""

from __future__ import annotations

import asyncio
import logging

import pytest

from callcenter.pbxsim.agi_client import AgiCall, ScaledClock, run_agi_call
from callcenter.telephony.agi import AgiConnectionClosed, AgiLimits, AgiSession, AgiTimeout
from tests.telephony.agi.agi_support import env_block, read_until_closed, running_server

FAST = AgiLimits(handshake_timeout_s=0.2, command_timeout_s=0.2, close_timeout_s=0.2, max_line_bytes=512)


async def greet(session: AgiSession) -> None:
    await session.answer()
    await session.set_variable("IVR_QUEUE", "support")


async def still_serves(port: int) -> None:
    """A well-behaved call right after the bad one is served normally."""
    report = await run_agi_call("127.0.0.1", port, AgiCall(), clock=ScaledClock(100), idle_timeout_s=5)
    assert report.variables_set == {"IVR_QUEUE": "support"}


@pytest.mark.parametrize(
    "garbage",
    [
        b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\n",
        b"agi_network: yes\nthis is not agi\n",
    ],
)
async def test_garbage_handshake_is_dropped_and_logged(garbage: bytes, caplog: pytest.LogCaptureFixture) -> None:
    started = []

    async def handler(session: AgiSession) -> None:
        started.append(session)
        await greet(session)

    async with running_server({"main-menu": handler}, limits=FAST) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        with caplog.at_level(logging.WARNING):
            writer.write(garbage)
            assert await read_until_closed(reader) == b""
        writer.close()
        await still_serves(server.port)
    assert len(started) == 1  # only the well-behaved call reached a handler
    assert any("FastAGI: dropping 127.0.0.1:" in message for message in caplog.messages)


async def test_server_keeps_serving_after_garbage() -> None:
    async with running_server({"main-menu": greet}, limits=FAST) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"\x00\xff garbage\n")
        assert await read_until_closed(reader) == b""
        writer.close()
        await still_serves(server.port)


async def test_stalled_handshake_is_closed_after_the_timeout(caplog: pytest.LogCaptureFixture) -> None:
    async with running_server({"main-menu": greet}, limits=FAST) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        with caplog.at_level(logging.WARNING):
            writer.write(b"agi_network: yes\n")  # then nothing
            assert await read_until_closed(reader) == b""
        writer.close()
        await still_serves(server.port)
    assert any("no complete environment in time" in message for message in caplog.messages)


async def test_oversize_handshake_is_refused() -> None:
    limits = AgiLimits(max_handshake_bytes=1024)
    async with running_server({"main-menu": greet}, limits=limits) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"".join(f"agi_var{i}: {'x' * 40}\n".encode() for i in range(100)))
        assert await read_until_closed(reader) == b""
        writer.close()
        await still_serves(server.port)


async def test_stalled_reply_times_out_and_the_session_ends() -> None:
    errors: list[Exception] = []

    async def handler(session: AgiSession) -> None:
        try:
            await greet(session)
        except AgiTimeout as error:
            errors.append(error)
            raise

    async with running_server({"main-menu": handler}, limits=FAST) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(env_block())
        assert await reader.readline() == b"ANSWER\n"
        assert await read_until_closed(reader) == b""  # we never answer: the server half-closes
        writer.close()
        await still_serves(server.port)
    assert len(errors) == 1 and "ANSWER" in str(errors[0])


async def test_oversize_reply_line_closes_the_session() -> None:
    errors: list[Exception] = []

    async def handler(session: AgiSession) -> None:
        try:
            await session.get_variable("CALLERID(name)")
        except AgiConnectionClosed as error:
            errors.append(error)

    async with running_server({"main-menu": handler}, limits=FAST) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(env_block())
        await reader.readline()
        writer.write(b"200 result=1 (" + b"A" * 4096)
        assert await read_until_closed(reader) == b""
        writer.close()
        await asyncio.sleep(0.05)
    assert len(errors) == 1


async def test_unsolicited_replies_and_hangup_floods_are_dropped() -> None:
    async with running_server({"main-menu": greet}, limits=FAST) as server:
        for flood in (b"200 result=0\n" * 3, b"HANGUP\n" * 50):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(env_block())
            assert await reader.readline() == b"ANSWER\n"
            writer.write(b"200 result=0\n" + flood)
            assert b"SET VARIABLE" not in await read_until_closed(reader)
            writer.close()
        await still_serves(server.port)


async def test_unknown_script_runs_the_default(caplog: pytest.LogCaptureFixture) -> None:
    async with running_server({"main-menu": greet}, default_script="main-menu") as server:
        with caplog.at_level(logging.WARNING):
            report = await run_agi_call(
                "127.0.0.1", server.port, AgiCall(script="no-such-flow"), clock=ScaledClock(100), idle_timeout_s=5
            )
    assert report.variables_set == {"IVR_QUEUE": "support"}
    assert any(
        "unknown script 'no-such-flow'" in message and "running the default script 'main-menu'" in message
        for message in caplog.messages
    )


async def test_unknown_script_without_default_gets_a_polite_hangup(caplog: pytest.LogCaptureFixture) -> None:
    async with running_server({"main-menu": greet}) as server:
        with caplog.at_level(logging.WARNING):
            report = await run_agi_call(
                "127.0.0.1", server.port, AgiCall(script="typo-menu"), clock=ScaledClock(100), idle_timeout_s=5
            )
    assert report.commands == ["VERBOSE \"callcenter: no IVR for script 'typo-menu'\" 1", "HANGUP"]
    assert report.hangup_by == "ivr"
    assert any("unknown script 'typo-menu'" in message and "hanging up" in message for message in caplog.messages)


async def test_a_failing_handler_is_logged_and_the_session_still_half_closes(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(session: AgiSession) -> None:
        await session.answer()
        raise RuntimeError("flow bug")

    async with running_server({"main-menu": broken}) as server:
        with caplog.at_level(logging.ERROR):
            reports = [
                await run_agi_call("127.0.0.1", server.port, AgiCall(), clock=ScaledClock(100), idle_timeout_s=5)
                for _ in range(2)
            ]
        assert (server.sessions_started, server.sessions_failed) == (2, 2)
    for report in reports:  # the listener survived the first failure
        assert report.server_half_closed
        assert report.commands == ["ANSWER"]
    assert any("handler for 'main-menu' failed" in message for message in caplog.messages)


async def test_connections_over_the_limit_are_refused() -> None:
    release = asyncio.Event()

    async def waits(session: AgiSession) -> None:
        await release.wait()

    async with running_server({"main-menu": waits}, limits=AgiLimits(max_sessions=2)) as server:
        peers = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(3)]
        for _, writer in peers:
            writer.write(env_block())
        assert await read_until_closed(peers[2][0]) == b""  # the third is refused at once
        peers[2][1].close()
        release.set()
        for reader, writer in peers[:2]:
            assert await read_until_closed(reader) == b""  # the first two end normally (half-close)
            writer.close()
