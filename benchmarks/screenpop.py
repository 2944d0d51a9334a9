"""Screen-pop latency: AMI event received -> websocket message delivered, with many agents connected.

Run by hand (not part of the tests)::

    python benchmarks/screenpop.py [--agents 200] [--pops 10] [--noise 2000] [--duration 30]
                                   [--customers 20000] [--contacts 100000] [--db var/bench-screenpop.db]

The repository (customers with phone numbers, contacts over several channels, notes, cases,
callbacks) is built once with a progress bar and kept between runs. One child process runs the
service (uvicorn, SQLite), another the PBX simulator with ``--agents`` queue members, which calls in about
``--pops`` times a second with callers picked among the customers (each call rings one agent: a
screen-pop), and adds ``--noise`` extra AMI events a second (Newstate, class ``call``) that the
service must read and skip. This process holds one websocket per agent (``/ws/agent``, bearer
token) and, for every ``call.ringing`` it receives, takes ``now - call.rang_at``: ``rang_at`` is the
moment the service's call tracker got the AgentCalled event off the AMI socket, so the figure is
AMI event received -> card composed (history read) -> published -> delivered to the agent's socket.

Printed: screen-pop latency p50/p99/max, websocket messages/s received, AMI events/s the
simulator sent, and the service's memory per idle websocket connection (RSS before and after the
agents connect). Clients, service and simulator share the machine: the figures include that load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from benchmarks.history import fill, phone_of
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.users.models import Role, User
from callcenter.users.tokens import issue_token

SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
FIRST_EXTENSION = 1001


def interface(index: int) -> str:
    return f"Local/agent{FIRST_EXTENSION + index}@agents/n"


async def ensure_agents(url: str, count: int) -> list[str]:
    """Agent users bench0..bench<count-1> on the simulator's member interfaces; their bearer tokens."""
    engine = create_engine(url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            have = {u.username: u for u in await session.scalars(select(User).where(User.username.like("bench%")))}
            missing = [
                {"username": f"bench{i}", "display_name": f"Agent {i}", "role": Role.AGENT, "password_hash": "x",
                 "interface": interface(i), "queues": ["support"]}
                for i in range(count) if f"bench{i}" not in have
            ]  # fmt: skip
            if missing:
                await session.execute(insert(User), missing)
            users = list(await session.scalars(select(User).where(User.username.like("bench%"))))
        by_name = {u.username: u for u in users}
        return [issue_token(by_name[f"bench{i}"], secret=SECRET, ttl_seconds=3600) for i in range(count)]
    finally:
        await engine.dispose()


# -- the child: service + simulator ----------------------------------------------------------


async def serve(args: argparse.Namespace) -> None:
    """The service alone, listening to the simulator's AMI port."""
    import uvicorn

    from callcenter.app import create_app
    from callcenter.config import AmiServerSettings, Settings

    settings = Settings(
        database_url=args.url,
        data_dir=Path(args.db).parent,
        secret_key=SECRET,
        log_level="WARNING",
        ami_servers=[AmiServerSettings(name="bench", port=args.ami_port, username="callcenter", secret="lab-secret")],
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, port=0, ws="websockets-sansio", ws_per_message_deflate=False, log_level="warning")
    )
    serving = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
            raise SystemExit("the service stopped while starting")
        await asyncio.sleep(0.05)
    await app.state.telephony.links.clients["bench"].wait_connected()
    print(f"READY {server.servers[0].sockets[0].getsockname()[1]}", flush=True)
    await serving


async def simulate(args: argparse.Namespace) -> None:
    """The simulated Asterisk in its own process: calls and AMI noise once told "go", stats on SIGINT."""
    from callcenter.pbxsim.config import PbxConfig, numbered_agents
    from callcenter.pbxsim.simulator import PbxSimulator
    from callcenter.pbxsim.truth import CallSpec

    sim = PbxSimulator(PbxConfig(queues=numbered_agents(args.agents, ["support"], first=FIRST_EXTENSION)))
    sim.pbx.agent_policy = lambda call, member: 0.3
    await sim.start()
    print(f"AMI {sim.ami_port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
    rng = random.Random(3)
    stats = {"calls": 0, "noise_events": 0, "ami_events": 0}
    counting = _count_ami_events(sim, stats)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)

    async def calls() -> None:
        while not stop.is_set():
            number = phone_of(rng.randrange(1, args.customers + 1))
            sim.pbx.originate(CallSpec(caller_num=number, choice="1", account="1234", hold=120.0, talk=2.0))
            stats["calls"] += 1
            await asyncio.sleep(rng.expovariate(args.pops))

    async def noise() -> None:
        tick = 0.01
        per_tick = args.noise * tick
        owed = 0.0
        headers = [("Channel", "PJSIP/noise-00000001"), ("ChannelState", "6"), ("ChannelStateDesc", "Up"),
                   ("Uniqueid", "1.1"), ("Linkedid", "1.1")]  # fmt: skip
        while not stop.is_set():
            owed += per_tick
            while owed >= 1:
                sim.pbx.bus.emit("Newstate", "call", headers)
                stats["noise_events"] += 1
                owed -= 1
            await asyncio.sleep(tick)

    started = time.monotonic()
    tasks = [asyncio.create_task(calls()), asyncio.create_task(noise())]
    await stop.wait()
    for task in tasks:
        task.cancel()
    stats["seconds"] = time.monotonic() - started
    counting.close()
    print("STATS " + json.dumps(stats), flush=True)
    await sim.stop()


class _EventCounter:
    def __init__(self, stats: dict[str, int]) -> None:
        self.stats = stats

    def wants(self, category: str) -> bool:
        return category in ("call", "agent", "system")

    def deliver(self, category: str, name: str, data: bytes) -> None:
        self.stats["ami_events"] += 1


class _Subscription:
    def __init__(self, sim: object, counter: _EventCounter) -> None:
        self.sim, self.counter = sim, counter

    def close(self) -> None:
        self.sim.pbx.bus.unsubscribe(self.counter)


def _count_ami_events(sim: object, stats: dict[str, int]) -> _Subscription:
    """Count the events the service's AMI user (call, agent, system) is sent."""
    counter = _EventCounter(stats)
    sim.pbx.bus.subscribe(counter)
    return _Subscription(sim, counter)


# -- the parent: agents' websockets -----------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def agent(port: int, token: str, latencies: list[float], counts: dict[str, int], ready: asyncio.Event,
                connected: list[int], stop: asyncio.Event) -> None:  # fmt: skip
    from websockets.asyncio.client import connect

    async with connect(
        f"ws://127.0.0.1:{port}/ws/agent", additional_headers={"Authorization": f"Bearer {token}"}, compression=None,
        max_queue=None, open_timeout=60,
    ) as ws:  # fmt: skip
        await ws.recv()  # snapshot
        connected[0] += 1
        if connected[0] == counts["agents"]:
            ready.set()
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 1.0)
            except TimeoutError:
                continue
            now = time.time()
            counts["messages"] += 1
            message = json.loads(text)
            if message["type"] == "ping":
                await ws.send('{"type":"pong"}')
            elif message["type"] == "call.ringing" and counts["measuring"]:
                latencies.append(now - message["data"]["received_at"])


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    await fill(args.url, args.customers, args.contacts)
    tokens = await ensure_agents(args.url, args.agents)
    common = ["--db", args.db, "--agents", str(args.agents), "--pops", str(args.pops), "--noise", str(args.noise),
              "--customers", str(args.customers), "--contacts", str(args.contacts)]  # fmt: skip
    pbx = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--simulate", *common, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    children = [pbx]
    try:
        ami_port = int((await _line(pbx.stdout, "AMI")).split()[1])
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", *common, "--ami-port", str(ami_port), stdout=asyncio.subprocess.PIPE
        )
        children.append(child)
        port = int((await _line(child.stdout, "READY")).split()[1])
        await measure(args, pbx, child, port, tokens)
    finally:
        for process in children:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def _line(stdout: asyncio.StreamReader | None, prefix: str) -> str:
    """The child's first output line starting with ``prefix`` (its log lines before are skipped)."""
    assert stdout is not None
    while True:
        line = (await asyncio.wait_for(stdout.readline(), 120)).decode()
        if not line:
            raise SystemExit(f"a child process ended before saying {prefix}")
        if line.startswith(prefix):
            return line


async def measure(
    args: argparse.Namespace,
    pbx: asyncio.subprocess.Process,
    child: asyncio.subprocess.Process,
    port: int,
    tokens: list[str],
) -> None:
    assert pbx.stdin is not None
    await asyncio.sleep(1.0)
    before = rss_kib(child.pid)
    latencies: list[float] = []
    counts = {"messages": 0, "agents": args.agents, "measuring": 0}
    ready, stop, connected = asyncio.Event(), asyncio.Event(), [0]
    clients = []
    for token in tokens:  # connect in waves so the accept queue is not flooded
        clients.append(asyncio.create_task(agent(port, token, latencies, counts, ready, connected, stop)))
        if len(clients) % 50 == 0:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(ready.wait(), 120)
    await asyncio.sleep(1.0)
    after = rss_kib(child.pid)
    pbx.stdin.write(b"go\n")
    await pbx.stdin.drain()
    await asyncio.sleep(args.warmup)
    counts["measuring"], counts["messages"] = 1, 0
    started = time.monotonic()
    await asyncio.sleep(args.duration)
    elapsed = time.monotonic() - started
    messages = counts["messages"]
    counts["measuring"] = 0
    pbx.send_signal(signal.SIGINT)
    stats = json.loads((await _line(pbx.stdout, "STATS"))[6:])
    stop.set()
    await asyncio.gather(*clients, return_exceptions=True)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"repository: {args.customers:,} customers, {args.contacts:,} contacts (SQLite {args.db})")
    print(f"agents connected: {args.agents}; measured {elapsed:.0f} s after {args.warmup:g} s warm-up")
    if stats:
        seconds = stats["seconds"]
        print(f"simulator: {stats['calls'] / seconds:.1f} calls/s, {stats['ami_events'] / seconds:,.0f} AMI events/s "
              f"to the service ({stats['noise_events'] / seconds:,.0f}/s of them noise)")  # fmt: skip
    if latencies:
        ms = [v * 1000 for v in latencies]
        p50, p99 = statistics.median(ms), quantile(ms, 0.99)
        print(f"screen-pops: {len(ms)} ({len(ms) / elapsed:.1f}/s); latency AMI event received -> websocket "
              f"delivered: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(ms):.2f} ms")  # fmt: skip
    else:
        print("screen-pops: none received")
    print(f"websocket messages received: {messages / elapsed:,.0f}/s")
    print(f"service memory: {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB with {args.agents} agents: "
          f"{(after - before) / args.agents:.1f} KiB per connection")  # fmt: skip


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--pops", type=float, default=10.0, help="calls (screen-pops) per second")
    parser.add_argument("--noise", type=float, default=2000.0, help="extra AMI events per second")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before measuring (calls reach agents)")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--db", default="var/bench-screenpop.db")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--simulate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ami-port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    args.url = f"sqlite+aiosqlite:///{args.db}"
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve:
        asyncio.run(serve(arguments))
    elif arguments.simulate:
        asyncio.run(simulate(arguments))
    else:
        asyncio.run(main(arguments))
