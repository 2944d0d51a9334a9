"""`callcenter demo`: a newcomer signs in and a call rings on their console; seeding twice adds nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.demo.seed import DEMO_CUSTOMERS, DEMO_USERS, seed_customers, seed_users
from callcenter.users import repository as users

ROOT = Path(__file__).resolve().parents[2]


async def test_the_demo_rings_the_newcomer_with_a_screen_pop(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter", "demo", "--port", "0", "--data-dir", str(tmp_path / "demo"),
        "--rate", "30", cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        banner = []
        while not banner or "Press Ctrl-C" not in banner[-1]:
            banner.append((await asyncio.wait_for(process.stdout.readline(), 60)).decode())
        text = "".join(banner)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text).group(1)
        assert "you         demo-agent" in text and "<- sign in as this one" in text
        async with httpx.AsyncClient(base_url=url) as client:
            login = await client.post("/api/auth/login", json={"username": "you", "password": "demo-agent"})
            token = login.json()["access_token"]
        ws_url = url.replace("http", "ws") + "/ws/agent"
        async with connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 60))
                call = (message["data"] or {}).get("call") if message["type"] in ("snapshot", "call.ringing") else None
                if call:
                    break
        card = call["card"]
        assert card["call"]["queue"] in ("support", "sales")
        assert card["call"]["ivr_path"][:2] == ["hours", "identify"]
        if card["known"]:
            assert card["customer"]["display_name"] in {c.name for c in DEMO_CUSTOMERS}
            assert card["history"]["contacts"]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        rest = (await asyncio.wait_for(process.stdout.read(), 30)).decode()
        await process.wait()
    assert process.returncode == 0, rest
    assert "demo stopped after" in rest


async def test_seeding_again_adds_nothing(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    now = dt.datetime.now(dt.UTC)
    try:
        for expected in (len(DEMO_CUSTOMERS), 0):
            async with unit_of_work(create_sessionmaker(engine)) as session:
                ids = await seed_users(session)
                assert await seed_customers(session, region="US", agent_id=ids["lee"], now=now) == expected
        async with unit_of_work(create_sessionmaker(engine)) as session:
            assert len(await users.list_users(session)) == len(DEMO_USERS)
    finally:
        await engine.dispose()
