"""A few database connections held open in autocommit mode for the hot reads of the screen-pop.

Checking a connection out of SQLAlchemy's pool, beginning and ending a transaction costs more
than the history query itself (each step is a thread hop on aiosqlite, a round trip on
asyncpg). Autocommit reads need no transaction: on SQLite in WAL mode and on PostgreSQL each
statement sees everything committed before it started.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class ReadPool:
    def __init__(self, engine: AsyncEngine, size: int = 4) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._size = size
        self._idle: asyncio.Queue[AsyncConnection] = asyncio.Queue()
        self._all: list[AsyncConnection] = []

    async def open(self) -> None:
        for _ in range(self._size):
            connection = await self._engine.connect()
            self._all.append(connection)
            self._idle.put_nowait(connection)

    async def close(self) -> None:
        for connection in self._all:
            await connection.close()
        self._all.clear()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A held connection for one or a few reads; a broken one is replaced, not handed out again."""
        connection = await self._idle.get()
        try:
            yield connection
        except BaseException:
            if connection.invalidated or connection.closed:
                connection = await self._replace(connection)
            raise
        finally:
            self._idle.put_nowait(connection)

    async def _replace(self, broken: AsyncConnection) -> AsyncConnection:
        self._all.remove(broken)
        await broken.close()
        fresh = await self._engine.connect()
        self._all.append(fresh)
        return fresh
