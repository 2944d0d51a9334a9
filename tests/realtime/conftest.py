"""Fixtures for the websocket tests: the real service on uvicorn (127.0.0.1, ephemeral port) and signed-in users."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect

from callcenter.app import create_app
from callcenter.config import RealtimeSettings, Settings
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.realtime.hub import Hub
from callcenter.users.models import Role, User
from callcenter.users.tokens import issue_token
from tests.conftest import TEST_SECRET


@dataclass
class Service:
    """One running instance: its app (for the hub) and its websocket base URL."""

    app: FastAPI
    port: int

    @property
    def hub(self) -> Hub:
        return self.app.state.runtime.hub

    def url(self, path: str, **query: Any) -> str:
        pairs = "&".join(f"{k}={v}" for k, v in query.items())
        return f"ws://127.0.0.1:{self.port}{path}" + (f"?{pairs}" if pairs else "")

    def connect(self, path: str, token: str | None, **kwargs: Any) -> Any:
        """A websocket client with the bearer token (none when ``token`` is None)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))
        query = kwargs.pop("query", {})
        return connect(self.url(path, **query), additional_headers=headers, compression=None, **kwargs)


@asynccontextmanager
async def running(settings: Settings, **app_options: Any) -> AsyncIterator[Service]:
    """The app served by uvicorn on an ephemeral port in this event loop."""
    app = create_app(settings, **app_options)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, ws="websockets-sansio", ws_per_message_deflate=False, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Service(app, port)
    finally:
        server.should_exit = True
        await task


@dataclass
class People:
    """Bearer tokens of two agents, a supervisor and an admin, and their user ids."""

    tokens: dict[str, str]
    ids: dict[str, int]


async def add_people(database_url: str) -> People:
    engine = create_engine(database_url)
    tokens, ids = {}, {}
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            for username, role in [
                ("alice", Role.AGENT),
                ("bob", Role.AGENT),
                ("sue", Role.SUPERVISOR),
                ("ada", Role.ADMIN),
            ]:
                user = User(username=username, display_name=username.title(), role=role, password_hash="x", queues=[])
                session.add(user)
                await session.flush()
                tokens[username] = issue_token(user, secret=TEST_SECRET, ttl_seconds=600)
                ids[username] = user.id
    finally:
        await engine.dispose()
    return People(tokens, ids)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "callcenter.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def people(sqlite_url: str) -> People:
    return await add_people(sqlite_url)


StartService = Callable[..., Awaitable[Service]]


@pytest.fixture
async def start_service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[StartService]:
    """Start the service on SQLite with realtime settings overridden by keyword."""
    stack: list[Any] = []

    async def start(database_url: str = sqlite_url, backplane: str | None = None, **realtime: Any) -> Service:
        settings = Settings(
            database_url=database_url,
            data_dir=tmp_path / "var",
            secret_key=TEST_SECRET,
            backplane=backplane,
            realtime=RealtimeSettings(**realtime),
        )
        context = running(settings)
        service = await context.__aenter__()
        stack.append(context)
        return service

    try:
        yield start
    finally:
        for context in reversed(stack):
            await context.__aexit__(None, None, None)


async def receive(ws: ClientConnection, *, skip_pings: bool = True, within: float = 5.0) -> dict[str, Any]:
    """The next message (pings skipped unless asked), failing the test when none comes within ``within`` seconds."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), within))
        if not (skip_pings and message["type"] == "ping"):
            return message


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until ``condition()`` holds (state of the server in this event loop), failing after ``within`` seconds."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the server exposes no event for its connection count
            await asyncio.sleep(0.01)
