"""Days and report intervals start at the centre's local midnight, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from callcenter.calls.events import CallConnected, CallKey, CallQueued
from callcenter.metrics import LiveMetrics, MetricsRules
from callcenter.metrics.definitions import Interval, floor_to, next_start
from callcenter.metrics.reports import interval_starts, report_window

NEW_YORK = MetricsRules(timezone="America/New_York")


def answered(live: LiveMetrics, linkedid: str, at: datetime) -> None:
    key = CallKey("pbx", "1", linkedid)
    live.apply(CallQueued(key, at, queue="support", position=1))
    live.apply(
        CallConnected(
            key, at, queue="support", agent_interface="PJSIP/1", agent_name="A", wait_seconds=0.0, ring_seconds=1.0
        )
    )


def test_live_day_turns_at_local_midnight() -> None:
    live = LiveMetrics(NEW_YORK)
    answered(live, "1", datetime(2026, 11, 24, 4, 30, tzinfo=UTC))  # 23:30 on the 23rd in New York
    answered(live, "2", datetime(2026, 11, 24, 4, 45, tzinfo=UTC))
    before = live.snapshot(datetime(2026, 11, 24, 4, 50, tzinfo=UTC))
    assert before["day"] == "2026-11-23"
    assert before["queues"][0]["answered"] == 2
    answered(live, "3", datetime(2026, 11, 24, 5, 5, tzinfo=UTC))  # 00:05 on the 24th
    after = live.snapshot(datetime(2026, 11, 24, 5, 6, tzinfo=UTC))
    assert after["day"] == "2026-11-24"
    assert after["queues"][0]["answered"] == 1


def test_a_dst_day_has_23_or_25_hours_and_92_or_100_quarters() -> None:
    spring = report_window(date(2026, 3, 8), date(2026, 3, 8), NEW_YORK)
    autumn = report_window(date(2026, 11, 1), date(2026, 11, 1), NEW_YORK)
    assert (spring[1] - spring[0]).total_seconds() == 23 * 3600
    assert (autumn[1] - autumn[0]).total_seconds() == 25 * 3600
    assert len(interval_starts(*spring, Interval.HOUR, NEW_YORK)) == 23
    assert len(interval_starts(*autumn, Interval.QUARTER, NEW_YORK)) == 100
    # The repeated 01:00-02:00 of the autumn change is two hours of its own.
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert floor_to(first, Interval.HOUR, NEW_YORK.zone) != floor_to(second, Interval.HOUR, NEW_YORK.zone)
    day = floor_to(second, Interval.DAY, NEW_YORK.zone)
    assert day == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert next_start(day, Interval.DAY, NEW_YORK.zone) == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
