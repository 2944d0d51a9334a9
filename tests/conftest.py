"""Shared fixtures: a migrated repository on SQLite and on PostgreSQL, the app, signed-in users.

The schema is migrated once per run with Alembic. Each test gets a fresh copy of the migrated
SQLite file, or the PostgreSQL test database emptied with TRUNCATE, so tests never see each
other's rows while the app commits for real.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.asyncio as redis
from sqlalchemy.engine import make_url

from callcenter import migrate
from callcenter.app import create_app
from callcenter.config import Settings
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.models import metadata
from callcenter.users.models import Role, User
from callcenter.users.passwords import hash_password
from callcenter.users.tokens import issue_token

REDIS_URL = os.environ.get("CALLCENTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_ADMIN_URL = os.environ.get("CALLCENTER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery"


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "callcenter.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL, migrated once, dropped at the end."""
    name = f"callcenter_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL), timeout=3)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty repository: an SQLite file, then the PostgreSQL test database."""
    if request.param == "sqlite":
        path = tmp_path / "callcenter.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate(url))
    return url


@pytest.fixture
async def shared_postgres(postgres_url: str) -> str:
    """For several instances: the PostgreSQL test database emptied and Redis without the hub's keys."""
    await _truncate(postgres_url)
    client = redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    keys = [key async for key in client.scan_iter("callcenter:hub:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
    return postgres_url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "var", secret_key=TEST_SECRET)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class SignedIn:
    user: User
    headers: dict[str, str]

    @property
    def id(self) -> int:
        return self.user.id


@dataclass
class Team:
    agent: SignedIn
    other_agent: SignedIn
    supervisor: SignedIn
    admin: SignedIn

    def by_role(self, role: str) -> SignedIn:
        return {"agent": self.agent, "supervisor": self.supervisor, "admin": self.admin}[role]


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


@pytest.fixture
async def team(client: httpx.AsyncClient, password_hash: str) -> Team:
    """An agent, a second agent, a supervisor and an admin, each with a bearer token."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    people = [
        ("alice", Role.AGENT, "PJSIP/1001"),
        ("bob", Role.AGENT, "PJSIP/1002"),
        ("sue", Role.SUPERVISOR, None),
        ("ada", Role.ADMIN, None),
    ]
    signed = []
    async with unit_of_work(runtime.sessions) as session:
        for username, role, interface in people:
            user = User(
                username=username,
                display_name=username.title(),
                role=role,
                password_hash=password_hash,
                interface=interface,
                queues=["support"] if role is Role.AGENT else [],
            )
            session.add(user)
            await session.flush()
            token = issue_token(user, secret=runtime.secret, ttl_seconds=600)
            signed.append(SignedIn(user, {"Authorization": f"Bearer {token}"}))
    return Team(*signed)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last.

    Playwright's sync API keeps an event loop running in the main thread from its first use
    until the session ends; an asyncio test scheduled after it could not start its own loop.
    """
    items.sort(key=lambda item: "page" in getattr(item, "fixturenames", ()))
