"""The flows a running service serves: the shipped files, overridden by what admins published.

The composition root builds the catalog once at start-up and, when several instances share the
database, runs :func:`follow_publications` so a version published on one instance goes live on all.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.config import IvrSettings
from callcenter.db import unit_of_work
from callcenter.flowstore import service
from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.validate import CheckOptions

log = logging.getLogger(__name__)


async def build_catalog(settings: IvrSettings, sessions: async_sessionmaker[AsyncSession]) -> FlowCatalog:
    """Load and check the shipped flows, then put the published versions over them.

    A database that cannot be read yet (down, not migrated) must not keep the service from
    starting: the shipped flows serve until :func:`follow_publications` reads the published ones.
    """
    options = CheckOptions(
        queues=frozenset(settings.queues) if settings.queues else None, sounds_dir=settings.sounds_dir
    )
    catalog = FlowCatalog.from_directory(settings.flows_dir, options)
    try:
        async with unit_of_work(sessions) as session:
            await service.load_live(session, catalog)
    except Exception as exc:
        log.warning("published IVR flows unreadable (%s); serving the shipped flows until they are", exc)
    return catalog


async def follow_publications(
    sessions: async_sessionmaker[AsyncSession], catalog: FlowCatalog, *, interval_s: float = 5.0
) -> None:
    """Poll for versions published elsewhere until cancelled; a failed poll is logged and retried."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            async with unit_of_work(sessions) as session:
                changed = await service.load_live(session, catalog)
        except Exception:
            log.exception("could not read the published IVR flows; keeping the current ones")
            continue
        if changed:
            log.info("IVR flows: %d newly published version(s) now live", changed)
