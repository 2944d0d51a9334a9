"""The live figures: fed every call and agent event as it happens, read as a snapshot at any moment.

``apply(event)`` takes the tracker's call events, agent events and finished-call summaries (or
``HandledCall`` records) in the order they happened. A summary of a call whose events were not all
seen (it ended while the link was down and was closed by a resync or rebuilt from the queue_log)
brings the missing events of its timeline with it, so the live figures count it as a report will.
Figures count the current local day of the centre; the day before is kept until the next rollover
so a late summary still lands.
"""

from __future__ import annotations

from collections import Counter, deque
from datetime import UTC, datetime
from typing import Any

from callcenter.calls.events import AgentEvent, AgentState, CallEnded, CallEvent, CallKey
from callcenter.calls.summary import CallSummary
from callcenter.metrics.agents import LOGGED_IN, AgentBoard
from callcenter.metrics.definitions import Interval, MetricsRules
from callcenter.metrics.engine import CallFigures, HandledCall
from callcenter.metrics.figures import AgentTally, QueueTally

LiveInput = CallEvent | AgentEvent | CallSummary | HandledCall
# Calls whose end was seen, remembered so their summaries are not mistaken for unseen calls.
RECENTLY_ENDED = 20_000


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
        self._in_progress: dict[CallKey, Counter[str]] = {}
        self._ended: deque[CallKey] = deque(maxlen=RECENTLY_ENDED)
        self._ended_set: set[CallKey] = set()
        self._handled: deque[CallKey] = deque(maxlen=RECENTLY_ENDED)
        self._handled_set: set[CallKey] = set()

    def apply(self, item: LiveInput) -> bool:
        """Count one event or finished call; True when a figure changed."""
        if isinstance(item, CallSummary):
            if item.key in self._handled_set:
                return False  # the same call again (a retried batch, a replay): counted once
            _remember(self._handled, self._handled_set, item.key)
            changed = self._catch_up(item)
            handled = HandledCall.from_summary(item)
            if handled is None:
                return changed
            item = handled
        if isinstance(item, HandledCall):
            self.figures.handled(item)
            changed = True
        elif isinstance(item, CallEvent):
            self.events[item.type] += 1
            self._seen(item.at)
            self._follow(item)
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

    def _follow(self, event: CallEvent) -> None:
        if isinstance(event, CallEnded):
            self._in_progress.pop(event.key, None)
            _remember(self._ended, self._ended_set, event.key)
        else:
            self._in_progress.setdefault(event.key, Counter())[event.type] += 1

    def _catch_up(self, summary: CallSummary) -> bool:
        """Apply the events of a finished call's timeline that were never seen one by one."""
        if summary.key in self._ended_set:
            return False
        seen = self._in_progress.pop(summary.key, Counter())
        changed = False
        for event in summary.timeline:
            if seen[event.type] > 0:
                seen[event.type] -= 1
            else:
                changed = self.apply(event) or changed
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
        seen = set(self.board.agents) | {a for d, a in self.figures.agents if d == day}
        return {interface: self.board.tally_until(interface, day, now) for interface in seen}

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
        agent = self.board.agents.get(interface)
        if tally is None:
            tally = self.board.tally_until(interface, self.figures.bucket(now), now)
        since = agent.since if agent else None
        return {
            "interface": interface,
            "state": agent.state.value if agent and agent.state else None,
            "reason": agent.reason if agent else None,
            "seconds_in_state": round(max(0.0, (now - since).total_seconds()), 2) if since else None,
            "queues": sorted(agent.queues) if agent else [],
            **tally.figures(),
        }

    def snapshot(self, now: datetime | None = None) -> dict[str, Any]:
        """Every queue's and agent's live figures at ``now`` (default: the wall clock)."""
        now = now or datetime.now(UTC)
        tallies = self.agent_tallies(now)
        agents = [self.agent_snapshot(interface, now, tallies[interface]) for interface in sorted(tallies)]
        day = self.figures.bucket(now)
        return {
            "at": now.isoformat(),
            "day": day.astimezone(self.rules.zone).date().isoformat(),
            "timezone": self.rules.timezone,
            "version": self.version,
            "queues": [self.queue_snapshot(q, now, tallies) for q in self.queue_names()],
            "agents": agents,
        }


def _remember(order: deque[CallKey], members: set[CallKey], key: CallKey) -> None:
    if len(order) == order.maxlen:
        members.discard(order[0])
    order.append(key)
    members.add(key)
