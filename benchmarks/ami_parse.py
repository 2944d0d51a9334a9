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
   of the volume, are skipped unsplit), alone and with three lookups on what is kept.
2. Reader lag. A separate process plays Asterisk over a real TCP socket and sends the capture events at
   ``--rate`` events/s in 10 ms batches; our AmiClient receives them while a probe task measures how late
   the event loop wakes it (p50/p99/p99.9).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import importlib.util
import io
import multiprocessing
import socket
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.telephony.ami import AmiClient, AmiDecoder, AmiMessage

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


def load_panoramisk() -> types.ModuleType | None:
    """panoramisk's ``ami_protocol`` module without running the package ``__init__``.

    The package ``__init__`` imports the whole library (manager, call_manager, fast_agi); older releases
    fail there on Python 3.11 (``asyncio.coroutine`` is gone) and none of it is the parser. So an empty
    package module is put in its place and only ``ami_protocol`` (with the ``message``, ``actions`` and
    ``utils`` modules it imports) is loaded from the installed files: the parser runs unmodified.
    """
    spec = importlib.util.find_spec("panoramisk")
    if spec is None or spec.submodule_search_locations is None:
        return None
    package = types.ModuleType("panoramisk")
    package.__path__ = list(spec.submodule_search_locations)
    saved = sys.modules.get("panoramisk")
    sys.modules["panoramisk"] = package
    try:
        return importlib.import_module("panoramisk.ami_protocol")
    finally:
        if saved is not None:
            sys.modules["panoramisk"] = saved


class _PanoramiskFactory:
    """Stands in for panoramisk's Manager: counts what its protocol dispatches."""

    forgetable_actions: tuple[str, ...] = ()
    awaiting_actions: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.count = 0

    def dispatch(self, message: object) -> None:
        self.count += 1

    def connection_lost(self, exc: object) -> None:
        pass  # a Shutdown event in the stream makes panoramisk call this


class _NullTransport:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def panoramisk(module: types.ModuleType, chunks: list[bytes]) -> int:
    """panoramisk's own ``AMIProtocol.data_received`` fed the 64 KiB pieces."""
    protocol = module.AMIProtocol()
    protocol.connection_made(_NullTransport())
    factory = _PanoramiskFactory()
    protocol.factory = factory
    protocol.version = "11.0.0"  # banner already consumed
    for chunk in chunks:
        protocol.data_received(chunk)
        protocol.closed = False  # a Shutdown in the stream "closes" it; keep parsing like a new connection
    return factory.count + len(protocol.responses)


def pyst2(stream: bytes) -> int:
    """pyst2's own reader and parser: ``Manager._receive_data`` over an in-memory file, then the
    ``ManagerMsg``/``Event`` construction its ``message_loop`` thread does, without the threads.

    Its reader iterates the socket file line by line (over TCP it uses an unbuffered file and so makes
    one ``recv`` per byte); here the file is a BytesIO, which only makes pyst2 faster than it is live.
    """
    from asterisk import manager as pyst2_manager

    client = pyst2_manager.Manager()
    client.title = "Asterisk Call Manager"  # banner already consumed
    client._sock = io.BytesIO(stream)
    client._connected.set()
    client._running.set()
    client._receive_data()  # reads to EOF, queues one list of lines per message, then None
    queue = client._message_queue
    count = 0
    while (lines := queue.get_nowait()) is not None:
        message = pyst2_manager.ManagerMsg(lines)
        if message.has_header("Event"):
            pyst2_manager.Event(message)
        count += 1
    client._running.clear()  # its threads never started; otherwise __del__ tries to join them
    return count


# --- measuring -------------------------------------------------------------------------------------


def median_rate(run: Callable[[], int], messages: int, rounds: int) -> tuple[float, float, float, int]:
    """(median, min, max) messages/s over ``rounds`` runs, and the messages the parser produced."""
    rates = []
    produced = 0
    for _ in range(rounds):
        gc.collect()
        started = time.perf_counter()
        produced = run()
        rates.append(messages / (time.perf_counter() - started))
    return statistics.median(rates), min(rates), max(rates), produced


def throughput(rounds: int, repeat: int) -> None:
    stream = build_stream(repeat)
    chunks = pieces(stream)
    reference = AmiDecoder(expect_banner=False).feed(stream)
    messages = len(reference)
    events = sum(m.kind == "event" for m in reference)
    kept = sum(m.kind != "event" or m.name in SERVICE_EVENTS for m in reference)
    print(f"stream: {len(stream) / 1e6:.1f} MB, {messages} messages ({events} events), {len(chunks)} reads of 64 KiB")
    print(
        f"early filter keeps {kept} of {messages} messages ({kept / messages:.0%}): {len(SERVICE_EVENTS)} event names"
    )
    print(f"rounds: {rounds}, medians in messages/s on one core (Python {sys.version.split()[0]})\n")

    results: dict[str, tuple[float, float, float, int]] = {}
    results["callcenter full parse"] = median_rate(lambda: ours(chunks), messages, rounds)
    results["callcenter 3 lookups"] = median_rate(lambda: ours(chunks, use="lookups"), messages, rounds)
    results["callcenter decode only"] = median_rate(lambda: ours(chunks, use="none"), messages, rounds)
    results["callcenter early filter"] = median_rate(
        lambda: ours(chunks, only=SERVICE_EVENTS, use="none"), messages, rounds
    )
    results["callcenter filter+lookups"] = median_rate(
        lambda: ours(chunks, only=SERVICE_EVENTS, use="lookups"), messages, rounds
    )
    module = load_panoramisk()
    if module is not None:
        results["panoramisk"] = median_rate(lambda: panoramisk(module, chunks), messages, rounds)
    else:
        print("panoramisk not installed (pip install -e '.[bench]'): skipped")
    if importlib.util.find_spec("asterisk") is not None:
        results["pyst2"] = median_rate(lambda: pyst2(stream), messages, rounds)
    else:
        print("pyst2 not installed: skipped")

    peers = {k: v[0] for k, v in results.items() if not k.startswith("callcenter")}
    fastest_peer = max(peers.values()) if peers else None
    print(f"{'parser':<26}{'median/s':>12}{'min/s':>12}{'max/s':>12}{'produced':>10}{'vs best peer':>14}")
    for name, (median, low, high, produced) in results.items():
        ratio = f"{median / fastest_peer:.2f}x" if fastest_peer else "-"
        print(f"{name:<26}{median:>12,.0f}{low:>12,.0f}{high:>12,.0f}{produced:>10}{ratio:>14}")
    print("\n(produced: messages the parser handed on; pyst2 merges list items after 'status will follow')")


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


async def _measure_lag(port: int, seconds: float) -> tuple[list[float], int, int]:
    received = 0
    sent = -1
    finished = asyncio.Event()

    def consume(event: AmiMessage) -> None:
        nonlocal received, sent
        if event.name == "BenchmarkEnd":
            sent = int(event["Sent"])
            finished.set()
        else:
            received += 1

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
    return lags, received, sent


def reader_lag(rate: int, seconds: float) -> None:
    ports: multiprocessing.Queue = multiprocessing.Queue()
    sender = multiprocessing.Process(target=_sender, args=(ports, rate, seconds), daemon=True)
    sender.start()
    port = ports.get(timeout=10)
    lags, received, sent = asyncio.run(_measure_lag(port, seconds))
    sender.join(timeout=5)
    lags.sort()

    def pct(p: float) -> float:
        return lags[min(len(lags) - 1, int(p / 100 * len(lags)))] * 1000

    print(f"\nreader lag at {rate:,} events/s for {seconds:g} s over TCP (sender in another process):")
    print(f"events sent {sent:,}, received {received:,}; loop wake-up lateness over {len(lags):,} probes of 1 ms:")
    print(f"p50 {pct(50):.2f} ms   p99 {pct(99):.2f} ms   p99.9 {pct(99.9):.2f} ms   max {lags[-1] * 1000:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=10, help="how many times the captures are repeated")
    parser.add_argument("--rate", type=int, default=10_000, help="events/s for the reader-lag measurement")
    parser.add_argument("--lag-seconds", type=float, default=5.0)
    parser.add_argument("--skip-lag", action="store_true")
    args = parser.parse_args()
    throughput(args.rounds, args.repeat)
    if not args.skip_lag:
        reader_lag(args.rate, args.lag_seconds)


if __name__ == "__main__":
    main()
