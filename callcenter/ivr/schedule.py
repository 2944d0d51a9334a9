"""Business hours: weekly opening ranges in a time zone, closed on public and explicit holidays."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from callcenter.ivr.model import WEEKDAYS, Schedule

_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class ScheduleError(ValueError):
    """A schedule that cannot be used; ``path`` is the field inside the schedule at fault."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class CompiledSchedule:
    """A schedule ready to answer "is it open at this instant?"."""

    zone: ZoneInfo
    weekly: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    country: str | None
    subdiv: str | None
    closed_dates: frozenset[dt.date]

    def is_open(self, at: dt.datetime) -> bool:
        """True when ``at`` (timezone-aware; naive means UTC) falls in an opening range on a working day."""
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        local = at.astimezone(self.zone)
        if local.date() in self.closed_dates or self._public_holiday(local.date()):
            return False
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.weekly.get(local.weekday(), ()))

    def is_ever_open(self) -> bool:
        """False when no weekday has an opening range."""
        return any(self.weekly.values())

    def _public_holiday(self, day: dt.date) -> bool:
        if self.country is None:
            return False
        return day in _country_holidays(self.country, self.subdiv, day.year)


@lru_cache(maxsize=256)
def _country_holidays(country: str, subdiv: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdiv, years=year)


def _parse_range(text: str, path: tuple[str | int, ...]) -> tuple[dt.time, dt.time]:
    match = _RANGE.match(text)
    if not match:
        raise ScheduleError(f"opening range '{text}' is not HH:MM-HH:MM", path)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ScheduleError(f"opening range '{text}' has an impossible time", path)
    start = dt.time(h1, m1)
    end = dt.time.max if h2 == 24 else dt.time(h2, m2)
    if end <= start:
        raise ScheduleError(f"opening range '{text}' ends before it starts", path)
    return start, end


def compile_schedule(schedule: Schedule) -> CompiledSchedule:
    """Check a schedule (zone, ranges, holiday country and dates) and prepare it for lookups."""
    try:
        zone = ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone '{schedule.timezone}'", ("timezone",)) from None
    weekly: dict[int, tuple[tuple[dt.time, dt.time], ...]] = {}
    for day, ranges in schedule.weekly.items():
        weekly[WEEKDAYS.index(day)] = tuple(_parse_range(text, ("weekly", day, i)) for i, text in enumerate(ranges))
    spec = schedule.holidays
    if spec.country is not None:
        try:
            holidays.country_holidays(spec.country, subdiv=spec.subdiv)
        except NotImplementedError as error:
            where = "subdiv" if "subdivision" in str(error) else "country"
            raise ScheduleError(f"holidays: {error}", ("holidays", where)) from None
    closed = set()
    for i, text in enumerate(spec.dates):
        try:
            closed.add(dt.date.fromisoformat(text))
        except ValueError:
            raise ScheduleError(f"holiday date '{text}' is not YYYY-MM-DD", ("holidays", "dates", i)) from None
    return CompiledSchedule(zone, weekly, spec.country, spec.subdiv, frozenset(closed))
