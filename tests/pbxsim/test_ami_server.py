"""The simulator's AMI listener answers like Asterisk 22: banner, login, permissions, errors, framing."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time

from callcenter.pbxsim.simulator import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.conftest import action_blocks, eventually
from tests.pbxsim.views import load_trace


async def login(client: RawAmiClient, user: str = "callcenter", secret: str = "lab-secret", **extra: str) -> None:
    reply = await client.action("Login", {"Username": user, "Secret": secret, **extra}, action_id="login")
    assert reply["Message"] == "Authentication accepted"


async def test_banner_is_one_line_without_an_empty_line(sim: PbxSimulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.ami_port)
    banner = await reader.readexactly(len(b"Asterisk Call Manager/11.0.0\r\n"))
    assert banner == b"Asterisk Call Manager/11.0.0\r\n"
    # nothing else arrives until the client speaks
    try:
        extra = await asyncio.wait_for(reader.read(1), 0.2)
    except TimeoutError:
        extra = b""
    assert extra == b""
    writer.close()


def response_view(messages: list) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    """The responses: (Response, ActionID, Message, Output, Ping) - what a client reads back."""
    return [
        (m.name, m.action_id, m.get("Message"), m.get("Output"), m.get("Ping"))
        for m in messages
        if m.kind == "response"
    ]


async def test_errors_and_odd_action_ids_answer_like_ami_06(sim: PbxSimulator, client: RawAmiClient) -> None:
    for block in action_blocks("ami-06-errors.actions.txt"):
        await client.send_raw(block)
    await asyncio.wait_for(client.closed.wait(), 5)
    expected = response_view(load_trace("ami-06-errors.txt"))
    got = response_view(client.messages)
    assert got == expected
    assert expected[4][1] is None  # Ping without ActionID gets a reply without ActionID
    assert any(id_ and len(id_) > 300 for _, id_, *_ in got)
    assert ("Success", "s6-ünicöde-☃", None, None, "Pong") in got


async def test_action_before_login_then_wrong_secret(sim: PbxSimulator, client: RawAmiClient) -> None:
    for block in action_blocks("ami-06-login-failure.actions.txt")[:1]:
        await client.send_raw(block)
    denied = await client.wait_for(lambda m: m.kind == "response")
    assert (denied.name, denied.action_id, denied["Message"]) == ("Error", "s6bad-013", "Permission denied")
    started = time.monotonic()
    await client.send_raw(action_blocks("ami-06-login-failure.actions.txt")[1])
    failed = await client.wait_for(lambda m: m.action_id == "s6bad-014")
    elapsed = time.monotonic() - started
    assert failed["Message"] == "Authentication failed"
    assert elapsed >= 0.9  # Asterisk makes a bad login wait about a second
    await asyncio.wait_for(client.closed.wait(), 2)  # then closes the socket


async def test_unknown_user_is_refused_and_disconnected(sim: PbxSimulator, client: RawAmiClient) -> None:
    await client.send_raw(action_blocks("ami-06-login-unknown-user.actions.txt")[0])
    await asyncio.wait_for(client.closed.wait(), 3)
    assert [(m.name, m.get("Message")) for m in client.messages] == [("Error", "Authentication failed")]


async def test_read_only_user_cannot_originate_but_reads_queues(sim: PbxSimulator, client: RawAmiClient) -> None:
    for block in action_blocks("ami-06-permission-denied.actions.txt"):
        await client.send_raw(block)
    await asyncio.wait_for(client.closed.wait(), 5)
    captured = load_trace("ami-06-permission-denied.txt")
    assert response_view(client.messages) == response_view(captured)
    assert [m.name for m in client.messages if m.kind == "event"] == [m.name for m in captured if m.kind == "event"]
    assert not sim.pbx.calls and not sim.pbx.finished  # the Originate did nothing


async def test_logoff_says_goodbye_and_closes(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    await client.send_raw(b"Action: Logoff\r\nActionID: bye\r\n\r\n")
    await asyncio.wait_for(client.closed.wait(), 2)
    last = client.messages[-1]
    assert (last.name, last.action_id, last["Message"]) == ("Goodbye", "bye", "Thanks for all the fish.")


async def test_lower_case_headers_and_event_filter(sim: PbxSimulator, client: RawAmiClient) -> None:
    await client.send_raw(
        b"action: login\r\nactionid: x1\r\nusername: callcenter\r\nsecret: lab-secret\r\nevents: agent\r\n\r\n"
    )
    ok = await client.wait_for(lambda m: m.action_id == "x1")
    assert ok["Message"] == "Authentication accepted"
    watcher = await RawAmiClient().connect(sim.ami_port)
    await login(watcher, Events="off")
    caller = await RawAmiClient().connect(sim.ami_port)
    await login(caller)
    await caller.send_raw(
        b"Action: Originate\r\nChannel: Local/s@customer\r\nContext: ivr-in\r\nExten: s\r\nPriority: 1\r\n"
        b"CallerID: Eve <+15551230042>\r\nAsync: true\r\nVariable: CHOICE=3\r\n\r\n"
    )
    await eventually(lambda: len(sim.pbx.finished) == 1)
    await watcher.action("Ping", action_id="p")
    await client.action("Ping", action_id="p")
    assert [m for m in watcher.messages if m.kind == "event"] == []
    assert all(m["Privilege"].startswith("agent") for m in client.messages if m.kind == "event")
    assert any(m.name == "Hangup" for m in caller.messages)
    # the originate response came without ActionID because the action had none
    assert next(m for m in caller.messages if m.name == "OriginateResponse").action_id is None
    await watcher.close()
    await caller.close()


async def test_a_client_that_stops_reading_does_not_stall_the_others(sim: PbxSimulator) -> None:
    sim.pbx.config.max_client_buffer = 64 * 1024
    sim.pbx.config.socket_send_buffer = 16 * 1024
    sim.pbx.config.slow_client_timeout = 2.0
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect, so the window stays small
    stalled.connect(("127.0.0.1", sim.ami_port))
    stalled.sendall(b"Action: Login\r\nUsername: callcenter\r\nSecret: lab-secret\r\n\r\n")
    reader = await RawAmiClient().connect(sim.ami_port)
    try:
        await login(reader)
        await eventually(lambda: len(sim.ami.sessions) == 2 and all(s.user for s in sim.ami.sessions))
        for n in range(60):
            await reader.send_raw(
                b"Action: Originate\r\nChannel: Local/s@customer\r\nContext: ivr-in\r\nExten: s\r\n"
                + f"CallerID: C{n} <+1555000{n:04d}>\r\nVariable: CHOICE=3\r\n\r\n".encode()
            )
        await eventually(lambda: len(sim.pbx.finished) == 60)
        pong = await reader.action("Ping", action_id="still-here")
        assert pong["Ping"] == "Pong"
        assert sum(1 for m in reader.messages if m.name == "Hangup") == 120  # every channel of every call
        await eventually(lambda: len(sim.ami.sessions) == 1, within=5)  # the stalled client was dropped
    finally:
        stalled.close()
        await reader.close()


async def test_bad_input_gets_an_error_and_the_session_goes_on(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    await client.send_raw(b"this line has no colon\r\n\r\n")
    await client.send_raw(
        b"Action: QueueAdd\r\nActionID: b1\r\nQueue: support\r\nInterface: X/1\r\nPenalty: high\r\n\r\n"
    )
    await client.send_raw(
        b"Action: Originate\r\nActionID: b2\r\nChannel: Local/s@customer\r\nVariable: HOLD=soon\r\n\r\n"
    )
    await client.send_raw(b"Action: Status\r\nActionID: b3\r\nChannel: Local/none-00000000;1\r\n\r\n")
    await client.send_raw(
        b"Action: Ping\r\nActionID: b4\r\nX: " + b"y" * (2 << 20) + b"\r\n\r\n"
    )  # over the frame limit
    pong = await client.action("Ping", action_id="after")
    assert pong["Ping"] == "Pong"
    by_id = {m.action_id: m for m in client.messages if m.kind == "response"}
    assert by_id["b1"]["Message"] == "Invalid penalty"
    assert by_id["b2"]["Message"] == "Originate failed"
    assert by_id["b3"]["Message"] == "No such channel"
    assert "b4" not in by_id  # the oversize frame was dropped ...
    assert any(
        m.name == "Error" and "Malformed" in (m.get("Message") or "") for m in client.messages
    )  # ... and said so
    assert not sim.pbx.calls and len(sim.ami.sessions) == 1


async def test_md5_challenge_login(sim: PbxSimulator, client: RawAmiClient) -> None:
    challenge = await client.action("Challenge", {"AuthType": "MD5"}, action_id="c1")
    key = hashlib.md5((challenge["Challenge"] + "lab-secret").encode(), usedforsecurity=False).hexdigest()
    reply = await client.action("Login", {"AuthType": "MD5", "Username": "callcenter", "Key": key}, action_id="c2")
    assert reply["Message"] == "Authentication accepted"
    other = await RawAmiClient().connect(sim.ami_port)
    await other.action("Challenge", {"AuthType": "MD5"}, action_id="c3")
    bad = await other.action("Login", {"AuthType": "MD5", "Username": "callcenter", "Key": key}, action_id="c4")
    assert bad["Message"] == "Authentication failed"  # the key of another challenge does not open the door
    await other.close()
    third = await RawAmiClient().connect(sim.ami_port)
    await third.send_raw("Action: Login\r\nActionID: c5\r\nUsername: callcenter\r\nSecret: läb-sécret\r\n\r\n".encode())
    refused = await third.wait_for(lambda m: m.action_id == "c5")
    assert refused["Message"] == "Authentication failed"  # a non-ASCII secret is just wrong, not an error
    await third.close()


async def test_security_events_have_the_fields_of_ami_06(sim: PbxSimulator, client: RawAmiClient) -> None:
    for block in action_blocks("ami-06-errors.actions.txt")[:4]:  # Login twice, FooBar, no Action
        await client.send_raw(block)
    for name in ("ami-06-login-failure.actions.txt", "ami-06-login-unknown-user.actions.txt"):
        other = await RawAmiClient().connect(sim.ami_port)
        for block in action_blocks(name):
            await other.send_raw(block)
        await asyncio.wait_for(other.closed.wait(), 5)
        await other.close()
    await client.action("Ping", action_id="sync")
    trace = load_trace("ami-06-errors.txt")

    def shapes(messages: list) -> list[tuple[str, list[str]]]:
        return [(m.name, [k for k, _ in m.headers]) for m in messages if m.get("Privilege") == "security,all"]

    assert shapes(client.messages) == shapes(trace)[: len(shapes(client.messages))]
    assert [name for name, _ in shapes(client.messages)] == [
        "SuccessfulAuth", "RequestBadFormat", "RequestBadFormat", "RequestNotAllowed", "InvalidPassword",
        "InvalidAccountID",
    ]  # fmt: skip
