"""Customer history and phone lookup at scale, on SQLite and PostgreSQL.

Fills a repository with N contacts over M customers once (kept between runs), then times,
over random customers, the two reads the screen-pop does on every ringing call:

* lookup by phone: ``hot_reads.customer_id_by_identity`` on a held connection (the screen-pop's
  lookup) and ``service.search_customers(phone=...)`` in a unit of work (the REST search);
* the history (``service.customer_history``: last 50 contacts with notes, open cases, callbacks),
  once on a connection held open (how the screen-pop reads) and once in a fresh unit of work
  per call (how a REST request reads).

Each is measured warm (after one pass over the same customers) and cold (a fresh engine,
customers not read before in the run), and against a peer measured in the same run: the same
rows read with the bare driver (sqlite3 / asyncpg), four hand-written queries, no layer at all.

    python benchmarks/history.py --database sqlite --contacts 1000000 --customers 100000
    python benchmarks/history.py --database postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from rich.progress import Progress
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from callcenter import migrate
from callcenter.contacts import hot_reads, service
from callcenter.contacts.models import Callback, Case, Contact, Customer, Identity, Note
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.users.actor import SYSTEM

CHANNELS = ["voice", "voice", "voice", "ivr", "email", "web", "chat", "sms"]
START = datetime(2024, 1, 1, tzinfo=UTC)
BATCH = 20_000


def phone_of(customer_id: int) -> str:
    return f"+1555{customer_id:07d}"


async def fill(url: str, customers: int, contacts: int) -> None:
    """Create the data once; a repository that already has it is reused."""
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        have = await session.scalar(select(func.count()).select_from(Contact))
    if have >= contacts:
        print(f"reusing {have:,} contacts already in {make_url(url).render_as_string()}")
        await engine.dispose()
        return
    if have:
        raise SystemExit(f"{url} holds {have:,} contacts, fewer than asked: start from an empty database")
    rng = random.Random(7)
    with Progress() as progress:
        task = progress.add_task("customers", total=customers)
        for first in range(1, customers + 1, BATCH):
            ids = range(first, min(first + BATCH, customers + 1))
            async with unit_of_work(sessions) as session:
                await session.execute(
                    insert(Customer),
                    [
                        {
                            "id": i,
                            "display_name": f"Customer {i}",
                            "segment": rng.choice([None, "vip", "gold"]),
                            "value_score": rng.randrange(1000),
                            "consents": {},
                        }
                        for i in ids
                    ],
                )
                await session.execute(
                    insert(Identity), [{"customer_id": i, "kind": "phone", "value": phone_of(i)} for i in ids]
                )
                await session.execute(
                    insert(Case),
                    [
                        {
                            "customer_id": i,
                            "subject": "Open problem",
                            "status": "open",
                            "reply_due_at": START + timedelta(days=400),
                        }
                        for i in ids
                        if i % 7 == 0
                    ],
                )
                await session.execute(
                    insert(Callback),
                    [
                        {
                            "customer_id": i,
                            "number": phone_of(i),
                            "status": "pending",
                            "window_start": START,
                            "window_end": START + timedelta(hours=1),
                        }
                        for i in ids
                        if i % 11 == 0
                    ],
                )
            progress.update(task, advance=len(ids))
        task = progress.add_task("contacts", total=contacts)
        for first in range(1, contacts + 1, BATCH):
            ids = range(first, min(first + BATCH, contacts + 1))
            rows, notes = [], []
            for contact_id in ids:
                customer_id = rng.randrange(1, customers + 1)
                started = START + timedelta(seconds=rng.randrange(60 * 60 * 24 * 365))
                rows.append(
                    {
                        "id": contact_id,
                        "customer_id": customer_id,
                        "channel": rng.choice(CHANNELS),
                        "direction": "inbound",
                        "source": "bench",
                        "external_id": str(contact_id),
                        "started_at": started,
                        "queue": "support",
                        "outcome": "handled",
                        "ivr_path": ["menu", "queue"],
                        "ivr_inputs": {"choice": "1"},
                    }
                )
                if contact_id % 5 == 0:
                    notes.append({"customer_id": customer_id, "contact_id": contact_id, "body": "Called about invoice"})
            async with unit_of_work(sessions) as session:
                await session.execute(insert(Contact), rows)
                if notes:
                    await session.execute(insert(Note), notes)
            progress.update(task, advance=len(ids))
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            for table in ("customers", "identities", "contacts", "notes", "cases", "callbacks"):
                await connection.execute(text(f"ANALYZE {table}"))
                await connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    else:
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    await engine.dispose()


async def timed(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    samples = []
    for call in calls:
        began = time.perf_counter_ns()
        await call()
        samples.append((time.perf_counter_ns() - began) / 1e6)
    return samples


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class BareSqlite:
    """The same reads through the stdlib driver, synchronously: no pool, no ORM, no thread hop."""

    def __init__(self, url: str) -> None:
        self.db = sqlite3.connect(make_url(url).database)

    async def history(self, customer_id: int) -> None:
        rows = self.db.execute(
            "SELECT * FROM contacts WHERE customer_id=? ORDER BY started_at DESC, id DESC LIMIT 51", (customer_id,)
        ).fetchall()
        ids = [r[0] for r in rows]
        self.db.execute(f"SELECT * FROM notes WHERE contact_id IN ({','.join('?' * len(ids))})", ids).fetchall()
        self.db.execute(
            "SELECT * FROM cases WHERE customer_id=? AND status IN ('open','pending')", (customer_id,)
        ).fetchall()
        self.db.execute("SELECT * FROM callbacks WHERE customer_id=? AND status='pending'", (customer_id,)).fetchall()

    async def lookup(self, phone: str) -> None:
        self.db.execute(
            "SELECT c.* FROM customers c JOIN identities i ON i.customer_id=c.id WHERE i.kind='phone' AND i.value=?",
            (phone,),
        ).fetchall()

    async def close(self) -> None:
        self.db.close()


class BarePostgres:
    """The same reads through asyncpg with hand-written SQL."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.db = connection

    @classmethod
    async def open(cls, url: str) -> BarePostgres:
        return cls(await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False)))

    async def history(self, customer_id: int) -> None:
        rows = await self.db.fetch(
            "SELECT * FROM contacts WHERE customer_id=$1 ORDER BY started_at DESC, id DESC LIMIT 51", customer_id
        )
        await self.db.fetch("SELECT * FROM notes WHERE contact_id = ANY($1::int[])", [r["id"] for r in rows])
        await self.db.fetch("SELECT * FROM cases WHERE customer_id=$1 AND status IN ('open','pending')", customer_id)
        await self.db.fetch("SELECT * FROM callbacks WHERE customer_id=$1 AND status='pending'", customer_id)

    async def lookup(self, phone: str) -> None:
        await self.db.fetch(
            "SELECT c.* FROM customers c JOIN identities i ON i.customer_id=c.id WHERE i.kind='phone' AND i.value=$1",
            phone,
        )

    async def close(self) -> None:
        await self.db.close()


async def measure(url: str, customers: int, lookups: int) -> None:
    rng = random.Random(11)
    sample = rng.sample(range(1, customers + 1), min(lookups * 2, customers))
    warm_ids, cold_ids = sample[:lookups], sample[lookups:] or sample[:lookups]

    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    held = await engine.execution_options(isolation_level="AUTOCOMMIT").connect()

    async def history_held(customer_id: int) -> None:
        await service.customer_history(held, customer_id=customer_id, actor=SYSTEM, limit=50)

    async def history_request(customer_id: int) -> None:
        async with unit_of_work(sessions) as session:
            await service.customer_history(session, customer_id=customer_id, actor=SYSTEM, limit=50)

    async def lookup_held(customer_id: int) -> None:
        found = await hot_reads.customer_id_by_identity(held, kind="phone", value=phone_of(customer_id))
        assert found == customer_id

    async def lookup(customer_id: int) -> None:
        async with unit_of_work(sessions) as session:
            found = await service.search_customers(session, region="US", phone=phone_of(customer_id))
            assert found and found[0].customer.id == customer_id

    def calls(function: Callable[[int], Awaitable[None]], ids: list[int]) -> list[Callable[[], Awaitable[None]]]:
        return [lambda i=i: function(i) for i in ids]

    cold = cold_ids[: max(1, lookups // 10)]
    results = {
        "history cold (held conn)": await timed(calls(history_held, cold)),
        "lookup cold (held conn)": await timed(calls(lookup_held, cold[::-1])),
    }
    for name, function in (
        ("history warm (held conn)", history_held),
        ("history warm (per request)", history_request),
        ("lookup warm (held conn)", lookup_held),
        ("search warm (per request)", lookup),
    ):
        await timed(calls(function, warm_ids))
        results[name] = await timed(calls(function, warm_ids))
    await held.close()
    await engine.dispose()

    bare = BareSqlite(url) if engine.dialect.name == "sqlite" else await BarePostgres.open(url)
    bare_history = [lambda i=i: bare.history(i) for i in warm_ids]
    bare_lookup = [lambda i=i: bare.lookup(phone_of(i)) for i in warm_ids]
    await timed(bare_history)
    results["bare driver history warm"] = await timed(bare_history)
    results["bare driver lookup warm"] = await timed(bare_lookup)
    await bare.close()

    print(f"\n{engine.dialect.name}: {lookups:,} random customers; times in ms")
    print(f"{'measure':<30}{'p50':>9}{'p99':>9}{'max':>9}")
    for name, samples in results.items():
        p50, p99 = quantiles(samples)
        print(f"{name:<30}{p50:>9.3f}{p99:>9.3f}{max(samples):>9.3f}")
    for ours, peer in (
        ("history warm (held conn)", "bare driver history warm"),
        ("history warm (per request)", "bare driver history warm"),
        ("lookup warm (held conn)", "bare driver lookup warm"),
        ("search warm (per request)", "bare driver lookup warm"),
    ):
        ratio = quantiles(results[ours])[0] / quantiles(results[peer])[0]
        print(f"{ours}: p50 / {peer} p50 = {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sqlite-path", type=Path, default=Path("var/bench-history.db"))
    parser.add_argument("--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/callcenter_bench")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=10_000)
    args = parser.parse_args()
    urls = []
    if args.database in ("sqlite", "both"):
        urls.append(f"sqlite+aiosqlite:///{args.sqlite_path}")
    if args.database in ("postgresql", "both"):
        asyncio.run(ensure_postgres_database(args.postgres_url))
        urls.append(args.postgres_url)
    for url in urls:
        asyncio.run(fill(url, args.customers, args.contacts))
        asyncio.run(measure(url, args.customers, args.lookups))


async def ensure_postgres_database(url: str) -> None:
    parsed = make_url(url)
    admin = await asyncpg.connect(parsed.set(drivername="postgresql", database="postgres").render_as_string(False))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", parsed.database):
            await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()


if __name__ == "__main__":
    main()
