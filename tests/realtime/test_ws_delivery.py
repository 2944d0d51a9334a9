"""Delivery guarantees a console relies on: resume by seq, snapshots, slow and silent clients."""

from __future__ import annotations

import asyncio
import json

from websockets.exceptions import ConnectionClosed

from callcenter.realtime.wire import SUPERVISORS, agent_stream
from tests.realtime.conftest import People, Service, StartService, eventually, receive


async def _publish_burst(service: Service, stream: str, count: int) -> None:
    for n in range(count):
        await service.hub.publish(stream, "call.update", {"n": n})
        if n % 50 == 0:
            await asyncio.sleep(0)  # let the server's connections run between slices of the burst


async def test_reconnect_with_seq_during_a_burst_misses_and_repeats_nothing(
    start_service: StartService, people: People
) -> None:
    service = await start_service()
    stream, token = agent_stream(people.ids["alice"]), people.tokens["alice"]
    received: list[dict] = []
    async with service.connect("/ws/agent", token) as ws:
        last = (await receive(ws))["seq"]
        burst = asyncio.create_task(_publish_burst(service, stream, 1000))
        while len(received) < 300:
            received.append(await receive(ws))
        ws.transport.abort()  # the network drops mid-burst; the burst goes on
    last = received[-1]["seq"]
    async with service.connect("/ws/agent", token, query={"since": last}) as ws:
        await burst
        while not received or received[-1]["data"]["n"] != 999:
            received.append(await receive(ws))
    assert [m["data"]["n"] for m in received] == list(range(1000))
    seqs = [m["seq"] for m in received]
    assert seqs == list(range(seqs[0], seqs[0] + 1000))


async def test_beyond_the_buffer_the_client_gets_a_snapshot_first(start_service: StartService, people: People) -> None:
    service = await start_service(replay_buffer=10)
    stream, token = agent_stream(people.ids["alice"]), people.tokens["alice"]
    state = {"calls": 0}

    async def snapshot(name: str) -> dict:
        return {"stream": name, "calls": state["calls"]}

    service.hub.register_snapshot("agent", snapshot)
    async with service.connect("/ws/agent", token) as ws:
        first = await receive(ws)
        assert (first["type"], first["data"]) == ("snapshot", {"stream": stream, "calls": 0})
        await service.hub.publish(stream, "call.update", {"n": 0})
        held = (await receive(ws))["seq"]
    for n in range(1, 51):
        state["calls"] = n
        await service.hub.publish(stream, "call.update", {"n": n})
    async with service.connect("/ws/agent", token, query={"since": held}) as ws:
        snap = await receive(ws)
        assert (snap["type"], snap["data"]["calls"], snap["seq"]) == ("snapshot", 50, held + 50)
        await service.hub.publish(stream, "call.update", {"n": 51})
        live = await receive(ws)
        assert (live["seq"], live["data"]) == (held + 51, {"n": 51})
    # Within the buffer the same client gets exactly the missed messages, no snapshot.
    async with service.connect("/ws/agent", token, query={"since": held + 45}) as ws:
        replay = [await receive(ws) for _ in range(6)]
    assert [m["data"]["n"] for m in replay] == [46, 47, 48, 49, 50, 51]


async def test_a_failing_snapshot_closes_with_1011(start_service: StartService, people: People) -> None:
    service = await start_service()

    async def broken(name: str) -> dict:
        raise RuntimeError("database down")

    service.hub.register_snapshot("agent", broken)
    async with service.connect("/ws/agent", people.tokens["alice"]) as ws:
        try:
            await receive(ws)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1011
        else:
            raise AssertionError("the client got a message instead of a close")


async def test_a_stalled_client_is_closed_while_the_others_keep_receiving(
    start_service: StartService, people: People
) -> None:
    service = await start_service(send_queue_limit=32, close_timeout=30)
    payload = {"text": "x" * 8000}
    # The stalled client reads nothing: its library buffers a few frames, then TCP fills up.
    async with (
        service.connect("/ws/supervisor", people.tokens["sue"], max_queue=4) as stalled,
        service.connect("/ws/supervisor", people.tokens["ada"]) as reader,
    ):
        assert (await receive(reader))["type"] == "snapshot"
        got: list[int] = []

        async def read_all() -> None:
            while (message := await receive(reader))["type"] != "end":
                got.append(message["data"]["n"])

        reading = asyncio.create_task(read_all())
        n = 0
        while service.hub.connections(SUPERVISORS) == 2:
            await service.hub.publish(SUPERVISORS, "queue.updated", {"n": n, **payload})
            n += 1
            if n % 20 == 0:
                await asyncio.sleep(0.001)
            assert n < 200_000, "the stalled client was never closed"
        await service.hub.publish(SUPERVISORS, "end", None)
        await reading
        assert got == list(range(n))
        # Reading again, the stalled client finds the close code after what was already in flight.
        try:
            while True:
                json.loads(await asyncio.wait_for(stalled.recv(), 10))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            assert (closed.rcvd.code, closed.rcvd.reason) == (4008, "too slow: the send queue is full")


async def test_a_silent_client_is_closed_by_the_heartbeat(start_service: StartService, people: People) -> None:
    service = await start_service(heartbeat_interval=0.1, heartbeat_timeout=0.5)
    stream = agent_stream(people.ids["bob"])
    async with (
        service.connect("/ws/agent", people.tokens["alice"]) as silent,
        service.connect("/ws/agent", people.tokens["bob"]) as alive,
    ):
        pings = 0
        others: asyncio.Queue[dict] = asyncio.Queue()

        async def answer() -> None:
            nonlocal pings
            while True:
                message = await receive(alive, skip_pings=False)
                if message["type"] == "ping":
                    pings += 1
                    await alive.send(json.dumps({"type": "pong"}))
                else:
                    await others.put(message)

        answering = asyncio.create_task(answer())
        assert (await asyncio.wait_for(others.get(), 5))["type"] == "snapshot"
        try:
            while True:
                await receive(silent, within=3)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4002
        assert pings >= 3
        await service.hub.publish(stream, "still.here", {})
        assert (await asyncio.wait_for(others.get(), 5))["type"] == "still.here"
        answering.cancel()
        await asyncio.gather(answering, return_exceptions=True)


async def test_garbage_from_a_client_gets_an_error_and_the_connection_lives(
    start_service: StartService, people: People
) -> None:
    service = await start_service()
    async with service.connect("/ws/agent", people.tokens["alice"]) as ws:
        await receive(ws)
        for frame in ("not json", b"\x00\x01", json.dumps({"type": "subscribe", "stream": "supervisors"})):
            await ws.send(frame)
            error = await receive(ws)
            assert error["type"] == "error" and "pong" in error["data"]["message"]
        await service.hub.publish(agent_stream(people.ids["alice"]), "call.update", {})
        assert (await receive(ws))["type"] == "call.update"


async def test_clients_joining_together_share_one_snapshot(start_service: StartService, people: People) -> None:
    service = await start_service()
    gate, calls = asyncio.Event(), []

    async def snapshot(name: str) -> dict:
        calls.append(name)
        await gate.wait()
        return {"queues": ["support"]}

    service.hub.register_snapshot("supervisors", snapshot)
    clients = [service.connect("/ws/supervisor", people.tokens["sue"]) for _ in range(20)]
    sockets = [await client.__aenter__() for client in clients]
    try:
        # The hub counts a client once it waits for its snapshot (the in-process history answers at once).
        await eventually(lambda: service.hub.connections(SUPERVISORS) == 20)
        gate.set()
        firsts = [await receive(ws) for ws in sockets]
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)
    assert calls == [SUPERVISORS]
    assert all(m == firsts[0] for m in firsts) and firsts[0]["data"] == {"queues": ["support"]}


async def test_messages_older_than_the_replay_age_come_back_as_a_snapshot(
    start_service: StartService, people: People
) -> None:
    service = await start_service(replay_max_age=1)
    stream, token = agent_stream(people.ids["alice"]), people.tokens["alice"]
    async with service.connect("/ws/agent", token) as ws:
        held = (await receive(ws))["seq"]
    await service.hub.publish(stream, "call.update", {"n": 1})
    async with service.connect("/ws/agent", token, query={"since": held}) as ws:
        assert (await receive(ws))["type"] == "call.update"  # young enough: replayed
    await asyncio.sleep(1.2)
    async with service.connect("/ws/agent", token, query={"since": held}) as ws:
        snap = await receive(ws)
    assert (snap["type"], snap["seq"]) == ("snapshot", held + 1)
