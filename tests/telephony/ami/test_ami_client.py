"""The AMI client over real TCP against a server replaying the Asterisk 22 captures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from callcenter.config import AmiServerSettings
from callcenter.telephony.ami import (
    AmiActionError,
    AmiAuthenticationError,
    AmiClient,
    AmiConnectionError,
    AmiDecoder,
    AmiMessage,
    AmiServers,
    AmiTimeoutError,
)
from tests.telephony.ami.fake_asterisk import CALL_EVENTS, QUEUE_STATUS, FakeAsterisk, capture_frames


@pytest.fixture
async def fake() -> AsyncIterator[FakeAsterisk]:
    server = await FakeAsterisk().start()
    yield server
    await server.stop()


class Recorder:
    """Consumer and on_connect hook that remember what they saw."""

    def __init__(self) -> None:
        self.events: list[AmiMessage] = []
        self.hooks: list[tuple[int, int | None]] = []
        self.hook_called = asyncio.Event()
        self.arrived = asyncio.Event()

    async def consume(self, event: AmiMessage) -> None:
        self.events.append(event)
        self.arrived.set()

    async def on_connect(self, client: AmiClient) -> None:
        self.hooks.append((client.connections, client.boot.number if client.boot else None))
        self.hook_called.set()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while not predicate():
                self.arrived.clear()
                await self.arrived.wait()

    async def wait_hooks(self, count: int, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while len(self.hooks) < count:
                self.hook_called.clear()
                await self.hook_called.wait()


def make_client(fake: FakeAsterisk, recorder: Recorder | None = None, **kwargs: object) -> AmiClient:
    options: dict[str, object] = {
        "username": "callcenter",
        "secret": "lab-secret",
        "reconnect_min_delay": 0.05,
        "reconnect_max_delay": 0.2,
    }
    if recorder is not None:
        options.update(consumer=recorder.consume, on_connect=recorder.on_connect)
    options.update(kwargs)
    return AmiClient("pbx1", "127.0.0.1", fake.port, **options)  # type: ignore[arg-type]


def decoded(frames: list[bytes]) -> list[list[tuple[str, str]]]:
    return [m.headers for m in AmiDecoder(expect_banner=False).feed(b"".join(frames))]


async def test_login_sends_credentials_and_event_filter(fake: FakeAsterisk) -> None:
    recorder = Recorder()
    async with make_client(fake, recorder, events="call,agent,system") as client:
        assert client.connected
        assert client.banner == "Asterisk Call Manager/11.0.0"
        (login,) = fake.logins
        assert (login["Username"], login["Secret"], login["Events"]) == (
            "callcenter",
            "lab-secret",
            "call,agent,system",
        )
        assert client.boot is not None and client.boot.number == 1
        await recorder.wait_hooks(1)
        # FullyBooted after login reaches the consumer, tagged with the server.
        await recorder.wait_for(lambda: any(e.name == "FullyBooted" for e in recorder.events))
        assert all(e.server == "pbx1" for e in recorder.events)


async def test_bad_login_is_a_clear_error(fake: FakeAsterisk) -> None:
    client = make_client(fake, secret="wrong")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(AmiAuthenticationError) as caught:
        await client.connect()
    assert loop.time() - started >= fake.auth_delay  # Asterisk answers only after its delay
    message = str(caught.value)
    assert "pbx1" in message and "'callcenter'" in message and "Authentication failed" in message
    assert not client.connected
    assert len(fake.logins) == 1  # connect() does not retry a refused login
    await asyncio.sleep(0.3)
    assert len(fake.logins) == 1
    assert fake.live == []


async def test_connect_to_nothing_is_a_clear_error(fake: FakeAsterisk) -> None:
    await fake.stop()
    client = make_client(fake)
    with pytest.raises(AmiConnectionError, match=r"cannot connect to AMI server pbx1 \(127\.0\.0\.1:\d+\)"):
        await client.connect()


async def test_200_concurrent_actions_correlated_by_action_id(fake: FakeAsterisk) -> None:
    async with make_client(fake) as client:
        names = [f"VAR{i}" for i in range(200)]
        replies = await asyncio.gather(*(client.action("Getvar", {"Variable": n}) for n in names))
        assert [r["Value"] for r in replies] == [f"value-of-{n}" for n in names]
        (session,) = fake.live
        sent_ids = [a.action_id for a in session.actions if a.name == "Getvar"]
        assert len(set(sent_ids)) == 200
        # The server really answered out of order, so FIFO matching would have failed.
        order = [r.message.action_id for r in replies]
        assert sorted(order) == sorted(sent_ids)


async def test_list_action_collects_items_while_unrelated_events_flow(fake: FakeAsterisk) -> None:
    recorder = Recorder()
    async with make_client(fake, recorder) as client:
        await recorder.wait_for(lambda: any(e.name == "FullyBooted" for e in recorder.events))
        before = len(recorder.events)
        reply = await client.action("QueueStatus", {"Queue": "support"})
        assert reply["EventList"] == "start"
        assert [e.headers[0][1] for e in reply.events] == ["QueueParams", "QueueMember", "QueueMember", "QueueMember"]
        assert reply.complete is not None and reply.complete.name == "QueueStatusComplete"
        assert reply.complete["ListItems"] == str(len(reply.events))
        assert reply.events[0]["Strategy"] == "rrmemory"
        assert all(e.server == "pbx1" for e in reply.events)
        # The interleaved events went to the consumer, in order; none of the list items did.
        interleaved = len(QUEUE_STATUS) - 1  # one unrelated event before each item and before the Complete
        await recorder.wait_for(lambda: len(recorder.events) >= before + interleaved)
        assert [e.headers for e in recorder.events[before:]] == decoded(fake.interleave[:interleaved])
        assert not any(e.action_id == reply.message.action_id for e in recorder.events)
        assert len(QUEUE_STATUS) == 6


async def test_command_output_and_errors_carry_the_action(fake: FakeAsterisk) -> None:
    async with make_client(fake) as client:
        assert await client.command("core show version") == [
            "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-23 12:45:10 UTC"
        ]
        with pytest.raises(AmiActionError) as caught:
            await client.command("foo bar baz")
        assert caught.value.action == "Command"
        assert "No such command 'foo bar baz'" in str(caught.value)
        with pytest.raises(AmiActionError) as unknown:
            await client.action("FooBar", {"Queue": "support"})
        assert unknown.value.action == "FooBar"
        assert unknown.value.message.startswith("Invalid/unknown command: FooBar.")
        assert "AMI action FooBar on pbx1 failed" in str(unknown.value)
        assert await client.ping() > 0  # the connection is still fine after errors


async def test_action_timeout_and_header_injection(fake: FakeAsterisk) -> None:
    async with make_client(fake, action_timeout=0.2) as client:
        with pytest.raises(AmiTimeoutError, match=r"no reply to AMI action Hang from pbx1 within 0\.2 s"):
            await client.action("Hang")
        with pytest.raises(ValueError):
            await client.action("Getvar", {"Variable": "X\r\nAction: Hangup"})
        assert (await client.action("Getvar", {"Variable": "Y"}))["Value"] == "value-of-Y"


async def test_connection_cut_mid_message_reconnects_without_half_messages(fake: FakeAsterisk) -> None:
    recorder = Recorder()
    client = make_client(fake, recorder)
    await client.connect()
    try:
        await recorder.wait_hooks(1)
        pending = asyncio.create_task(client.action("Hang"))
        await asyncio.sleep(0.05)
        whole = CALL_EVENTS[:20]
        half = CALL_EVENTS[20][: len(CALL_EVENTS[20]) // 2]
        fake.cut(b"".join(whole) + half)
        with pytest.raises(AmiConnectionError, match="lost"):
            await pending  # an action in flight fails at once instead of waiting for its timeout
        await recorder.wait_hooks(2)
        fake.push(CALL_EVENTS[21])
        await recorder.wait_for(lambda: sum(e.name != "FullyBooted" for e in recorder.events) == len(whole) + 1)
        calls = [e.headers for e in recorder.events if e.name != "FullyBooted"]
        assert calls == decoded([*whole, CALL_EVENTS[21]])
        assert client.connections == 2
        assert client.boot is not None and client.boot.number == 1  # same Asterisk boot, no restart
        assert recorder.hooks == [(1, 1), (2, 1)]
    finally:
        await client.close()


async def test_restart_shutdown_reconnect_fully_booted_new_boot(fake: FakeAsterisk) -> None:
    recorder = Recorder()
    async with make_client(fake, recorder) as client:
        await recorder.wait_hooks(1)
        first_boot = client.boot
        fake.restart()
        await recorder.wait_hooks(2)
        assert client.connected
        names = [e.name for e in recorder.events]
        assert names.count("FullyBooted") == 2
        assert names.index("Shutdown") < len(names) - 1 - names[::-1].index("FullyBooted")
        shutdown = next(e for e in recorder.events if e.name == "Shutdown")
        assert shutdown["Restart"] == "True"
        last_booted = [e for e in recorder.events if e.name == "FullyBooted"][-1]
        assert last_booted["Uptime"] == "0"
        assert first_boot is not None and client.boot is not None
        assert client.boot.number == first_boot.number + 1
        assert recorder.hooks == [(1, 1), (2, 2)]
        assert len(fake.logins) == 2


async def test_dead_link_detected_by_keepalive_and_reconnected(fake: FakeAsterisk) -> None:
    recorder = Recorder()
    async with make_client(fake, recorder, keepalive_interval=0.1, keepalive_timeout=0.2) as client:
        await recorder.wait_hooks(1)
        (session,) = fake.live
        session.stalled = True  # the socket stays open but nothing comes back
        await recorder.wait_hooks(2, within=5)
        assert client.connections == 2
        assert session.writer.is_closing()  # the client dropped the dead connection itself
        assert await client.ping() > 0


async def test_stalled_consumer_pauses_reading_and_loses_nothing(fake: FakeAsterisk) -> None:
    release = asyncio.Event()
    received: list[AmiMessage] = []

    delivered = asyncio.Event()

    async def slow_consumer(event: AmiMessage) -> None:
        await release.wait()
        received.append(event)
        delivered.set()

    burst = [f for f in capture_frames("ami-09-burst-sales-ringall.txt") if f.startswith(b"Event: ")]
    client = make_client(fake, consumer=slow_consumer, max_backlog=200, keepalive_interval=0.05, keepalive_timeout=0.1)
    async with client:
        (session,) = fake.live
        # Keep sending until the kernel buffers are full and data piles up in the server's own buffer:
        # proof that the client stopped reading and TCP pushed back on the sender.
        rounds = 0
        while session.writer.transport.get_write_buffer_size() == 0 and rounds < 60:
            fake.push(b"".join(burst))
            rounds += 1
            await asyncio.sleep(0.02)
        assert session.writer.transport.get_write_buffer_size() > 0
        assert client.reading_paused
        await asyncio.sleep(0.5)  # several keepalive periods while paused: the link must survive
        assert client.reading_paused
        # Bounded: at most the backlog limit plus what one socket read can hold.
        assert client.backlog < 200 + 1000
        assert client.connections == 1
        release.set()
        expected = 1 + rounds * len(burst)  # FullyBooted + the bursts
        async with asyncio.timeout(10):
            while len(received) < expected:
                delivered.clear()
                await delivered.wait()
        assert not client.reading_paused
        assert client.connections == 1
        events = [e.headers for e in received[1:]]
        assert events == decoded(burst) * rounds


async def test_actions_fail_fast_when_not_connected(fake: FakeAsterisk) -> None:
    client = make_client(fake)
    with pytest.raises(AmiConnectionError, match="not connected to AMI server pbx1"):
        await client.action("Ping")


async def test_reconnects_with_backoff_until_the_server_comes_back(fake: FakeAsterisk) -> None:
    port = fake.port
    await fake.stop()
    recorder = Recorder()
    client = make_client(fake, recorder)
    await client.start()
    try:
        await asyncio.sleep(0.4)  # several refused attempts
        assert not client.connected
        assert isinstance(client.last_error, AmiConnectionError)
        await fake.start(port)
        async with asyncio.timeout(5):
            await client.wait_connected()
        await recorder.wait_hooks(1)
        assert (await client.action("Getvar", {"Variable": "Z"}))["Value"] == "value-of-Z"
    finally:
        await client.close()


async def test_several_servers_events_tagged_with_their_server() -> None:
    first, second = await FakeAsterisk().start(), await FakeAsterisk().start()
    recorder = Recorder()
    settings = [
        AmiServerSettings(name=name, port=fake.port, username="callcenter", secret="lab-secret")
        for name, fake in (("east", first), ("west", second))
    ]
    servers = AmiServers.from_settings(settings, consumer=recorder.consume, on_connect=recorder.on_connect)
    try:
        await servers.start()
        async with asyncio.timeout(5):
            await servers["east"].wait_connected()
            await servers["west"].wait_connected()
        first.push(CALL_EVENTS[0])
        second.push(CALL_EVENTS[1] + CALL_EVENTS[2])
        await recorder.wait_for(lambda: sum(e.name != "FullyBooted" for e in recorder.events) == 3)
        by_server = {
            name: [e.headers for e in recorder.events if e.server == name and e.name != "FullyBooted"]
            for name in ("east", "west")
        }
        assert by_server == {"east": decoded(CALL_EVENTS[:1]), "west": decoded(CALL_EVENTS[1:3])}
        assert {e.server for e in recorder.events if e.name == "FullyBooted"} == {"east", "west"}
        assert [c.name for c in servers] == ["east", "west"]
    finally:
        await servers.close()
        await first.stop()
        await second.stop()


def test_server_names_must_be_unique() -> None:
    clients = [AmiClient("pbx", "127.0.0.1", username="u", secret="s") for _ in range(2)]
    with pytest.raises(ValueError, match="two AMI servers are named 'pbx'"):
        AmiServers(clients)


async def test_without_fully_booted_only_a_shutdown_marks_a_new_boot(fake: FakeAsterisk) -> None:
    fake.send_fully_booted = False
    recorder = Recorder()
    async with make_client(fake, recorder, fully_booted_wait=0.05) as client:
        await recorder.wait_hooks(1)
        fake.cut()  # a dropped connection is not a restart
        await recorder.wait_hooks(2)
        fake.restart()
        await recorder.wait_hooks(3)
        assert recorder.hooks == [(1, 1), (2, 1), (3, 2)]
        assert client.boot is not None and client.boot.started_at is None


async def test_consumer_errors_do_not_stop_delivery(fake: FakeAsterisk) -> None:
    delivered: list[str] = []

    def picky(event: AmiMessage) -> None:
        if event.name == "Newchannel":
            raise RuntimeError("consumer bug")
        delivered.append(event.name)

    async with make_client(fake, consumer=picky) as client:
        fake.push(b"".join(CALL_EVENTS[:6]))
        expected = [m.name for m in AmiDecoder(expect_banner=False).feed(b"".join(CALL_EVENTS[:6]))]
        assert "Newchannel" in expected
        async with asyncio.timeout(5):
            while len(delivered) < 1 + sum(name != "Newchannel" for name in expected):
                await client.ping()
        assert delivered == ["FullyBooted", *(name for name in expected if name != "Newchannel")]
        assert client.connected


async def test_client_event_filter_keeps_lifecycle_events(fake: FakeAsterisk) -> None:
    recorder = Recorder()
    async with make_client(fake, recorder, only_events={"Hangup"}) as client:
        await recorder.wait_hooks(1)
        # List items are replies, not subscriptions: they arrive whatever the filter says.
        status = await client.action("QueueStatus")
        assert [e.name for e in status.events] == ["QueueParams", "QueueMember", "QueueMember", "QueueMember"]
        fake.push(b"".join(CALL_EVENTS))
        hangups = sum(f.startswith(b"Event: Hangup\r\n") for f in CALL_EVENTS)
        await recorder.wait_for(lambda: sum(e.name == "Hangup" for e in recorder.events) == hangups)
        fake.restart()
        await recorder.wait_hooks(2)
        names = [e.name for e in recorder.events]
        assert set(names) == {"FullyBooted", "Hangup", "Shutdown"}
        assert names.count("FullyBooted") == 2


async def test_md5_challenge_login_never_sends_the_secret(fake: FakeAsterisk) -> None:
    async with make_client(fake, auth="md5") as client:
        assert client.connected
        (session,) = fake.live
        challenge, login = session.actions[:2]
        assert (challenge.name, challenge["AuthType"]) == ("Challenge", "MD5")
        assert login["AuthType"] == "MD5" and "Secret" not in login
        assert len(login["Key"]) == 32
    with pytest.raises(AmiAuthenticationError, match="Authentication failed"):
        await make_client(fake, auth="md5", secret="wrong").connect()


def test_credentials_with_line_breaks_are_refused_up_front() -> None:
    with pytest.raises(ValueError, match="AMI secret must not contain CR or LF"):
        AmiClient("pbx", "127.0.0.1", username="callcenter", secret="x\r\nAction: Originate")


async def test_consumer_awaiting_actions_while_reading_is_paused_does_not_deadlock(fake: FakeAsterisk) -> None:
    handled: list[str] = []
    client: AmiClient

    async def enriching_consumer(event: AmiMessage) -> None:
        if event.name == "Newchannel":
            # The reply sits behind events in the same socket: reading must go on while it is awaited.
            reply = await client.action("Getvar", {"Variable": event["Uniqueid"]})
            assert reply["Value"] == f"value-of-{event['Uniqueid']}"
        handled.append(event.name)

    client = make_client(fake, consumer=enriching_consumer, max_backlog=20)
    async with client:
        burst = b"".join(CALL_EVENTS) * 5
        fake.push(burst)
        expected = 1 + len(CALL_EVENTS) * 5  # FullyBooted + the events
        async with asyncio.timeout(10):
            while len(handled) < expected:
                await client.ping()
        assert client.connections == 1


async def test_oversize_frame_is_dropped_and_the_connection_lives_on(fake: FakeAsterisk) -> None:
    recorder = Recorder()
    async with make_client(fake, recorder, max_frame_bytes=10_000) as client:
        await recorder.wait_hooks(1)
        fake.push(b"Event: Huge\r\nData: " + b"x" * 50_000 + b"\r\n\r\n" + CALL_EVENTS[0])
        await recorder.wait_for(lambda: recorder.events[-1].name != "FullyBooted")
        assert [e.name for e in recorder.events] == ["FullyBooted", decoded(CALL_EVENTS[:1])[0][0][1]]
        assert client.connections == 1 and await client.ping() > 0


async def test_background_client_keeps_retrying_a_refused_login(fake: FakeAsterisk) -> None:
    fake.auth_delay = 0.05
    client = make_client(fake, secret="wrong")
    await client.start()  # a service must not die because Asterisk refused it once; it retries with backoff
    try:
        for _ in range(500):
            if len(fake.logins) >= 3:
                break
            await asyncio.sleep(0.01)
        assert len(fake.logins) >= 3
        assert isinstance(client.last_error, AmiAuthenticationError)
        assert not client.connected
    finally:
        await client.close()
