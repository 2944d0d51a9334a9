"""The same Alembic migrations go up and down on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from callcenter import migrate
from callcenter.db import create_engine
from callcenter.models import metadata

ROOT = Path(__file__).resolve().parent.parent


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


def test_upgrade_creates_every_table_and_downgrade_removes_them(database_url: str) -> None:
    assert set(metadata.tables) <= asyncio.run(_tables(database_url))
    migrate.downgrade(database_url, "base")
    assert asyncio.run(_tables(database_url)) <= {"alembic_version"}
    migrate.upgrade(database_url)
    assert set(metadata.tables) <= asyncio.run(_tables(database_url))


def test_models_and_migrations_agree(database_url: str) -> None:
    """Autogenerate finds nothing to do: the models and the migration history describe one schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    async def diff() -> list:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
                )
        finally:
            await engine.dispose()

    assert asyncio.run(diff()) == []


def test_alembic_command_line_honours_the_database_url(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = os.environ | {"CALLCENTER_DATABASE_URL": url}
    alembic = [sys.executable, "-m", "alembic"]
    subprocess.run([*alembic, "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    assert set(metadata.tables) <= asyncio.run(_tables(url))
    subprocess.run([*alembic, "downgrade", "base"], cwd=ROOT, env=env, check=True, capture_output=True)
    assert asyncio.run(_tables(url)) <= {"alembic_version"}
