"""The rules the figures are computed by: per-queue thresholds, the centre's time zone, interval floors."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class QueueRules:
    """How one queue's service level is judged."""

    service_level_seconds: float = 20.0
    short_abandon_seconds: float = 5.0
    exclude_short_abandons: bool = True
    service_level_target: float = 80.0


@dataclass(frozen=True)
class MetricsRules:
    """Rules of the whole centre: its time zone (day boundaries) and each queue's thresholds."""

    timezone: str = "UTC"
    default: QueueRules = field(default_factory=QueueRules)
    queues: Mapping[str, QueueRules] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # an unknown zone fails here, at start-up, not on the first call

    @property
    def zone(self) -> ZoneInfo:
        """The centre's time zone."""
        return ZoneInfo(self.timezone)

    def for_queue(self, queue: str) -> QueueRules:
        """The queue's own rules, else the default ones."""
        return self.queues.get(queue, self.default)


class Interval(enum.StrEnum):
    """Report interval lengths."""

    QUARTER = "15m"
    HOUR = "hour"
    DAY = "day"


def floor_to(at: datetime, interval: Interval, zone: ZoneInfo) -> datetime:
    """The start (UTC) of the interval holding ``at``, cut at the centre's local clock."""
    local = at.astimezone(zone)
    if interval is Interval.DAY:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
        # Rebuild from the date so a DST change during the day does not shift midnight's offset.
        local = datetime(local.year, local.month, local.day, tzinfo=zone)
    elif interval is Interval.HOUR:
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
    return local.astimezone(UTC)


def next_start(start: datetime, interval: Interval, zone: ZoneInfo) -> datetime:
    """The start (UTC) of the interval after the one starting at ``start``."""
    if interval is Interval.DAY:
        local = start.astimezone(zone)
        following = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(days=1)
        return datetime(following.year, following.month, following.day, tzinfo=zone).astimezone(UTC)
    return start + (timedelta(hours=1) if interval is Interval.HOUR else timedelta(minutes=15))
