"""AMI parsing benchmark: our codec against panoramisk's and pyst2's parsers on the same bytes.

Run by hand (not part of the tests)::

    python benchmarks/ami_parse.py [--rounds 7] [--repeat 10] [--lag-seconds 5] [--rate 10000]

1. Throughput. The byte stream is every ``ami-*.txt`` capture of tests/data/asterisk-traces (banner line
   dropped) concatenated and repeated ``--repeat`` times. Every parser gets the whole stream in each round,
   the same way: ours and panoramisk's in 64 KiB pieces (what one socket read returns), pyst2's through its
   own line reader over an in-memory file. The unit is "messages of the stream per second" (the same
   denominator for all, 97 % of them events); the median of ``--rounds`` rounds is printed with the ratio
   to the faster peer. Ours is measured four ways: full parse (every message's ``headers`` split, like
   the peers' dicts), three ``get`` lookups per message instead (headers are split only on demand),
   decode only, and the early ``only_events`` filter (call-lifecycle events; VarSet/Newexten, two thirds
   of the volume, are skipped unsplit), alone and with three lookups on what is kept. pyst2 is also run
   once live: its ``Manager`` (threads, one ``recv`` per byte) reading 5,000 events from a TCP socket.
2. Reader lag. A separate process plays Asterisk over a real TCP socket and sends the capture events at
   ``--rate`` events/s in 10 ms batches; our AmiClient receives them while a probe task measures how late
   the event loop wakes it (p50/p99/p99.9). A second run floods 100,000 events as fast as the sender
   can: the rate they arrive at the consumer is the client's end-to-end ceiling.
3. Dead link. A server that stops answering but keeps the socket open: seconds until the client's
   default keepalive notices and drops the connection (to reconnect).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import importlib.util
import multiprocessing
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ami_peers import load_panoramisk, panoramisk, pyst2, pyst2_live

from callcenter.telephony.ami import AmiClient, AmiDecoder, AmiMessage, encode_message

TRACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "asterisk-traces"
CHUNK = 65536
# What a call tracker needs to follow calls, queues and agents (the "events the service uses").
SERVICE_EVENTS = frozenset(
    {
        "Newchannel",
        "NewCallerid",
        "Hangup",
        "HangupRequest",
        "SoftHangupRequest",
        "AGIExecStart",
        "QueueCallerJoin",
        "QueueCallerLeave",
        "QueueCallerAbandon",
        "AgentCalled",
        "AgentConnect",
        "AgentComplete",
        "AgentRingNoAnswer",
        "DialBegin",
        "DialEnd",
        "BridgeEnter",
        "BridgeLeave",
        "BlindTransfer",
        "AttendedTransfer",
        "QueueMemberStatus",
        "QueueMemberPause",
        "QueueMemberAdded",
        "QueueMemberRemoved",
        "QueueMemberPenalty",
        "OriginateResponse",
        "FullyBooted",
        "Shutdown",
    }
)


def build_stream(repeat: int) -> bytes:
    """Every received-side capture without its banner line, concatenated, ``repeat`` times."""
    parts = []
    for path in sorted(TRACES.glob("ami-*.txt")):
        if path.name.endswith(".actions.txt"):
            continue
        raw = path.read_bytes()
        parts.append(raw[raw.index(b"\r\n") + 2 :])
    return b"".join(parts) * repeat


def pieces(stream: bytes) -> list[bytes]:
    return [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]


# --- the parsers, each driven from the same bytes -------------------------------------------------


def ours(chunks: list[bytes], *, only: frozenset[str] | None = None, use: str = "split") -> int:
    """Our decoder fed the 64 KiB pieces; ``use`` says what is done with each message:
    ``split`` reads ``headers`` (every header split, like the peers build their dicts), ``lookups``
    reads three headers with ``get`` (what a call tracker does), ``none`` keeps the messages as decoded.
    """
    decoder = AmiDecoder(expect_banner=False, only_events=only)
    count = 0
    for chunk in chunks:
        messages = decoder.feed(chunk)
        count += len(messages)
        if use == "split":
            for message in messages:
                message.headers  # noqa: B018 - the point is to split them
        elif use == "lookups":
            for message in messages:
                message.get("Channel"), message.get("Uniqueid"), message.get("Linkedid")
    return count


# --- measuring -------------------------------------------------------------------------------------


def interleaved_rates(
    runs: dict[str, Callable[[], int]], messages: int, rounds: int
) -> dict[str, tuple[float, float, float, int]]:
    """(median, min, max) messages/s and messages produced, per parser.

    Each round runs every parser once, in turn, so a change of machine load hits all of them alike.
    """
    rates: dict[str, list[float]] = {name: [] for name in runs}
    produced: dict[str, int] = {}
    for _ in range(rounds):
        for name, run in runs.items():
            gc.collect()
            started = time.perf_counter()
            produced[name] = run()
            rates[name].append(messages / (time.perf_counter() - started))
    return {
        name: (statistics.median(values), min(values), max(values), produced[name]) for name, values in rates.items()
    }


def throughput(rounds: int, repeat: int) -> None:
    stream = build_stream(repeat)
    chunks = pieces(stream)
    reference = AmiDecoder(expect_banner=False).feed(stream)
    messages = len(reference)
    events = sum(m.kind == "event" for m in reference)
    kept = sum(m.kind != "event" or m.name in SERVICE_EVENTS for m in reference)
    print(f"stream: {len(stream) / 1e6:.1f} MB, {messages} messages ({events} events), {len(chunks)} reads of 64 KiB")
    share = f"{kept / messages:.0%}"
    print(f"early filter keeps {kept} of {messages} messages ({share}), {len(SERVICE_EVENTS)} event names")
    print(f"rounds: {rounds} (parsers interleaved), messages/s on one core (Python {sys.version.split()[0]})\n")

    runs: dict[str, Callable[[], int]] = {
        "callcenter full parse": lambda: ours(chunks),
        "callcenter 3 lookups": lambda: ours(chunks, use="lookups"),
        "callcenter decode only": lambda: ours(chunks, use="none"),
        "callcenter early filter": lambda: ours(chunks, only=SERVICE_EVENTS, use="none"),
        "callcenter filter+lookups": lambda: ours(chunks, only=SERVICE_EVENTS, use="lookups"),
    }
    module = load_panoramisk()
    if module is not None:
        runs["panoramisk"] = lambda: panoramisk(module, chunks)
    else:
        print("panoramisk not installed (pip install -e '.[bench]'): skipped")
    has_pyst2 = importlib.util.find_spec("asterisk") is not None
    if has_pyst2:
        runs["pyst2"] = lambda: pyst2(stream)
    else:
        print("pyst2 not installed: skipped")
    results = interleaved_rates(runs, messages, rounds)
    if has_pyst2:
        live = [f for f in stream.split(b"\r\n\r\n")[:-1] if f.startswith(b"Event: ")][:5000]
        rate = pyst2_live([f + b"\r\n\r\n" for f in live])
        results["pyst2 live over TCP"] = (rate, rate, rate, len(live))

    peers = {k: v[0] for k, v in results.items() if not k.startswith("callcenter")}
    fastest_peer = max(peers.values()) if peers else None
    print(f"{'parser':<26}{'median/s':>12}{'min/s':>12}{'max/s':>12}{'produced':>10}{'vs best peer':>14}")
    for name, (median, low, high, produced) in results.items():
        ratio = f"{median / fastest_peer:.2f}x" if fastest_peer else "-"
        print(f"{name:<26}{median:>12,.0f}{low:>12,.0f}{high:>12,.0f}{produced:>10}{ratio:>14}")
    print("\n(produced: messages the parser handed on; pyst2 merges list items after 'status will follow';")
    print(" 'pyst2 live' is one run of 5,000 events through its Manager threads over TCP, not a median)")


# --- reader lag over a real socket -----------------------------------------------------------------


def _sender(port_queue: multiprocessing.Queue, rate: int, seconds: float) -> None:
    """Plays Asterisk in its own process: banner, accepts any login, then events at ``rate``/s in 10 ms batches."""
    events = [f + b"\r\n\r\n" for f in build_stream(1).split(b"\r\n\r\n")[:-1] if f.startswith(b"Event: ")]
    listener = socket.create_server(("127.0.0.1", 0))
    port_queue.put(listener.getsockname()[1])
    conn, _ = listener.accept()
    conn.sendall(b"Asterisk Call Manager/11.0.0\r\n")
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(4096)
    action_id = next(line[10:] for line in request.split(b"\r\n") if line.lower().startswith(b"actionid: "))
    conn.sendall(b"Response: Success\r\nActionID: " + action_id + b"\r\nMessage: Authentication accepted\r\n\r\n")
    batch = max(1, rate // 100)
    total = int(rate * seconds)
    sent = 0
    started = time.perf_counter()
    while sent < total:
        delay = started + sent / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        conn.sendall(b"".join(events[(sent + i) % len(events)] for i in range(batch)))
        sent += batch
    conn.sendall(b"Event: BenchmarkEnd\r\nSent: " + str(sent).encode() + b"\r\n\r\n")
    time.sleep(1.0)
    conn.close()
    listener.close()


async def _measure_lag(port: int, seconds: float) -> tuple[list[float], int, int, float]:
    received = 0
    sent = -1
    first = last = 0.0
    finished = asyncio.Event()

    def consume(event: AmiMessage) -> None:
        nonlocal received, sent, first, last
        if event.name == "BenchmarkEnd":
            sent = int(event["Sent"])
            finished.set()
        else:
            received += 1
            last = time.perf_counter()
            if received == 1:
                first = last

    client = AmiClient(
        "bench", "127.0.0.1", port, username="bench", secret="bench", consumer=consume, keepalive_interval=3600
    )
    lags: list[float] = []
    await client.connect()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds + 10
    while not finished.is_set() and loop.time() < deadline:
        planned = loop.time() + 0.001
        await asyncio.sleep(0.001)
        lags.append(loop.time() - planned)
    await client.close()
    return lags, received, sent, (received - 1) / (last - first) if last > first else 0.0


def reader_lag(rate: int, seconds: float) -> None:
    ports: multiprocessing.Queue = multiprocessing.Queue()
    sender = multiprocessing.Process(target=_sender, args=(ports, rate, seconds), daemon=True)
    sender.start()
    port = ports.get(timeout=10)
    lags, received, sent, rate_seen = asyncio.run(_measure_lag(port, seconds))
    sender.join(timeout=5)
    lags.sort()

    def pct(p: float) -> float:
        return lags[min(len(lags) - 1, int(p / 100 * len(lags)))] * 1000

    print(f"\nreader lag at {rate:,} events/s for {seconds:g} s over TCP (sender in another process):")
    print(f"events sent {sent:,}, received {received:,} (at {rate_seen:,.0f}/s, AmiClient to a consumer that counts);")
    print(f"loop wake-up lateness over {len(lags):,} probes of 1 ms:")
    print(f"p50 {pct(50):.2f} ms   p99 {pct(99):.2f} ms   p99.9 {pct(99.9):.2f} ms   max {lags[-1] * 1000:.2f} ms")


# --- dead-link detection with the default keepalive ------------------------------------------------


async def _dead_link_once(phase: float) -> float:
    """Seconds from the moment the server goes silent (socket left open) to the client dropping it."""
    silent = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        decoder = AmiDecoder(expect_banner=False)
        while data := await reader.read(65536):
            for action in decoder.feed(data):
                if silent.is_set():
                    continue  # a dead peer: the socket stays open, nothing comes back
                reply = [("Response", "Success"), ("ActionID", action.action_id or "")]
                writer.write(encode_message([*reply, ("Ping", "Pong")] if action.name == "Ping" else reply))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = AmiClient("bench", "127.0.0.1", port, username="bench", secret="bench", fully_booted_wait=0)
    await client.connect()
    await asyncio.sleep(phase)  # somewhere in the keepalive cycle
    silent.set()
    started = time.perf_counter()
    for _ in range(2000):
        if not client.connected:
            break
        await asyncio.sleep(0.002)
    detected = time.perf_counter() - started
    await client.close()
    server.close()
    await server.wait_closed()
    return detected


def dead_link(runs: int) -> None:
    phases = [0.8 * (i + 0.5) / runs for i in range(runs)]
    delays = [asyncio.run(_dead_link_once(phase)) for phase in phases]
    defaults = AmiClient.__init__.__kwdefaults__
    interval, timeout = defaults["keepalive_interval"], defaults["keepalive_timeout"]
    print(f"\ndead link (peer silent, socket open), keepalive {interval} s + {timeout} s, {runs} runs over the cycle:")
    print(f"detected after median {statistics.median(delays):.2f} s, max {max(delays):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=10, help="how many times the captures are repeated")
    parser.add_argument("--rate", type=int, default=10_000, help="events/s for the reader-lag measurement")
    parser.add_argument("--lag-seconds", type=float, default=5.0)
    parser.add_argument(
        "--flood-rate", type=int, default=1_000_000, help="a second lag run, 100,000 events sent at this rate"
    )
    parser.add_argument("--skip-lag", action="store_true")
    args = parser.parse_args()
    throughput(args.rounds, args.repeat)
    if not args.skip_lag:
        reader_lag(args.rate, args.lag_seconds)
        reader_lag(args.flood_rate, 100_000 / args.flood_rate)
        dead_link(5)


if __name__ == "__main__":
    main()
