"""Agents as the live board sees them: state, reason, since when, which queues; time per state and reason.

Fed the tracker's agent events. Each closed stretch of a state is added to the agent's tally of the
day (split at the centre's midnight), so paused seconds by reason, occupancy and time in state come
from the same tallies as the call figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from callcenter.calls.events import AgentAdded, AgentEvent, AgentRemoved, AgentState, AgentStateChanged
from callcenter.metrics.definitions import next_start
from callcenter.metrics.engine import CallFigures
from callcenter.metrics.figures import AgentTally

# States in which an agent counts as logged in to a queue (able to take calls now or soon).
LOGGED_IN = frozenset({AgentState.READY, AgentState.PAUSED, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP})


@dataclass(slots=True)
class AgentNow:
    """One agent's current state."""

    interface: str
    name: str | None
    state: AgentState | None = None
    reason: str | None = None
    since: datetime | None = None
    queues: set[str] = field(default_factory=set)


class AgentBoard:
    """Every agent's current state; closes state stretches into the day tallies of ``figures``."""

    def __init__(self, figures: CallFigures) -> None:
        self.figures = figures
        self.agents: dict[str, AgentNow] = {}

    def apply(self, event: AgentEvent) -> bool:
        """Apply one agent event; True when the board changed."""
        agent = self.agents.get(event.interface)
        if agent is None:
            agent = self.agents[event.interface] = AgentNow(event.interface, event.name)
        elif event.name:
            agent.name = event.name
        if isinstance(event, AgentAdded):
            agent.queues.add(event.queue)
        elif isinstance(event, AgentRemoved):
            agent.queues.discard(event.queue)
        elif isinstance(event, AgentStateChanged):
            if event.queue and event.state is not AgentState.LOGGED_OUT:
                agent.queues.add(event.queue)
            self._close_stretch(agent, event.at)
            agent.state, agent.reason, agent.since = event.state, event.reason, event.at
            if event.state is AgentState.LOGGED_OUT:
                agent.queues.clear()
        else:
            return False
        return True

    def close_all(self, until: datetime) -> None:
        """Count every agent's current stretch up to ``until`` (a report's end) and start anew there."""
        for agent in self.agents.values():
            if agent.since is not None and agent.since < until:
                self._close_stretch(agent, until)
                agent.since = until

    def _close_stretch(self, agent: AgentNow, until: datetime) -> None:
        if agent.state is None or agent.since is None:
            return
        for bucket, seconds in self.split(agent.since, until):
            self._add(self.figures.agent_tally(bucket, agent.interface, agent.name), agent, seconds)

    @staticmethod
    def _add(tally: AgentTally, agent: AgentNow, seconds: float) -> None:
        if agent.state is None or seconds <= 0:
            return
        tally.state_seconds[agent.state.value] += seconds
        if agent.state is AgentState.PAUSED:
            tally.pause_seconds[agent.reason or "unspecified"] += seconds

    def split(self, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
        """``start``..``end`` cut at interval boundaries: (interval start, seconds in it)."""
        out: list[tuple[datetime, float]] = []
        bucket = self.figures.bucket(start)
        while start < end:
            following = next_start(bucket, self.figures.interval, self.figures.zone)
            stop = min(end, following)
            out.append((bucket, (stop - start).total_seconds()))
            start, bucket = stop, following
        return out

    def tally_until(self, interface: str, bucket: datetime, now: datetime) -> AgentTally:
        """The agent's tally of interval ``bucket`` including the open stretch up to ``now``."""
        agent = self.agents.get(interface)
        tally = AgentTally(name=agent.name if agent else None)
        stored = self.figures.agents.get((bucket, interface))
        if stored is not None:
            tally.add(stored)
        if agent is not None and agent.since is not None and agent.since < now:
            for start, seconds in self.split(agent.since, now):
                if start == bucket:
                    self._add(tally, agent, seconds)
        return tally
