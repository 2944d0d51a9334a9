"""Background checks of the supervisor's alerts: queue conditions every second, overdue cases less often."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import unit_of_work
from callcenter.supervision import repository
from callcenter.supervision.service import Supervision

log = logging.getLogger(__name__)


async def run_alert_checks(
    supervision: Supervision,
    sessions: async_sessionmaker[AsyncSession],
    *,
    every: float = 1.0,
    cases_every: float = 30.0,
) -> None:
    """Check the queue alerts every ``every`` seconds and the case deadlines every ``cases_every``."""
    since_cases = cases_every
    while True:
        now = supervision.clock()
        supervision.check(now)
        if since_cases >= cases_every:
            since_cases = 0.0
            try:
                async with unit_of_work(sessions) as session:
                    cases = await repository.overdue_cases(session, now)
                supervision.alerts.overdue_cases(cases, now)
            except Exception:  # the database may be away for a while; the next round retries
                log.exception("overdue case check failed")
        await asyncio.sleep(every)
        since_cases += every
