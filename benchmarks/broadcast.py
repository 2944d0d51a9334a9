"""Supervisor broadcast: one 2 KB update to N websocket clients, time until the last client has it.

The service runs in a subprocess (``callcenter``'s app on uvicorn, as ``callcenter serve`` runs it)
so the clients do not share its event loop. The clients are minimal websocket readers in this
process (raw asyncio protocol, frame headers only) so that client-side parsing adds as little as
possible to the figures. Measured, per server:

* latency: ``R`` broadcasts spaced apart; for each, the time from just before ``hub.publish`` (or
  ``json.dumps`` for the peer) to the arrival of the frame at the last (and the median) client;
  p50/p99/max over the broadcasts. Clocks: CLOCK_MONOTONIC, shared by the processes.
* throughput: ``M`` broadcasts back to back; deliveries per second until every client had them all.
* publish: the median time the publish call takes in the server (``hub.publish``, which writes to
  every client that is keeping up before it returns; ``websockets.broadcast`` for the peer).
* server CPU per broadcast: the server process's CPU time during the spaced broadcasts divided by
  their number (from /proc): what one broadcast costs, whatever else the machine runs.
* memory per connection: the server's RSS with all clients connected (after one broadcast, so
  compression contexts exist) minus its RSS with the first 50 (warm) clients, divided by the others.

Servers: the service with compression off (the default) and on, and the peer, a bare ``websockets``
server that keeps its clients in a set and calls ``websockets.broadcast`` (the floor).

Run from the checkout root with the package importable (installed, or ``PYTHONPATH=.``)::

    python benchmarks/broadcast.py                    # 1,000 clients, 200 + 500 broadcasts
    python benchmarks/broadcast.py --clients 2000 --rounds 500
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SECRET = "benchmark-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
PAYLOAD_BYTES = 2048
WARM_CLIENTS = 50


def _padding(size: int) -> str:
    """A pad making the whole message text about ``size`` bytes (the hub adds ~90 bytes of envelope)."""
    return "x" * (size - 150)


# --- server side (subprocesses) --------------------------------------------------------------


async def _control(publish) -> None:
    """Read commands from stdin: ``spaced N GAP`` or ``burst N``; answer the publish times as JSON."""
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    pad = _padding(PAYLOAD_BYTES)
    print("ready", flush=True)
    while line := await reader.readline():
        _kind, count, *rest = line.decode().split()
        gap = float(rest[0]) if rest else 0.0
        sent, spent = [], []
        for i in range(int(count)):
            t0 = time.monotonic_ns()
            await publish({"i": i, "queue": "support", "waiting": i % 17, "pad": pad})
            sent.append(t0)
            spent.append(time.monotonic_ns() - t0)
            if gap:
                await asyncio.sleep(gap)
            elif i % 64 == 63:
                await asyncio.sleep(0)
        print(json.dumps([sent, spent]), flush=True)


def serve_callcenter(port: int, deflate: bool) -> None:
    import uvicorn

    from callcenter.app import create_app
    from callcenter.config import Settings
    from callcenter.realtime.wire import SUPERVISORS

    app = create_app(Settings())
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ws="websockets-sansio", ws_per_message_deflate=deflate, log_level="warning"
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        hub = app.state.runtime.hub
        await _control(lambda data: hub.publish(SUPERVISORS, "queue.updated", data))
        server.should_exit = True
        await task

    _run(main())


def serve_peer(port: int, deflate: bool) -> None:
    from websockets.asyncio.server import broadcast, serve

    clients: set = set()

    async def handler(ws) -> None:
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async def publish(data: dict) -> None:
        broadcast(clients, json.dumps({"type": "queue.updated", "stream": "supervisors", "data": data}))

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, compression="deflate" if deflate else None, max_queue=None):
            await _control(publish)

    _run(main())


def _run(main) -> None:
    """Run on uvloop when installed, as uvicorn's default loop does."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


# --- client side ----------------------------------------------------------------------------


class Reader(asyncio.Protocol):
    """A websocket client that only timestamps the data frames it receives (and answers pings)."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.buffer = bytearray()
        self.open = asyncio.get_running_loop().create_future()
        self.arrivals: list[int] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        buffer = self.buffer
        buffer += data
        if not self.open.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[:end]).split(b"\r\n", 1)[0]
            del buffer[: end + 4]
            if b" 101 " not in status:
                self.open.set_exception(RuntimeError(status.decode()))
                return
            self.open.set_result(None)
        while len(buffer) >= 2:
            length, header = buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, header = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, header = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < header + length:
                return
            opcode = buffer[0] & 0x0F
            if opcode in (1, 2):
                self.arrivals.append(now)
            elif opcode == 9 and self.transport is not None:  # answer pings with an (all-zero-mask) pong
                payload = bytes(buffer[header : header + length])
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            del buffer[: header + length]


async def connect_clients(port: int, path: str, token: str, count: int, deflate: bool) -> list[Reader]:
    loop = asyncio.get_running_loop()
    readers: list[Reader] = []
    for start in range(0, count, 100):
        batch = []
        for _ in range(start, min(start + 100, count)):
            key = base64.b64encode(os.urandom(16)).decode()
            lines = [
                f"GET {path} HTTP/1.1",
                f"Host: 127.0.0.1:{port}",
                "Upgrade: websocket",
                "Connection: Upgrade",
                f"Sec-WebSocket-Key: {key}",
                "Sec-WebSocket-Version: 13",
                f"Authorization: Bearer {token}",
            ]
            if deflate:
                lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
            reader = Reader(("\r\n".join(lines) + "\r\n\r\n").encode())
            batch.append(loop.create_connection(lambda r=reader: r, "127.0.0.1", port))
            readers.append(reader)
        await asyncio.gather(*batch)
        await asyncio.gather(*(r.open for r in readers[start:]))
    return readers


@dataclass
class Result:
    name: str
    last_p50: float = 0.0
    last_p99: float = 0.0
    last_max: float = 0.0
    median_p50: float = 0.0
    deliveries_per_s: float = 0.0
    cpu_ms_per_broadcast: float = 0.0
    publish_p50: float = 0.0
    kib_per_connection: float = 0.0
    notes: list[str] = field(default_factory=list)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def counts(readers: list[Reader]) -> list[int]:
    return [len(r.arrivals) for r in readers]


async def wait_for(readers: list[Reader], start: list[int], more: int, limit: float = 120.0) -> None:
    """Wait until every reader has ``more`` frames beyond ``start``."""
    deadline = time.monotonic() + limit
    while any(len(r.arrivals) < s + more for r, s in zip(readers, start, strict=True)):
        if time.monotonic() > deadline:
            behind = sum(len(r.arrivals) < s + more for r, s in zip(readers, start, strict=True))
            raise RuntimeError(f"{behind} clients never got {more} more frames")
        await asyncio.sleep(0.005)


async def run_server(name: str, argv: list[str], env: dict[str, str], path: str, args: argparse.Namespace) -> Result:
    port = free_port()
    deflate = "--deflate" in argv
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, *argv, "--port", str(port),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None

    async def command(text: str) -> list[list[int]]:
        process.stdin.write(text.encode() + b"\n")  # type: ignore[union-attr]
        return json.loads(await process.stdout.readline())  # type: ignore[union-attr]

    try:
        assert (await process.stdout.readline()).strip() == b"ready"
        # A first few clients and broadcasts pay the one-time costs (imports, caches) outside the memory figure.
        snapshot = 1 if path != "/" else 0  # the service sends each new client a snapshot first
        readers = await connect_clients(port, path, args.token, WARM_CLIENTS, deflate)
        await wait_for(readers, [0] * len(readers), snapshot)
        start = counts(readers)
        await command("spaced 3 0.05")
        await wait_for(readers, start, 3)
        await asyncio.sleep(0.3)
        before = rss_kib(process.pid)
        others = await connect_clients(port, path, args.token, args.clients - WARM_CLIENTS, deflate)
        await wait_for(others, [0] * len(others), snapshot)
        readers += others
        start = counts(readers)
        await command("spaced 3 0.05")
        await wait_for(readers, start, 3)
        after = rss_kib(process.pid)
        result = Result(name, kib_per_connection=(after - before) / (args.clients - WARM_CLIENTS))

        start, cpu = counts(readers), cpu_seconds(process.pid)
        sent, spent = await command(f"spaced {args.rounds} {args.gap}")
        result.publish_p50 = statistics.median(spent) / 1e6
        await wait_for(readers, start, args.rounds)
        result.cpu_ms_per_broadcast = (cpu_seconds(process.pid) - cpu) * 1000 / args.rounds
        last, median = [], []
        for i, t0 in enumerate(sent):
            arrivals = sorted(r.arrivals[s + i] for r, s in zip(readers, start, strict=True))
            last.append((arrivals[-1] - t0) / 1e6)
            median.append((arrivals[len(arrivals) // 2] - t0) / 1e6)
        last.sort()
        result.last_p50 = statistics.median(last)
        result.last_p99 = last[min(len(last) - 1, int(len(last) * 0.99))]
        result.last_max = last[-1]
        result.median_p50 = statistics.median(median)

        start = counts(readers)
        began = time.monotonic()
        await command(f"burst {args.burst}")
        await wait_for(readers, start, args.burst)
        finished = max(r.arrivals[-1] for r in readers) / 1e9
        result.deliveries_per_s = args.burst * args.clients / (finished - began)
        for reader in readers:
            if reader.transport is not None:
                reader.transport.close()
        return result
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def prepare(directory: Path) -> tuple[str, dict[str, str]]:
    """A migrated SQLite repository with one supervisor; the token and the server's environment."""
    from callcenter import migrate
    from callcenter.db import create_engine, create_sessionmaker, unit_of_work
    from callcenter.users.models import Role, User
    from callcenter.users.tokens import issue_token

    url = f"sqlite+aiosqlite:///{directory / 'callcenter.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    async with unit_of_work(create_sessionmaker(engine)) as session:
        user = User(username="sue", display_name="Sue", role=Role.SUPERVISOR, password_hash="-", queues=[])
        session.add(user)
        await session.flush()
        token = issue_token(user, secret=SECRET, ttl_seconds=3600)
    await engine.dispose()
    env = dict(
        os.environ,
        CALLCENTER_DATABASE_URL=url,
        CALLCENTER_SECRET_KEY=SECRET,
        CALLCENTER_DATA_DIR=str(directory),
        CALLCENTER_LOG_LEVEL="WARNING",
        # The clients count frames to match them with broadcasts: no app-level pings in between.
        CALLCENTER_REALTIME__HEARTBEAT_INTERVAL="3600",
        CALLCENTER_REALTIME__HEARTBEAT_TIMEOUT="7200",
    )
    return token, env


def raise_fd_limit(clients: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = clients + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < need:
        sys.exit(f"need {need} file descriptors; the hard limit is {hard}")


async def main(args: argparse.Namespace) -> None:
    raise_fd_limit(args.clients)
    with tempfile.TemporaryDirectory() as tmp:
        args.token, env = await prepare(Path(tmp))
        runs = [
            ("callcenter, compression off", ["serve"], "/ws/supervisor"),
            ("callcenter, compression on", ["serve", "--deflate"], "/ws/supervisor"),
            ("peer: bare websockets, off", ["peer"], "/"),
            ("peer: bare websockets, on", ["peer", "--deflate"], "/"),
        ]
        results = []
        for name, argv, path in runs:
            print(f"{name}: {args.clients} clients ...", flush=True)
            results.append(await run_server(name, argv, env, path, args))
    print(
        f"\n{args.clients} clients, {PAYLOAD_BYTES} B update, {args.rounds} broadcasts {args.gap * 1000:.0f} ms apart"
        f" (latency), {args.burst} back to back (throughput); {os.cpu_count()} CPUs\n"
    )
    header = ["last p50", "last p99", "last max", "median p50", "publish", "deliv/s", "CPU ms/bc", "KiB/conn"]
    print(f"{'server':30} " + " ".join(f"{h:>10}" for h in header))
    for r in results:
        print(
            f"{r.name:30} {r.last_p50:8.2f}ms {r.last_p99:8.2f}ms {r.last_max:8.2f}ms {r.median_p50:8.2f}ms"
            f" {r.publish_p50:8.2f}ms"
            f" {r.deliveries_per_s:10,.0f} {r.cpu_ms_per_broadcast:10.2f} {r.kib_per_connection:10.1f}"
        )
    ours, peer = results[0], results[2]
    print(
        f"\ncallcenter/peer (compression off): last-client p50 x{ours.last_p50 / peer.last_p50:.2f},"
        f" p99 x{ours.last_p99 / peer.last_p99:.2f}, throughput x{ours.deliveries_per_s / peer.deliveries_per_s:.2f},"
        f" server CPU per broadcast x{ours.cpu_ms_per_broadcast / peer.cpu_ms_per_broadcast:.2f}"
    )
    print(
        "CPU ms/bc: the server's CPU time per spaced broadcast, about the latency to the last client on an"
        " otherwise idle core; the latency columns also carry whatever else the machine runs."
    )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", nargs="?", choices=["serve", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--deflate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200, help="spaced broadcasts for the latency figures")
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between the spaced broadcasts")
    parser.add_argument("--burst", type=int, default=500, help="back-to-back broadcasts for the throughput")
    args = parser.parse_args()
    if args.role == "serve":
        serve_callcenter(args.port, args.deflate)
    elif args.role == "peer":
        serve_peer(args.port, args.deflate)
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
