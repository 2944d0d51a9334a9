"""The service's AMI links: one client per configured Asterisk, its events through the live ingest onto the bus.

For each entry of ``CALLCENTER_AMI_SERVERS`` the composition root gets an :class:`AmiClient` whose consumer
is a :class:`CallIngest` (tracker + contact recorder); the tracker's typed events and finished-call
summaries (:class:`BusRecorder`) are published on the event bus, where the live metrics, the wallboard
and the consoles pick them up. The clients are kept by server name for the actions that go back to Asterisk
(pause, log off).
A watcher reports each link going down or coming back to the supervision (gauge and ``ami_down`` alert).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence

from callcenter.bus import EventBus
from callcenter.calls.agents import AgentUser
from callcenter.calls.summary import CallSummary
from callcenter.config import AmiServerSettings
from callcenter.contacts.call_recorder import CallRecorder, RecordedCall
from callcenter.supervision.service import Supervision
from callcenter.telephony.ami.client import AmiClient
from callcenter.wiring.call_ingest import INGEST_EVENTS, CallIngest

log = logging.getLogger(__name__)


class BusRecorder:
    """Each finished call goes onto the bus, then into the repository.

    The ingest publishes a call's events before it records the call, so every subscriber (the live
    metrics behind the wallboard) gets the summary after the call's events, in order, whatever the
    database is doing.
    """

    def __init__(self, recorder: CallRecorder, bus: EventBus, supervision: Supervision) -> None:
        self.recorder = recorder
        self.bus = bus
        self.supervision = supervision

    async def record(self, summaries: Sequence[CallSummary]) -> list[RecordedCall]:
        """Publish the calls, then store them (a call already stored is not stored twice)."""
        for summary in summaries:
            self.bus.publish(summary)
        recorded = await self.recorder.record(summaries)
        created = sum(1 for r in recorded if r.created)
        if created:
            self.supervision.prometheus.contacts_recorded.labels(channel="voice").inc(created)
        return recorded


class AmiLinks:
    """The AMI clients and ingests of every configured Asterisk."""

    def __init__(
        self,
        servers: list[AmiServerSettings],
        *,
        bus: EventBus,
        recorder: CallRecorder,
        supervision: Supervision,
        users: Mapping[str, AgentUser] | None = None,
        publish: Callable[[object], None] | None = None,
        watch_every: float = 0.5,
    ) -> None:
        self.supervision = supervision
        self.watch_every = watch_every
        self.clients: dict[str, AmiClient] = {}
        self.ingests: dict[str, CallIngest] = {}
        metered = BusRecorder(recorder, bus, supervision)
        for server in servers:
            if server.name in self.clients:
                raise ValueError(f"two AMI servers are named {server.name!r}; names must be unique")
            ingest = CallIngest(
                metered, server=server.name, agent_users=users, publish=publish or bus.publish  # type: ignore[arg-type]
            )
            self.ingests[server.name] = ingest
            self.clients[server.name] = AmiClient.from_settings(
                server, consumer=ingest.consume, on_connect=ingest.on_connect, only_events=INGEST_EVENTS
            )
        self._up: dict[str, bool] = {}
        self._watcher: asyncio.Task[None] | None = None

    def memberships(self, server: str, interface: str) -> set[str]:
        """The queues Asterisk ``server`` has shown ``interface`` to be a member of (its tracker's view)."""
        ingest = self.ingests.get(server)
        agent = ingest.tracker.agents.agents.get(interface) if ingest else None
        return set(agent.queues) if agent else set()

    async def start(self) -> None:
        """Connect every client in the background (each retries on its own) and watch the links."""
        for client in self.clients.values():
            await client.start()
        if self.clients:
            self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="ami-links-watch")

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        await asyncio.gather(*(client.close() for client in self.clients.values()))

    def check(self) -> None:
        """Report every link whose state changed; a link is down once a connection failed or dropped."""
        for name, client in self.clients.items():
            up = client.connected
            known = self._up.get(name)
            if up == known or (not up and known is None and client.last_error is None):
                continue  # still connecting for the first time: not down yet
            self._up[name] = up
            if not up:
                log.warning("AMI link to %s is down: %s", name, client.last_error)
            self.supervision.ami_link(name, up)

    async def _watch(self) -> None:
        while True:
            self.check()
            await asyncio.sleep(self.watch_every)
