"""The running parts the composition root builds, reachable from routes as ``app.state.runtime``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from callcenter.bus import EventBus
from callcenter.config import Settings
from callcenter.realtime.hub import Hub
from callcenter.supervision.service import Supervision
from callcenter.telephony.ami.client import AmiClient

if TYPE_CHECKING:
    from callcenter.wallboard.feed import WallboardFeed
    from callcenter.wiring.ami_links import AmiLinks


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
    # The AMI clients by Asterisk server name (empty when no Asterisk is configured).
    ami: dict[str, AmiClient] = field(default_factory=dict)
    ami_links: AmiLinks | None = None
    wallboard: WallboardFeed | None = None
