"""Composition root: builds the FastAPI app and starts and stops its parts in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from callcenter import __version__
from callcenter.config import Settings
from callcenter.db import create_engine, create_sessionmaker


@dataclass
class Services:
    """The parts the lifespan built, reachable from routes through ``request.app.state.services``."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    secret: str


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing touches the database or the network until the lifespan starts."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        app.state.services = Services(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            secret=settings.resolved_secret(),
        )
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="callcenter", version=__version__, lifespan=lifespan)
    from callcenter.api import health

    app.include_router(health.router)
    return app
