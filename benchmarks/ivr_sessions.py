"""Concurrent FastAGI sessions: our server against panoramisk's, driven by the pbxsim FastAGI client.

The server under test runs in its own process (so its CPU time and memory are its own); this process
plays Asterisk with ``callcenter.pbxsim.agi_client`` and measures, on the Asterisk side, the time from
a reply to the next command (what Asterisk waits for the IVR).

Phases:
  single     one session, the handler sends SET VARIABLE as fast as replies come: round trip p50/p99.
  paced      N sessions (default 5,000) held open together, each playing a 0.5 s prompt after another
             (2 commands/s per session): turnaround p50/p99, server CPU (fraction of a core), memory per
             session (server RSS growth / sessions).
  saturated  S sessions (default 200) of back-to-back SET VARIABLE for T seconds, ours then panoramisk,
             alternated for R rounds: commands/s and commands per server CPU-second; medians and ratio.

panoramisk 1.4 (``pip install -e .[bench]``) wraps non-coroutine routes with ``asyncio.coroutine``, which
Python 3.11 removed; :func:`panoramisk_application` adds a stand-in attribute before importing it. Our
routes are coroutine functions, so the stand-in is never called: it only lets the module work here.

Run (2 cores, takes about two minutes):  python benchmarks/ivr_sessions.py
Smaller:                                  python benchmarks/ivr_sessions.py --sessions 500 --hold 12 --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.pbxsim.agi_caller import CallerScript
from callcenter.pbxsim.agi_client import AgiCall, AgiCallReport, run_agi_call
from callcenter.telephony.agi import AgiHangup, AgiLimits, AgiServer, AgiSession

PROMPT_S = 0.5


def install_loop(use_uvloop: bool) -> str:
    """Use uvloop when asked and installed; return the loop's name."""
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            return "asyncio"
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        return f"uvloop {uvloop.__version__}"
    return "asyncio"


def panoramisk_application() -> Any:
    """panoramisk's FastAGI Application class, importable on Python 3.11+ (see the module docstring)."""
    if not hasattr(asyncio, "coroutine"):

        def coroutine(func: Any) -> Any:
            @functools.wraps(func)
            async def call(*args: Any, **kwargs: Any) -> Any:
                return func(*args, **kwargs)

            return call

        asyncio.coroutine = coroutine  # type: ignore[attr-defined]
    from panoramisk.fast_agi import Application

    return Application


# -- server process ------------------------------------------------------------------------------------


class Gauge:
    """Sessions open now and at the peak, and the RSS at the peak."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.peak_rss_kb = 0

    def enter(self) -> None:
        self.active += 1
        if self.active > self.peak:
            self.peak = self.active
            self.peak_rss_kb = rss_kb()

    def leave(self) -> None:
        self.active -= 1


def rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_server_turnaround() -> list[float]:
    """Benchmark-only probe: seconds from a reply reaching a session to that session's next command.

    It wraps two AgiSession methods in the server process; the library itself carries no timing code.
    """
    samples: list[float] = []
    replied: dict[int, float] = {}
    on_reply, send = AgiSession._on_reply, AgiSession._send

    def timed_on_reply(session: AgiSession, reply: Any) -> bool:
        replied[id(session)] = time.perf_counter()
        return on_reply(session, reply)

    async def timed_send(session: AgiSession, verb: str, args: list[str], extra_timeout_s: float = 0.0) -> Any:
        started = replied.pop(id(session), None)
        if started is not None:
            samples.append(time.perf_counter() - started)
        return await send(session, verb, args, extra_timeout_s)

    AgiSession._on_reply = timed_on_reply  # type: ignore[method-assign]
    AgiSession._send = timed_send  # type: ignore[method-assign]
    return samples


async def serve(impl: str, mode: str) -> None:
    gauge = Gauge()
    turnaround = measure_server_turnaround() if impl == "ours" and mode == "paced" else []

    async def ours_paced(session: AgiSession) -> None:
        gauge.enter()
        try:
            while True:
                await session.stream_file("vm-options", "123")
        finally:
            gauge.leave()

    async def ours_busy(session: AgiSession) -> None:
        gauge.enter()
        try:
            while not session.hung_up:
                await session.set_variable("IVR_STEP", "1")
        except AgiHangup:
            pass
        finally:
            gauge.leave()

    async def pano_busy(request: Any) -> None:
        gauge.enter()
        try:
            while "error" not in await request.send_command("SET VARIABLE IVR_STEP 1"):
                pass
        finally:
            gauge.leave()

    async def pano_paced(request: Any) -> None:
        gauge.enter()
        try:
            while "error" not in await request.send_command('STREAM FILE vm-options "123"'):
                pass
        finally:
            gauge.leave()

    if impl == "ours":
        handler = ours_paced if mode == "paced" else ours_busy
        server = AgiServer({"bench": handler}, host="127.0.0.1", port=0, limits=AgiLimits(max_sessions=50000))
        await server.start()
        port = server.port
    else:
        app = panoramisk_application()(loop=asyncio.get_running_loop())
        app.add_route("bench", pano_paced if mode == "paced" else pano_busy)
        listener = await asyncio.start_server(app.handler, "127.0.0.1", 0, backlog=4096)
        port = listener.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if command in ("", "quit"):
            return
        stats = {"cpu_s": cpu_s(), "rss_kb": rss_kb(), "active": gauge.active, "peak": gauge.peak}
        stats["peak_rss_kb"] = gauge.peak_rss_kb
        if turnaround:
            stats["turnaround_p50"] = percentile(turnaround, 50)
            stats["turnaround_p99"] = percentile(turnaround, 99)
            stats["turnaround_n"] = len(turnaround)
            turnaround.clear()
        print(json.dumps(stats), flush=True)


# -- Asterisk side (this process) ----------------------------------------------------------------------


class ServerProcess:
    """The server under test in a child process, asked for its CPU and memory over stdin/stdout."""

    def __init__(self, impl: str, mode: str, use_uvloop: bool) -> None:
        args = [sys.executable, __file__, "--serve", impl, "--mode", mode] + ([] if use_uvloop else ["--no-uvloop"])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"server failed to start: {line!r}")
        self.port = int(line.split()[1])

    def stats(self) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(10)


def turnarounds(reports: list[AgiCallReport], after: float = 0.0) -> list[float]:
    """Seconds from each reply (Asterisk side) to the next command, skipping the handshake."""
    gaps = []
    for report in reports:
        transcript = report.transcript
        for (t_reply, who, line), (t_next, who_next, _) in itertools.pairwise(transcript):
            if who == "A>" and who_next == "S>" and line.startswith("200") and t_reply >= after:
                gaps.append(t_next - t_reply)
    return gaps


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def place_calls(port: int, count: int, hold_s: float, ramp_s: float) -> list[AgiCallReport]:
    """``count`` calls started evenly over ``ramp_s``, each hanging up ``hold_s`` after it started."""

    async def one(index: int) -> AgiCallReport:
        await asyncio.sleep(index * ramp_s / count)
        call = AgiCall(
            script="bench",
            caller=CallerScript((), hangup_at_s=hold_s),
            caller_number=f"+1555{index:07d}",
            uniqueid=f"1795438657.{index}",
            prompt_seconds={"vm-options": PROMPT_S},
        )
        return await run_agi_call("127.0.0.1", port, call, idle_timeout_s=hold_s + 30)

    return await asyncio.gather(*(one(i) for i in range(count)))


async def single(use_uvloop: bool, seconds: float, rounds: int) -> None:
    runs: dict[str, list[tuple[int, float, float]]] = {"ours": [], "panoramisk": []}
    for _ in range(rounds):
        for impl, found in runs.items():
            server = ServerProcess(impl, "busy", use_uvloop)
            try:
                (report,) = await place_calls(server.port, 1, seconds, 0)
            finally:
                server.stop()
            gaps = turnarounds([report])
            found.append((len(gaps), percentile(gaps, 50), percentile(gaps, 99)))
    for impl, found in runs.items():
        p99s = ", ".join(f"{p99 * 1e6:.0f}" for _, _, p99 in found)
        count = statistics.median(n for n, _, _ in found)
        print(
            f"single session   {impl:<10} median of {rounds}: {count:.0f} round trips  "
            f"p50 {statistics.median(p50 for _, p50, _ in found) * 1e6:.0f} us  "
            f"p99 {statistics.median(p99 for _, _, p99 in found) * 1e6:.0f} us  (p99 per run: {p99s} us)"
        )


async def paced(use_uvloop: bool, sessions: int, hold_s: float, ramp_s: float) -> None:
    server = ServerProcess("ours", "paced", use_uvloop)
    try:
        idle = server.stats()
        client_cpu = time.process_time()
        calls = asyncio.create_task(place_calls(server.port, sessions, hold_s, ramp_s))
        await asyncio.sleep(ramp_s + 1.0)
        start, t0 = server.stats(), time.monotonic()
        await asyncio.sleep(max(hold_s - ramp_s - 2.0, 1.0))
        end, t1 = server.stats(), time.monotonic()
        reports = await calls
        client_cpu = time.process_time() - client_cpu
    finally:
        server.stop()
    window = t1 - t0
    gaps = turnarounds(reports, after=ramp_s + 1.0)
    commands = sum(len(report.commands) for report in reports)
    print(
        f"paced            ours       {sessions} sessions together (peak {end['peak']}), "
        f"{commands} commands, 2 commands/s per session"
    )
    print(
        f"  turnaround     p50 {percentile(gaps, 50) * 1e3:.2f} ms  p99 {percentile(gaps, 99) * 1e3:.2f} ms  "
        f"max {max(gaps) * 1e3:.1f} ms  (Asterisk side: reply sent -> next command read, {len(gaps)} commands)"
    )
    if "turnaround_p99" in end:
        print(
            f"  inside server  p50 {end['turnaround_p50'] * 1e3:.3f} ms  p99 {end['turnaround_p99'] * 1e3:.3f} ms  "
            f"(reply handed to the session -> next command sent, {end['turnaround_n']} commands in the window)"
        )
    print(
        f"  server CPU     {(end['cpu_s'] - start['cpu_s']) / window:.3f} of a core with all sessions open "
        f"({window:.1f} s window)"
    )
    print(
        f"  server memory  {(end['peak_rss_kb'] - idle['rss_kb']) * 1024 / max(end['peak'], 1) / 1024:.1f} KB "
        f"per session (RSS {idle['rss_kb'] / 1024:.0f} MB idle -> {end['peak_rss_kb'] / 1024:.0f} MB at peak)"
    )
    print(f"  client (pbxsim) CPU {client_cpu / (hold_s + ramp_s):.2f} of a core")
    stalled = sum(report.stalled for report in reports)
    unfinished = sum(report.hangup_by != "caller" for report in reports)
    if stalled or unfinished:
        print(f"  WARNING: {stalled} sessions stalled, {unfinished} did not end by the caller's hang-up")


async def saturated(use_uvloop: bool, sessions: int, seconds: float, rounds: int) -> None:
    results: dict[str, list[tuple[float, float]]] = {"ours": [], "panoramisk": []}
    for _ in range(rounds):
        for impl in results:
            server = ServerProcess(impl, "busy", use_uvloop)
            try:
                before, t0 = server.stats(), time.monotonic()
                reports = await place_calls(server.port, sessions, seconds, 0)
                after, t1 = server.stats(), time.monotonic()
            finally:
                server.stop()
            commands = sum(len(report.commands) for report in reports)
            cpu = after["cpu_s"] - before["cpu_s"]
            results[impl].append((commands / (t1 - t0), commands / cpu))
    for impl, runs in results.items():
        print(
            f"saturated        {impl:<10} {sessions} sessions: "
            f"median {statistics.median(r[0] for r in runs):8.0f} commands/s, "
            f"{statistics.median(r[1] for r in runs):8.0f} commands per server CPU-second  "
            f"(runs: {', '.join(f'{r[0]:.0f}' for r in runs)})"
        )
    ours, peer = results["ours"], results["panoramisk"]
    wall = statistics.median(r[0] for r in ours) / statistics.median(r[0] for r in peer)
    per_cpu = statistics.median(r[1] for r in ours) / statistics.median(r[1] for r in peer)
    print(f"  ratio ours/panoramisk: {wall:.2f}x commands/s, {per_cpu:.2f}x per server CPU-second")


async def main(args: argparse.Namespace, loop_name: str) -> None:
    # The Asterisk side keeps every transcript line of thousands of calls: the collector's full passes over
    # them would pause this process and show up as server latency, so it is off in the measuring process.
    gc.disable()
    print(f"Python {sys.version.split()[0]}, {loop_name}, {os.cpu_count()} CPUs, server in a child process")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other load skews latency)")
    if "single" in args.phases:
        await single(not args.no_uvloop, args.single_seconds, args.rounds)
    if "paced" in args.phases:
        await paced(not args.no_uvloop, args.sessions, args.hold, args.ramp)
    if "saturated" in args.phases:
        await saturated(not args.no_uvloop, args.saturate_sessions, args.saturate_seconds, args.rounds)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phases", default="single,paced,saturated")
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--hold", type=float, default=30.0, help="seconds each paced session lasts")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which paced sessions start")
    parser.add_argument("--single-seconds", type=float, default=3.0)
    parser.add_argument("--saturate-sessions", type=int, default=200)
    parser.add_argument("--saturate-seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-uvloop", action="store_true")
    parser.add_argument("--serve", choices=("ours", "panoramisk"), help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("paced", "busy"), help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    loop_name = install_loop(not arguments.no_uvloop)
    if arguments.serve:
        asyncio.run(serve(arguments.serve, arguments.mode))
    else:
        asyncio.run(main(arguments, loop_name))
