"""Wallboard freshness: from a caller joining a queue in Asterisk to the supervisor's updated figure.

The whole live path, each part as it runs in production:

    simulated Asterisk (a subprocess; 200 agents in two queues, Poisson calls at --rate per second)
      --AMI over TCP--> the service (``python -m callcenter serve`` in a subprocess, on uvicorn):
      AMI client -> call tracker -> event bus -> live metrics -> wallboard feed (coalescing) -> hub
      --websocket--> a supervisor's client (this process, ``/ws/supervisor``)

For every ``QueueCallerJoin`` the simulator emits, it reports the time (CLOCK_MONOTONIC, shared by the
processes) on its stdout. A ``figures.queues`` message counts the joins of a queue it has seen as
``offered + calls_waiting`` (ended visits plus callers still waiting), so the n-th join of a queue is on
the supervisor's screen when the first message with ``offered + calls_waiting >= n`` arrives. The
latency of each join is that arrival minus the emit time. The first seconds (warm-up) are left out.
Also printed: the service's CPU use (user + system time of its process over the run, in % of one core),
the messages and bytes received, and the load average. The machine's cores are shared by the three
processes (and by whatever else runs on it: read the load average). The service runs once per
coalescing window given (``--intervals``): the default 0.25 s against 0.05 s, what a shorter window
buys in latency and costs in messages and CPU.

Run from the checkout root with the package importable (installed, or ``PYTHONPATH=.``)::

    python benchmarks/wallboard_latency.py                  # 100 calls/s, 200 agents, 30 s, windows 0.25 and 0.05 s
    python benchmarks/wallboard_latency.py --rate 50 --seconds 60 --intervals 0.25
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

SECRET = "benchmark-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
QUEUES = ["support", "sales"]
QUEUE_HEADER = re.compile(rb"\r\nQueue: ([^\r]*)\r\n")


class JoinReporter:
    """A subscriber of the simulator's event bus that reports when each caller joined a queue (on stdout)."""

    def wants(self, category: str) -> bool:
        return category == "agent"

    def deliver(self, category: str, name: str, data: bytes) -> None:
        if name == "QueueCallerJoin":
            found = QUEUE_HEADER.search(data)
            if found:
                sys.stdout.write(f"join {found.group(1).decode()} {time.monotonic():.6f}\n")


async def serve_pbx(args: argparse.Namespace) -> None:
    """The simulated Asterisk: print its AMI port, wait for ``go``, run the traffic until stdin closes."""
    from callcenter.pbxsim.config import PbxConfig, numbered_agents
    from callcenter.pbxsim.simulator import PbxSimulator
    from callcenter.pbxsim.traffic import TrafficGenerator, TrafficProfile

    sim = PbxSimulator(PbxConfig(queues=numbered_agents(args.agents, QUEUES)))
    sim.pbx.bus.subscribe(JoinReporter())
    await sim.start()
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(f"port {sim.ami_port}", flush=True)
    await reader.readline()
    profile = TrafficProfile(
        calls_per_minute=args.rate * 60, talk_seconds=args.talk, ring_seconds=(0.2, 1.0),
        patience_seconds=20, hangup_in_menu=0, transfer_probability=0, menu_choices={"1": 0.5, "2": 0.5},
    )  # fmt: skip
    traffic = TrafficGenerator(sim.pbx, profile, seed=3)
    traffic.start()

    async def flush() -> None:
        while True:
            await asyncio.sleep(0.05)
            sys.stdout.flush()

    flusher = asyncio.create_task(flush())
    await reader.readline()
    await traffic.stop()
    flusher.cancel()
    print(f"started {len(traffic.planned)}", flush=True)
    await sim.stop()


class JoinClock:
    """The join times the simulator reports, per queue."""

    def __init__(self) -> None:
        self.joins: dict[str, list[float]] = defaultdict(list)
        self.started = 0

    async def read(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            kind, *rest = line.decode().split()
            if kind == "join":
                self.joins[rest[0]].append(float(rest[1]))
            elif kind == "started":
                self.started = int(rest[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def prepare(directory: Path) -> str:
    """A migrated SQLite repository with one supervisor; answers the supervisor's token."""
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
    return token


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def start_service(directory: Path, ami_port: int, interval: float) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    server = {"name": "sim", "port": ami_port, "username": "callcenter", "secret": "lab-secret"}
    env = dict(
        os.environ,
        CALLCENTER_DATABASE_URL=f"sqlite+aiosqlite:///{directory / 'callcenter.db'}",
        CALLCENTER_SECRET_KEY=SECRET,
        CALLCENTER_DATA_DIR=str(directory),
        CALLCENTER_LOG_LEVEL="WARNING",
        CALLCENTER_AMI_SERVERS=json.dumps([server]),
        CALLCENTER_WALLBOARD__PUBLISH_INTERVAL=str(interval),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter", "serve", "--port", str(port),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return process, port
        except OSError:
            await asyncio.sleep(0.1)
    process.kill()
    raise SystemExit("the service did not start")


@dataclass
class Result:
    interval: float
    latencies: list[float]  # sorted, seconds
    messages: int
    received: int
    cpu: float
    started: int
    joins: int
    load: float

    def p(self, q: float) -> float:
        """The q-quantile latency in ms."""
        return self.latencies[min(len(self.latencies) - 1, int(q * len(self.latencies)))] * 1000


async def run(args: argparse.Namespace) -> None:
    results = []
    for interval in args.intervals:
        print(f"coalescing window {interval:g} s: {args.seconds:g} s of traffic ...", flush=True)
        results.append(await one_run(args, interval))
    report(args, results)


async def one_run(args: argparse.Namespace, interval: float) -> Result:
    """One service with coalescing window ``interval`` against a fresh simulator."""
    import websockets

    pbx = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "pbx", "--agents", str(args.agents), "--rate", str(args.rate),
        "--talk", str(args.talk), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert pbx.stdin is not None and pbx.stdout is not None
    ami_port = int((await pbx.stdout.readline()).split()[1])
    clock = JoinClock()
    with tempfile.TemporaryDirectory() as tmp:
        token = await prepare(Path(tmp))
        process, port = await start_service(Path(tmp), ami_port, interval)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/supervisor", additional_headers=headers) as ws:
                first = json.loads(await ws.recv())
                assert first["type"] == "snapshot", first["type"]
                await asyncio.sleep(2)  # the AMI login and resync
                reading = asyncio.create_task(clock.read(pbx.stdout))
                cpu0, wall0 = cpu_seconds(process.pid), time.monotonic()
                pbx.stdin.write(b"go\n")
                latencies, messages, received = await measure(ws, clock, args.seconds, wall0 + args.warmup)
                cpu = (cpu_seconds(process.pid) - cpu0) / (time.monotonic() - wall0) * 100
                pbx.stdin.write(b"stop\n")
                await reading
        finally:
            process.terminate()
            await process.wait()
            await pbx.wait()
    if not latencies:
        raise SystemExit("no queue join reached the wallboard")
    joins = sum(len(v) for v in clock.joins.values())
    return Result(interval, sorted(latencies), messages, received, cpu, clock.started, joins, os.getloadavg()[0])


async def measure(ws, clock: JoinClock, seconds: float, warm: float) -> tuple[list[float], int, int]:
    """Read the supervisors' stream for ``seconds``; the latency of each queue join seen after ``warm``."""
    seen: dict[str, int] = defaultdict(int)
    latencies: list[float] = []
    messages = received = 0
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            text = await asyncio.wait_for(ws.recv(), left)
        except TimeoutError:
            break
        now = time.monotonic()
        messages += 1
        received += len(text)
        message = json.loads(text)
        if message["type"] != "figures.queues":
            continue
        for queue in message["data"]["queues"]:
            name = queue["queue"]
            counted = queue["offered"] + queue["calls_waiting"]
            joins = clock.joins.get(name, [])
            for emitted in joins[seen[name] : counted]:
                if emitted >= warm:
                    latencies.append(now - emitted)
            seen[name] = max(seen[name], min(counted, len(joins)))
    return latencies, messages, received


def report(args: argparse.Namespace, results: list[Result]) -> None:
    print(
        f"\n{args.rate:g} calls/s asked for {args.seconds:g} s, {args.agents} agents in {len(QUEUES)} queues;"
        f" {os.cpu_count()} CPUs. Latency: queue join in Asterisk -> supervisor's figure, after {args.warmup:g} s"
    )
    header = ["calls/s", "joins", "p50", "p90", "p99", "max", "msgs/s", "KiB/s", "CPU %", "load"]
    print(f"{'window':>8} " + " ".join(f"{h:>8}" for h in header))
    for r in results:
        print(
            f"{r.interval:7g}s {r.started / args.seconds:8.0f} {len(r.latencies):8d} {r.p(0.5):6.0f}ms"
            f" {r.p(0.9):6.0f}ms {r.p(0.99):6.0f}ms {r.latencies[-1] * 1000:6.0f}ms {r.messages / args.seconds:8.1f}"
            f" {r.received / 1024 / args.seconds:8.0f} {r.cpu:8.0f} {r.load:8.2f}"
        )
    base = results[0]
    print(f"goal: p99 under 1000 ms; with a {base.interval:g} s window p99 = {base.p(0.99):.0f} ms")
    for r in results[1:]:
        print(
            f"{r.interval:g} s window vs {base.interval:g} s: p50 x{r.p(0.5) / base.p(0.5):.2f},"
            f" p99 x{r.p(0.99) / base.p(0.99):.2f}, messages x{r.messages / base.messages:.2f},"
            f" CPU x{r.cpu / base.cpu:.2f}"
        )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="calls per second")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--talk", type=float, default=1.5, help="mean talk seconds (keeps 200 agents from saturating)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--intervals", type=lambda text: [float(v) for v in text.split(",")], default=[0.25, 0.05],
        help="coalescing windows to compare (CALLCENTER_WALLBOARD__PUBLISH_INTERVAL), the first is the baseline",
    )  # fmt: skip
    parser.add_argument("role", nargs="?", choices=["pbx"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(serve_pbx(args) if args.role == "pbx" else run(args))


if __name__ == "__main__":
    cli()
