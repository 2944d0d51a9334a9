"""Composition root: builds the FastAPI app and starts and stops its parts in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from callcenter import __version__
from callcenter.agents import routes as agent_routes
from callcenter.api import health
from callcenter.api.errors import install_error_handlers
from callcenter.bus import EventBus
from callcenter.config import Settings
from callcenter.contacts import contact_routes, customer_routes, work_routes
from callcenter.db import create_engine, create_sessionmaker
from callcenter.flowstore import routes as flowstore_routes
from callcenter.flowstore.live import build_catalog, follow_publications
from callcenter.realtime import create_hub
from callcenter.realtime import routes as realtime_routes
from callcenter.runtime import Runtime
from callcenter.supervision import routes as supervision_routes
from callcenter.supervision.service import Supervision
from callcenter.supervision.tasks import flush_agent_log, run_agent_log, run_alert_checks
from callcenter.users import routes as user_routes
from callcenter.wallboard import routes as wallboard_routes
from callcenter.wallboard.feed import FEED_TYPES, WallboardFeed
from callcenter.web import routes as web_routes
from callcenter.wiring.telephony import start_telephony


def create_app(settings: Settings | None = None, *, ivr_clock: Callable[[], datetime] | None = None) -> FastAPI:
    """Build the app; nothing touches the database or the network until the lifespan starts.

    ``ivr_clock``: the time IVR flows see (opening hours); the demo pins it to business hours.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        runtime = app.state.runtime = Runtime(
            settings=settings,
            engine=engine,
            sessions=create_sessionmaker(engine),
            secret=settings.resolved_secret(),
            login_limiter=MovingWindowRateLimiter(MemoryStorage()),
            bus=EventBus(),
            hub=create_hub(settings),
            supervision=Supervision(settings.metrics),
        )
        app.state.ivr_catalog = await build_catalog(settings.ivr, runtime.sessions)
        following = asyncio.create_task(follow_publications(runtime.sessions, app.state.ivr_catalog))
        await runtime.hub.start()
        feed = runtime.wallboard = WallboardFeed(runtime.supervision, runtime.hub, settings.wallboard)
        runtime.bus.subscribe("wallboard", feed.on_event, types=FEED_TYPES)
        runtime.hub.register_snapshot("supervisors", feed.snapshot)
        options = {"ivr_clock": ivr_clock} if ivr_clock else {}
        telephony = await start_telephony(runtime, app.state.ivr_catalog, **options)
        app.state.telephony = telephony
        if telephony is not None:
            app.state.desk_services = agent_routes.DeskServices(telephony.desks, telephony.actions)
        await runtime.bus.start()
        tasks = [
            following,
            asyncio.create_task(run_alert_checks(runtime.supervision, runtime.sessions)),
            asyncio.create_task(run_agent_log(runtime.supervision, runtime.sessions)),
            asyncio.create_task(feed.run(), name="wallboard-feed"),
        ]
        try:
            yield
        finally:
            if telephony is not None:
                await telephony.stop()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            with contextlib.suppress(Exception):
                await flush_agent_log(runtime.supervision, runtime.sessions)
            await runtime.bus.stop()
            await runtime.hub.stop()
            await engine.dispose()

    app = FastAPI(
        title="callcenter",
        version=__version__,
        lifespan=lifespan,
        description="Customer contact repository, IVR and screen-pop service for Asterisk call centres.",
    )
    install_error_handlers(app)
    realtime_routes.mask_tokens_in_server_logs()
    for router in (
        health.router,
        user_routes.auth_router,
        user_routes.users_router,
        customer_routes.router,
        contact_routes.router,
        work_routes.cases_router,
        work_routes.callbacks_router,
        flowstore_routes.router,
        web_routes.router,
        wallboard_routes.pages,
        wallboard_routes.router,
        realtime_routes.router,
        supervision_routes.router,
        agent_routes.router,
    ):
        app.include_router(router)
    app.mount("/static", web_routes.static_files(), name="static")
    return app
