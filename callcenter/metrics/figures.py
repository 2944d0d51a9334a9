"""Counters of one queue or one agent over one interval, and the KPIs derived from them.

The counters only ever add up, so two tallies of disjoint calls merge by addition and the KPIs of
the sum are the KPIs of the calls together (the formulas are in ``callcenter.metrics``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from typing import Any

from callcenter.metrics.definitions import QueueRules


def _ratio(part: float, whole: float) -> float | None:
    return None if whole <= 0 else part / whole


def _percent(part: float, whole: float) -> float | None:
    value = _ratio(part, whole)
    return None if value is None else round(value * 100.0, 2)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(slots=True)
class QueueTally:
    """What happened to the queue visits that started in one interval."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    abandoned_within: int = 0
    short_abandoned: int = 0
    left: int = 0
    wait_seconds: float = 0.0
    answered_wait_seconds: float = 0.0
    abandoned_wait_seconds: float = 0.0
    max_wait_seconds: float = 0.0
    handled: int = 0
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0
    wrapup_seconds: float = 0.0

    def add(self, other: QueueTally) -> None:
        """Add another tally's counters to this one."""
        for f in fields(self):
            if f.name == "max_wait_seconds":
                self.max_wait_seconds = max(self.max_wait_seconds, other.max_wait_seconds)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def service_level(self, rules: QueueRules) -> float | None:
        """Answered within threshold / (offered − short abandons, or offered) × 100."""
        base = self.offered - (self.short_abandoned if rules.exclude_short_abandons else 0)
        return _percent(self.answered_within, base)

    def figures(self, rules: QueueRules) -> dict[str, Any]:
        """Counters and KPIs as JSON-ready values (seconds rounded to 0.01, percentages to 0.01)."""
        return {
            "offered": self.offered,
            "answered": self.answered,
            "answered_within_threshold": self.answered_within,
            "abandoned": self.abandoned,
            "abandoned_within_threshold": self.abandoned_within,
            "short_abandoned": self.short_abandoned,
            "left_unanswered": self.left,
            "service_level": self.service_level(rules),
            "abandon_rate": _percent(self.abandoned, self.offered),
            "asa_seconds": _seconds(_ratio(self.answered_wait_seconds, self.answered)),
            "average_wait_seconds": _seconds(_ratio(self.wait_seconds, self.offered)),
            "max_wait_seconds": _seconds(self.max_wait_seconds if self.offered else None),
            "average_abandon_wait_seconds": _seconds(_ratio(self.abandoned_wait_seconds, self.abandoned)),
            "handled": self.handled,
            "aht_seconds": _seconds(_ratio(self.talk_seconds + self.hold_seconds + self.wrapup_seconds, self.handled)),
            "talk_seconds": _seconds(self.talk_seconds),
            "hold_seconds": _seconds(self.hold_seconds),
            "wrapup_seconds": _seconds(self.wrapup_seconds),
        }


@dataclass(slots=True)
class AgentTally:
    """What one agent did in one interval."""

    name: str | None = None
    answered: int = 0
    handled: int = 0
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0
    wrapup_seconds: float = 0.0
    state_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    pause_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, other: AgentTally) -> None:
        """Add another tally's counters to this one."""
        self.name = self.name or other.name
        self.answered += other.answered
        self.handled += other.handled
        self.talk_seconds += other.talk_seconds
        self.hold_seconds += other.hold_seconds
        self.wrapup_seconds += other.wrapup_seconds
        for state, seconds in other.state_seconds.items():
            self.state_seconds[state] += seconds
        for reason, seconds in other.pause_seconds.items():
            self.pause_seconds[reason] += seconds

    def occupancy(self) -> float | None:
        """(on call + wrap-up) / (on call + wrap-up + ringing + ready) × 100 over the state times known."""
        busy = self.state_seconds.get("on_call", 0.0) + self.state_seconds.get("wrap_up", 0.0)
        available = self.state_seconds.get("ringing", 0.0) + self.state_seconds.get("ready", 0.0)
        return _percent(busy, busy + available)

    def figures(self) -> dict[str, Any]:
        """Counters and KPIs as JSON-ready values."""
        return {
            "name": self.name,
            "calls_handled": self.answered,
            "talk_seconds": _seconds(self.talk_seconds),
            "hold_seconds": _seconds(self.hold_seconds),
            "wrapup_seconds": _seconds(self.wrapup_seconds),
            "aht_seconds": _seconds(_ratio(self.talk_seconds + self.hold_seconds + self.wrapup_seconds, self.handled)),
            "pause_seconds": {reason: _seconds(s) for reason, s in sorted(self.pause_seconds.items())},
            "state_seconds": {state: _seconds(s) for state, s in sorted(self.state_seconds.items())},
            "occupancy": self.occupancy(),
        }
