"""The running parts the composition root builds, reachable from routes as ``app.state.runtime``."""

from __future__ import annotations

from dataclasses import dataclass

from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from callcenter.bus import EventBus
from callcenter.config import Settings
from callcenter.realtime.hub import Hub
from callcenter.supervision.service import Supervision


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    secret: str
    login_limiter: MovingWindowRateLimiter
    bus: EventBus
    hub: Hub
    supervision: Supervision
