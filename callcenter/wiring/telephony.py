"""The live telephony side of the service, built and started in the app's lifespan.

The AMI links (one client and call ingest per configured Asterisk, tracker events onto the bus), the
FastAGI server running the IVR flows (IVR events onto the bus) when enabled, and the live console
(screen-pops and agent state onto the hub, agent actions through the AMI clients).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.agents.actions import AgentActions
from callcenter.agents.desk import DeskBook
from callcenter.calls.agents import AgentUser
from callcenter.calls.legs import member_key
from callcenter.calls.summary import CallSummary
from callcenter.contacts.call_recorder import CallRecorder, RecordedCall, agent_users
from callcenter.contacts.read_pool import ReadPool
from callcenter.db import unit_of_work
from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.engine import IvrEngine
from callcenter.ivr.services import IvrServices, utc_now
from callcenter.runtime import Runtime
from callcenter.screenpop.composer import ScreenPopComposer
from callcenter.telephony.agi import AgiServer
from callcenter.wiring.ami_links import AmiLinks
from callcenter.wiring.console_live import CONSOLE_EVENTS, CallRecorded, LiveConsole
from callcenter.wiring.ivr_callbacks import RepositoryCallbacks
from callcenter.wiring.ivr_customers import RepositoryCustomers
from callcenter.wiring.ivr_over_agi import flow_handlers

log = logging.getLogger(__name__)


class PublishingRecorder(CallRecorder):
    """The call recorder, announcing each stored call on the bus once its unit of work committed.

    Asterisk reports the IVR's path only with dialplan events, which the service does not subscribe to;
    the IVR engine's own record of the call (kept by the live console) fills it in.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        region: str,
        publish: Callable[[object], None],
        console: LiveConsole,
    ) -> None:
        super().__init__(sessions, region=region)
        self.publish = publish
        self.console = console

    async def record(self, summaries: Sequence[CallSummary]) -> list[RecordedCall]:
        for summary in summaries:
            trail = self.console.ivr.get(summary.linkedid)
            if trail is not None and not summary.ivr_path:
                summary.ivr_path, summary.ivr_inputs = list(trail.ivr_path), dict(trail.ivr_inputs)
        recorded = await super().record(summaries)
        for summary, call in zip(summaries, recorded, strict=True):
            self.publish(CallRecorded(summary.key.external_id, call.contact_id, call.customer_id))
        return recorded


@dataclass
class Telephony:
    """The running AMI clients, ingests, FastAGI server and live console."""

    desks: DeskBook
    actions: AgentActions
    console: LiveConsole
    reads: ReadPool
    links: AmiLinks
    agi: AgiServer | None = None
    refresher: asyncio.Task[None] | None = None

    async def refresh_users(self, runtime: Runtime) -> None:
        """Reload which user answers on which member interface (after users change)."""
        users = await _agent_users(runtime)
        if users is None:
            return
        self.console.set_users(users)
        for ingest in self.links.ingests.values():
            ingest.tracker.agents.users = {member_key(k): v for k, v in users.items()}

    async def keep_users_fresh(self, runtime: Runtime, every: float) -> None:
        """Reload the agent phones now and then, so a user added or changed gets screen-pops without a restart."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh_users(runtime)
            except Exception:
                log.exception("reloading agent users failed; keeping the previous map")

    async def stop(self) -> None:
        """Stop taking calls: FastAGI first, then the AMI clients, then background work and reads."""
        if self.refresher is not None:
            self.refresher.cancel()
            await asyncio.gather(self.refresher, return_exceptions=True)
        if self.agi is not None:
            await self.agi.close()
        await self.links.close()
        await self.console.stop()
        await self.reads.close()


async def start_telephony(
    runtime: Runtime, catalog: FlowCatalog, *, ivr_clock: Callable[[], dt.datetime] = utc_now, read_connections: int = 4
) -> Telephony | None:
    """Build and start everything (None when the database is not usable); AMI clients connect in the background."""
    settings = runtime.settings
    options = settings.console
    users = await _agent_users(runtime)
    if users is None:
        return None
    reads = ReadPool(runtime.engine, size=read_connections)
    await reads.open()
    composer = ScreenPopComposer(reads, region=settings.default_region)
    desks = DeskBook(disposition_queues=frozenset(options.disposition_queues))
    clients = runtime.ami
    actions = AgentActions(
        clients,
        originate_context=options.originate_context,
        transfer_context=options.transfer_context,
        pause_reasons=list(options.pause_reasons),
    )
    console = LiveConsole(
        hub=runtime.hub,
        composer=composer,
        desks=desks,
        actions=actions,
        users=users,
        reads_all_private=settings.agents_read_others_private_notes,
    )
    runtime.bus.subscribe("live-console", console.handle, types=CONSOLE_EVENTS)
    runtime.hub.register_snapshot("agent", console.snapshot)
    recorder = PublishingRecorder(
        runtime.sessions, region=settings.default_region, publish=runtime.bus.publish, console=console
    )
    links = AmiLinks(
        settings.ami_servers,
        bus=runtime.bus,
        recorder=recorder,
        supervision=runtime.supervision,
        users=users,
        publish=_publisher(runtime, console),
    )
    clients.update(links.clients)
    runtime.ami_links = links
    parts = Telephony(desks=desks, actions=actions, console=console, reads=reads, links=links)
    await links.start()
    if options.serve_fastagi:
        parts.agi = await _start_fastagi(runtime, catalog, ivr_clock)
    refresh = parts.keep_users_fresh(runtime, options.users_refresh_seconds)
    parts.refresher = asyncio.get_running_loop().create_task(refresh, name="agent users refresh")
    return parts


def _publisher(runtime: Runtime, console: LiveConsole) -> Callable[[object], None]:
    """Tracker events onto the bus, each stamped by the console as it leaves the ingest."""
    bus = runtime.bus

    def publish(event: object) -> None:
        console.stamp(event)
        bus.publish(event)

    return publish


async def _agent_users(runtime: Runtime) -> dict[str, AgentUser] | None:
    """Who answers on which member interface; None when the database is not usable (health says why)."""
    try:
        async with unit_of_work(runtime.sessions) as session:
            return await agent_users(session)
    except (SQLAlchemyError, OSError) as exc:
        log.error("database not usable: telephony and the live console stay off until a restart: %s", exc)
        return None


async def _start_fastagi(runtime: Runtime, catalog: FlowCatalog, clock: Callable[[], dt.datetime]) -> AgiServer:
    """The FastAGI server running the catalog's flows (shipped, and published ones as they come)."""
    settings = runtime.settings
    services = IvrServices(
        customers=RepositoryCustomers(runtime.sessions, default_region=settings.default_region),
        callbacks=RepositoryCallbacks(runtime.sessions, default_region=settings.default_region),
        surveys=runtime.supervision,
        clock=clock,
        on_event=runtime.bus.publish,
        timezone=settings.ivr.timezone,
    )
    engine = IvrEngine(catalog, services)
    agi = AgiServer(
        flow_handlers(engine),
        host=settings.agi.host,
        port=settings.agi.port,
        default_script=settings.agi.default_script,
        limits=settings.agi.limits,
    )
    await agi.start()
    return agi
