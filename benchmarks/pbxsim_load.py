"""How fast the PBX simulator produces a read=all AMI stream (run by hand, not part of the tests).

    python -m benchmarks.pbxsim_load --calls 2000 --agents 100 --runs 3

Runs the traffic generator on virtual time with one AMI client reading every event over TCP (the
client only counts frames, so the figure is the simulator's), and prints the median wall time, calls/s
and events/s, and the peak number of calls in progress.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from callcenter.pbxsim.clock import VirtualClock
from callcenter.pbxsim.config import PbxConfig, numbered_agents
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.pbxsim.traffic import TrafficGenerator, TrafficProfile


async def one_run(calls: int, agents: int, seed: int) -> tuple[float, int, int]:
    """Wall seconds, events received, peak calls in progress."""
    sim = PbxSimulator(PbxConfig(queues=numbered_agents(agents, ["support", "sales"])), clock=VirtualClock())
    profile = TrafficProfile(calls_per_minute=600, max_calls=calls, talk_seconds=180, patience_seconds=240)
    generator = TrafficGenerator(sim.pbx, profile, seed=seed)
    await sim.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.ami_port)
    writer.write(b"Action: Login\r\nUsername: callcenter\r\nSecret: lab-secret\r\n\r\n")
    await reader.readuntil(b"Authentication accepted\r\n\r\n")
    counted = 0

    async def drain() -> None:
        nonlocal counted
        while data := await reader.read(1 << 16):
            counted += data.count(b"\r\n\r\n")

    drainer = asyncio.create_task(drain())
    started = time.perf_counter()
    generator.start()
    peak = 0
    while len(generator.planned) < calls or sim.pbx.calls:
        peak = max(peak, len(sim.pbx.calls))
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await generator.stop()
    writer.close()
    await sim.stop()
    drainer.cancel()
    return elapsed, counted, peak


def main() -> None:
    """Parse arguments, run, print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = [asyncio.run(one_run(args.calls, args.agents, seed)) for seed in range(1, args.runs + 1)]
    wall = statistics.median(r[0] for r in results)
    events = statistics.median(r[1] for r in results)
    peak = statistics.median(r[2] for r in results)
    print(f"pbxsim: {args.calls} calls, {args.agents} agents, {args.runs} runs (virtual time, one read=all client)")
    print(f"  median wall time   {wall:8.2f} s")
    print(f"  median calls/s     {args.calls / wall:8.0f}")
    print(f"  median events/s    {events / wall:8.0f}  ({events:.0f} events per run)")
    print(f"  peak in progress   {peak:8.0f} calls")


if __name__ == "__main__":
    main()
