"""Alembic, driven from code: upgrade, downgrade and the revision a database is at."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def _outside_event_loop(action: Callable[[], None]) -> None:
    """Alembic's async environment starts its own event loop, which cannot nest in a running one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        action()
        return
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(action).result()


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate forward (blocking: from async code, run it with ``asyncio.to_thread``)."""
    _outside_event_loop(lambda: command.upgrade(alembic_config(database_url), revision))


def downgrade(database_url: str, revision: str = "base") -> None:
    _outside_event_loop(lambda: command.downgrade(alembic_config(database_url), revision))


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
