"""The live figures: fed every call and agent event as it happens, read as a snapshot at any moment.

``apply(event)`` takes the tracker's call events, agent events and finished-call summaries (or
``HandledCall`` records) in the order they happened. Figures count the current local day of the
centre; the day before is kept until the next rollover so a late summary still lands.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from callcenter.calls.events import AgentEvent, AgentState, CallEvent
from callcenter.calls.summary import CallSummary
from callcenter.metrics.agents import LOGGED_IN, AgentBoard
from callcenter.metrics.definitions import Interval, MetricsRules
from callcenter.metrics.engine import CallFigures, HandledCall
from callcenter.metrics.figures import AgentTally, QueueTally

LiveInput = CallEvent | AgentEvent | CallSummary | HandledCall


class LiveMetrics:
    """Queue and agent KPIs of today, updated one event at a time."""

    def __init__(self, rules: MetricsRules | None = None) -> None:
        self.rules = rules or MetricsRules()
        self.figures = CallFigures(self.rules, Interval.DAY)
        self.board = AgentBoard(self.figures)
        self.events = Counter[str]()
        self.version = 0
        self.last_event_at: datetime | None = None
        self._day: datetime | None = None

    def apply(self, item: LiveInput) -> bool:
        """Count one event or finished call; True when a figure changed."""
        if isinstance(item, CallSummary):
            handled = HandledCall.from_summary(item)
            if handled is None:
                return False
            item = handled
        if isinstance(item, HandledCall):
            self.figures.handled(item)
            changed = True
        elif isinstance(item, CallEvent):
            self.events[item.type] += 1
            self._seen(item.at)
            changed = self.figures.apply(item)
        elif isinstance(item, AgentEvent):
            self.events[f"agent.{type(item).__name__}"] += 1
            self._seen(item.at)
            changed = self.board.apply(item)
        else:
            raise TypeError(f"live metrics cannot count a {type(item).__name__}")
        if changed:
            self.version += 1
        return changed

    def _seen(self, at: datetime) -> None:
        if self.last_event_at is None or at > self.last_event_at:
            self.last_event_at = at
        day = self.figures.bucket(at)
        if self._day is None or day > self._day:
            if self._day is not None:
                self.figures.drop_before(self._day)
            self._day = day

    # -- reading ----------------------------------------------------------------------

    def queue_names(self) -> list[str]:
        """Every queue configured or seen."""
        names = set(self.rules.queues) | {q for _, q in self.figures.queues} | set(self.figures.waiting)
        for agent in self.board.agents.values():
            names |= agent.queues
        return sorted(n for n in names if n)

    def waiting(self, queue: str, now: datetime) -> tuple[int, float]:
        """Callers waiting in ``queue`` and the longest wait in seconds."""
        callers = self.figures.waiting.get(queue, {})
        if not callers:
            return 0, 0.0
        return len(callers), max(0.0, (now - min(callers.values())).total_seconds())

    def agent_tallies(self, now: datetime) -> dict[str, AgentTally]:
        """Today's tally of every agent, the current stretch of state included."""
        day = self.figures.bucket(now)
        return {interface: self.board.tally_until(interface, day, now) for interface in self.board.agents}

    def queue_snapshot(self, queue: str, now: datetime, tallies: dict[str, AgentTally]) -> dict[str, Any]:
        """One queue's live figures."""
        rules = self.rules.for_queue(queue)
        tally = self.figures.queues.get((self.figures.bucket(now), queue))
        out: dict[str, Any] = {"queue": queue, **(tally or QueueTally()).figures(rules)}
        waiting, longest = self.waiting(queue, now)
        out["calls_waiting"] = waiting
        out["longest_wait_seconds"] = round(longest, 2)
        members = [a for a in self.board.agents.values() if queue in a.queues]
        states = Counter(a.state.value for a in members if a.state is not None)
        paused = Counter(a.reason or "unspecified" for a in members if a.state is AgentState.PAUSED)
        out["agents"] = {
            "logged_in": sum(1 for a in members if a.state in LOGGED_IN),
            **{state.value: states.get(state.value, 0) for state in LOGGED_IN},
            "paused_by_reason": dict(sorted(paused.items())),
        }
        team = AgentTally()
        for member in members:
            if member.interface in tallies:
                team.add(tallies[member.interface])
        out["occupancy"] = team.occupancy()
        out["service_level_threshold_seconds"] = rules.service_level_seconds
        out["service_level_target"] = rules.service_level_target
        return out

    def agent_snapshot(self, interface: str, now: datetime, tally: AgentTally | None = None) -> dict[str, Any]:
        """One agent's live state and today's figures (``tally``: its tally, when already computed)."""
        agent = self.board.agents[interface]
        if tally is None:
            tally = self.board.tally_until(interface, self.figures.bucket(now), now)
        since = agent.since
        return {
            "interface": interface,
            "state": agent.state.value if agent.state else None,
            "reason": agent.reason,
            "seconds_in_state": round(max(0.0, (now - since).total_seconds()), 2) if since else None,
            "queues": sorted(agent.queues),
            **tally.figures(),
        }

    def snapshot(self, now: datetime | None = None) -> dict[str, Any]:
        """Every queue's and agent's live figures at ``now`` (default: the wall clock)."""
        now = now or datetime.now(UTC)
        tallies = self.agent_tallies(now)
        agents = [self.agent_snapshot(interface, now, tallies[interface]) for interface in sorted(self.board.agents)]
        day = self.figures.bucket(now)
        return {
            "at": now.isoformat(),
            "day": day.astimezone(self.rules.zone).date().isoformat(),
            "timezone": self.rules.timezone,
            "version": self.version,
            "queues": [self.queue_snapshot(q, now, tallies) for q in self.queue_names()],
            "agents": agents,
        }
