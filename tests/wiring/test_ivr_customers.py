"""The IVR finds customers in the contact repository by number or account, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.contacts import service
from callcenter.contacts.models import IdentityKind
from callcenter.contacts.schemas import CustomerCreate, IdentityIn
from callcenter.db import unit_of_work
from callcenter.users.actor import SYSTEM
from callcenter.wiring.ivr_customers import RepositoryCustomers

ROOT = Path(__file__).parents[2]


async def add_customers(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with unit_of_work(sessions) as session:
        bob = await service.create_customer(
            session,
            data=CustomerCreate(
                display_name="Bob Stone",
                segment="vip",
                value_score=1200,
                identities=[
                    IdentityIn(kind=IdentityKind.PHONE, value="(555) 123-0002"),
                    IdentityIn(kind=IdentityKind.ACCOUNT, value="5678"),
                ],
            ),
            region="US",
        )
        old = await service.create_customer(
            session,
            data=CustomerCreate(
                display_name="Bob S.", identities=[IdentityIn(kind=IdentityKind.PHONE, value="+1 555 123 0009")]
            ),
            region="US",
        )
        await service.merge_customers(session, source_id=old.customer.id, target_id=bob.customer.id, actor=SYSTEM)
        return bob.customer.id, old.customer.id


async def test_lookups_by_number_account_and_through_a_merge(sessions: async_sessionmaker[AsyncSession]) -> None:
    bob_id, _ = await add_customers(sessions)
    directory = RepositoryCustomers(sessions, default_region="US")
    expected = {"id": bob_id, "name": "Bob Stone", "segment": "vip", "value": 1200, "language": ""}
    assert await directory.find_by_phone("+15551230002") == expected
    assert await directory.find_by_phone("5551230002") == expected  # as a US trunk may deliver it
    assert await directory.find_by_account(" 5678 ") == expected
    assert await directory.find_by_phone("+15551230009") == expected  # the merged duplicate's number
    assert await directory.find_by_phone("+15559990000") is None
    assert await directory.find_by_phone("anonymous") is None
    assert await directory.find_by_account("0000") is None


async def test_simulate_looks_customers_up_in_the_repository(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await add_customers(sessions)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter", "flows", "simulate", "main-menu", "--caller", "+15551230002",
        "--time", "2026-11-24T15:00:00Z", "--database", database_url, "--json",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    result = json.loads(stdout)
    # Bob is a VIP in the repository: straight to the front of support
    assert result["outcome"] == {"action": "queue", "queue": "support", "priority": 10, "timeout_s": 600,
                                 "resume": "vip-routing/vip"}  # fmt: skip
    assert result["variables"]["identified"] == "yes"
