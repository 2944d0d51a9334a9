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
                supervision.overdue_cases(cases, now)
            except Exception:  # the database may be away for a while; the next round retries
                log.exception("overdue case check failed")
        await asyncio.sleep(every)
        since_cases += every


async def flush_agent_log(supervision: Supervision, sessions: async_sessionmaker[AsyncSession]) -> int:
    """Write the agent state changes received so far; they go back in the queue when the write fails."""
    queue = supervision.agent_log
    # Taken off the queue before the first await, so two flushes never write the same change.
    batch = [queue.popleft() for _ in range(len(queue))]
    if not batch:
        return 0
    try:
        async with unit_of_work(sessions) as session:
            await repository.add_agent_changes(session, batch)
    except BaseException:
        queue.extendleft(reversed(batch))
        raise
    return len(batch)


async def run_agent_log(
    supervision: Supervision, sessions: async_sessionmaker[AsyncSession], *, every: float = 1.0
) -> None:
    """Flush the agent state log every ``every`` seconds."""
    while True:
        await asyncio.sleep(every)
        try:
            await flush_agent_log(supervision, sessions)
        except Exception:  # the database may be away for a while; the changes wait for the next round
            log.exception("writing the agent state log failed")
