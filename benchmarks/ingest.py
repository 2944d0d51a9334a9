"""Ingest benchmark: AMI bytes arriving on a socket -> call tracker -> contacts committed.

Run by hand (not part of the tests)::

    python benchmarks/ingest.py [--copies 50] [--rounds 3] [--postgres URL]

The byte stream is the ami-09 capture (10 calls, a ringall burst recorded with ``read=all``, so
about two thirds of the events are VarSet/Newexten the tracker skips), repeated ``--copies``
times with the Uniqueid/Linkedid epochs shifted per copy so every copy is a new set of calls. A
local TCP server sends it as fast as the socket takes it; the client decodes it, feeds the
tracker with receive times, and records every finished call into the repository in batches
(one unit of work per batch of ``--batch`` calls). The clock runs from connect until the last
batch is committed. First, for reference, decode + track alone from memory. Printed: calls/s
and events/s (events = AMI messages in the stream), median of ``--rounds`` rounds, on a fresh
SQLite file and, when ``--postgres`` is given and reachable, on PostgreSQL; and each one
without the decoder's ``only_events`` filter, as the ratio to it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text

from callcenter import migrate
from callcenter.calls.tracker import TRACKED_EVENTS, CallTracker
from callcenter.contacts.call_recorder import CallRecorder
from callcenter.contacts.models import Contact
from callcenter.db import create_engine, create_sessionmaker
from callcenter.models import metadata
from callcenter.telephony.ami.codec import AmiDecoder

TRACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "asterisk-traces"
CAPTURE = "ami-09-burst-sales-ringall.txt"
CALLS_PER_COPY = 10


def build_stream(copies: int) -> tuple[bytes, int]:
    """Banner + ``copies`` shifted copies of the capture's messages; also the message count."""
    raw = (TRACES / CAPTURE).read_bytes()
    banner, _, body = raw.partition(b"\r\n")
    parts = [banner + b"\r\n"]
    for copy in range(copies):
        # Shift the epoch digits so Linkedids differ per copy (same length, same shape).
        parts.append(body.replace(b"1795439", str(1795439 + 10 * (copy + 1)).encode()))
    stream = b"".join(parts)
    return stream, stream.count(b"\r\n\r\n")


async def serve(stream: bytes) -> tuple[asyncio.Server, int]:
    async def send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(stream)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(send, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def run_once(stream: bytes, url: str, *, batch: int, filtered: bool) -> tuple[float, int]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    recorder = CallRecorder(sessions)
    tracker = CallTracker("bench")
    decoder = AmiDecoder(only_events=TRACKED_EVENTS if filtered else None)
    server, port = await serve(stream)
    pending = []
    try:
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while data := await reader.read(65536):
            for msg in decoder.feed(data):
                tracker.feed(msg, time.time())
            pending += tracker.pop_finished()
            if len(pending) >= batch:
                await recorder.record(pending)
                pending = []
        await recorder.record(pending)
        elapsed = time.perf_counter() - started
        writer.close()
        async with sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(Contact))
    finally:
        server.close()
        await engine.dispose()
    return elapsed, stored or 0


async def empty_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


def measure(name: str, stream: bytes, events: int, calls: int, fresh_url, args: argparse.Namespace) -> None:
    results = {}
    for filtered in (True, False):
        times = []
        for _ in range(args.rounds):
            url = fresh_url()
            elapsed, stored = asyncio.run(run_once(stream, url, batch=args.batch, filtered=filtered))
            if stored != calls:
                raise SystemExit(f"{name}: {stored} contacts stored, expected {calls}")
            times.append(elapsed)
        results[filtered] = statistics.median(times)
    best = results[True]
    print(
        f"{name:10} {calls / best:8.0f} calls/s {events / best:10.0f} events/s  ({calls} calls, {events} events, "
        f"median of {args.rounds})"
    )
    print(f"{'':10} without only_events: {calls / results[False]:8.0f} calls/s  (x{results[False] / best:.2f} time)")


def track_only(stream: bytes, events: int, calls: int, rounds: int) -> None:
    """Decode + tracker from memory, no socket, no database: the ceiling the repository is measured against."""
    results = {}
    for filtered in (True, False):
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            decoder, tracker = AmiDecoder(only_events=TRACKED_EVENTS if filtered else None), CallTracker("bench")
            for msg in decoder.feed(stream):
                tracker.feed(msg, 0.0)
            times.append(time.perf_counter() - started)
            assert len(tracker.pop_finished()) == calls
        results[filtered] = statistics.median(times)
    print(
        f"{'tracker':10} {calls / results[True]:8.0f} calls/s {events / results[True]:10.0f} events/s  "
        f"(decode + track in memory; without only_events x{results[False] / results[True]:.2f} time)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--postgres", help="e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/bench (migrated here)")
    args = parser.parse_args()
    stream, events = build_stream(args.copies)
    calls = CALLS_PER_COPY * args.copies
    track_only(stream, events, calls, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        migrate.upgrade(f"sqlite+aiosqlite:///{template}")
        counter = iter(range(1_000_000))

        def fresh_sqlite() -> str:
            path = Path(tmp) / f"run{next(counter)}.db"
            path.write_bytes(template.read_bytes())
            return f"sqlite+aiosqlite:///{path}"

        measure("sqlite", stream, events, calls, fresh_sqlite, args)
    if args.postgres:
        migrate.upgrade(args.postgres)

        def fresh_postgres() -> str:
            asyncio.run(empty_postgres(args.postgres))
            return args.postgres

        measure("postgresql", stream, events, calls, fresh_postgres, args)


if __name__ == "__main__":
    main()
