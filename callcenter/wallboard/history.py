"""The wallboard chart's memory: per queue, calls waiting, service level and abandon rate over the last hours."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

CHART_FIGURES = ("calls_waiting", "service_level", "abandon_rate")


class FigureHistory:
    """A ring of points, one per sample period, each holding the chart figures of every queue."""

    def __init__(self, *, sample_seconds: float, hours: float) -> None:
        self.sample_seconds = sample_seconds
        self.hours = hours
        self.points: deque[dict[str, Any]] = deque(maxlen=max(2, int(hours * 3600 / sample_seconds)))

    def sample(self, at: datetime, queues: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """Keep the chart figures of ``queues`` (live queue figures) as the point of ``at``; answer it."""
        point = {
            "at": at.isoformat(),
            "queues": {q["queue"]: {name: q[name] for name in CHART_FIGURES} for q in queues},
        }
        self.points.append(point)
        return point

    def to_json(self) -> dict[str, Any]:
        """Everything kept, oldest point first."""
        return {"sample_seconds": self.sample_seconds, "hours": self.hours, "points": list(self.points)}
