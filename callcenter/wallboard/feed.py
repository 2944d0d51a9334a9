"""From the event bus to the supervisors' stream: live metrics updated per event, coalesced figure messages.

Every call and agent event (and every finished call) is applied to the live metrics as it arrives. The
messages that tell the wallboards are coalesced: the first change after a quiet spell goes out at once,
later ones are gathered for ``publish_interval`` seconds and sent as one ``figures.queues`` message (every
queue's whole state) and one ``figures.agents`` message (the whole state of each agent that changed). So a
figure reaches the supervisors within ``publish_interval`` plus the time to build and send a message, and
a burst of 1,000 events costs a handful of messages, not 1,000. Alert changes go out as they happen. The
message shapes are listed in :mod:`callcenter.wallboard`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from datetime import datetime
from typing import Any

from callcenter.bus import EventsDropped
from callcenter.calls.events import AgentEvent, CallConnected, CallEvent, CallTransferred
from callcenter.calls.summary import CallSummary
from callcenter.config import WallboardSettings
from callcenter.metrics.alerts import AlertChange
from callcenter.realtime.hub import Hub
from callcenter.realtime.wire import SUPERVISORS
from callcenter.supervision.service import Supervision
from callcenter.wallboard.history import FigureHistory

log = logging.getLogger(__name__)

FEED_TYPES = (CallEvent, AgentEvent, CallSummary, EventsDropped)


class WallboardFeed:
    """Bus subscriber and publisher of the supervisors' stream; also its snapshot provider."""

    def __init__(self, supervision: Supervision, hub: Hub, settings: WallboardSettings | None = None) -> None:
        settings = settings or WallboardSettings()
        self.supervision = supervision
        self.hub = hub
        self.interval = settings.publish_interval
        self.history = FigureHistory(sample_seconds=settings.history_sample_seconds, hours=settings.history_hours)
        # Which Asterisk holds each agent, so supervisor actions go to the right server.
        self.servers: dict[str, str] = {}
        self.messages = 0
        self._queues_changed = False
        self._agents_changed: set[str] = set()
        self._alerts: deque[AlertChange] = deque()
        self._wake = asyncio.Event()
        supervision.on_alert(self._on_alert)

    # -- input ------------------------------------------------------------------------

    async def on_event(self, event: object) -> None:
        """The bus handler: count the event in the live metrics and note what changed."""
        if isinstance(event, EventsDropped):
            # The figures missed events and cannot be rebuilt from here; say so, and refresh every agent.
            log.warning("wallboard feed missed %d events; live figures may be off until tomorrow", event.count)
            self._agents_changed.update(self.supervision.live.board.agents)
            self._changed()
            return
        if isinstance(event, AgentEvent):
            self.servers[event.interface] = event.server
            self._agents_changed.add(event.interface)
        elif isinstance(event, CallConnected | CallTransferred) and event.agent_interface:
            self._agents_changed.add(event.agent_interface)
        elif isinstance(event, CallSummary) and event.agent_interface:
            self._agents_changed.add(event.agent_interface)
        if self.supervision.apply(event):  # type: ignore[arg-type]
            self._changed()

    def _changed(self) -> None:
        self._queues_changed = True
        self._wake.set()

    def _on_alert(self, change: AlertChange) -> None:
        self._alerts.append(change)
        self._wake.set()

    # -- output -----------------------------------------------------------------------

    def queues_message(self, now: datetime) -> dict[str, Any]:
        """Every queue's live figures (the data of ``figures.queues``)."""
        live = self.supervision.live
        tallies = live.agent_tallies(now)
        queues = [live.queue_snapshot(name, now, tallies) for name in live.queue_names()]
        return {
            "at": now.isoformat(),
            "day": live.figures.bucket(now).astimezone(live.rules.zone).date().isoformat(),
            "timezone": live.rules.timezone,
            "version": live.version,
            "queues": queues,
        }

    def agent_rows(self, interfaces: list[str], now: datetime) -> list[dict[str, Any]]:
        """The whole state of these agents, with the Asterisk server each is on."""
        live = self.supervision.live
        return [
            {**live.agent_snapshot(interface, now), "server": self.servers.get(interface)}
            for interface in sorted(interfaces)
            if interface in live.board.agents
        ]

    async def snapshot(self, stream: str) -> dict[str, Any]:
        """What a (re)joining wallboard needs to draw the whole page."""
        now = self.supervision.clock()
        return {
            "figures": self.queues_message(now),
            "agents": self.agent_rows(list(self.supervision.live.board.agents), now),
            "alerts": [a.to_json() for a in self.supervision.alerts.listing(include_closed=True)],
            "history": self.history.to_json(),
        }

    async def _publish(self, type_: str, data: Any) -> None:
        await self.hub.publish(SUPERVISORS, type_, data)
        self.messages += 1

    async def flush(self) -> None:
        """Send the alert changes and the figures changed since the last flush."""
        while self._alerts:
            change = self._alerts.popleft()
            await self._publish(f"alert.{change.action}", change.alert.to_json())
        now = self.supervision.clock()
        if self._queues_changed:
            self._queues_changed = False
            await self._publish("figures.queues", self.queues_message(now))
        if self._agents_changed:
            changed, self._agents_changed = list(self._agents_changed), set()
            await self._publish("figures.agents", {"at": now.isoformat(), "agents": self.agent_rows(changed, now)})

    async def sample(self) -> None:
        """Add a point to the chart history and send it."""
        now = self.supervision.clock()
        point = self.history.sample(now, self.queues_message(now)["queues"])
        await self._publish("history.point", point)

    async def run(self) -> None:
        """Publish changes (coalesced over ``interval``) and chart points until cancelled."""
        loop = asyncio.get_running_loop()
        next_sample = loop.time()
        while True:
            try:
                async with asyncio.timeout(max(0.0, next_sample - loop.time())):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush()
                if loop.time() >= next_sample:
                    next_sample = loop.time() + self.history.sample_seconds
                    await self.sample()
            except Exception:  # a failed publish (backplane away) must not end the wallboard's feed
                log.exception("wallboard publish failed")
            await asyncio.sleep(self.interval)
