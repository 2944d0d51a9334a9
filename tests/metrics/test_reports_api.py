"""Interval reports over REST: the same figures as the live metrics, by queue and agent, JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx

from callcenter.calls import CallTracker
from callcenter.contacts.call_recorder import CallRecorder
from callcenter.supervision.service import Supervision
from callcenter.supervision.tasks import flush_agent_log
from tests.conftest import Team
from tests.metrics.captures import replay_into

DAY = "2026-11-23"  # ami-09/ami-10 were recorded 2026-11-23 ~13:12 UTC = 08:12 in New York
AFTER_CAPTURES = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
LIVE_ONLY = {"queue", "calls_waiting", "longest_wait_seconds", "agents", "occupancy"}
LIVE_ONLY |= {"service_level_threshold_seconds", "service_level_target"}


async def record_captures(client: httpx.AsyncClient) -> Supervision:
    """ami-09 then ami-10 through a tracker into the app's live metrics and the contact repository."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    supervision: Supervision = runtime.supervision
    supervision.clock = lambda: AFTER_CAPTURES
    recorder = CallRecorder(runtime.sessions)
    for name in ("ami-09-burst-sales-ringall.txt", "ami-10-agent-login-pause-cycle.txt"):
        tracker = CallTracker("lab", wrapup_seconds={"sales": 5})
        finished: list = []
        replay_into(supervision, name, tracker=tracker, finished=finished)
        await recorder.record(finished)
    await flush_agent_log(supervision, runtime.sessions)  # (the app also flushes every second)
    return supervision


def live_queue(supervision: Supervision, name: str) -> dict:
    at = supervision.live.last_event_at
    return next(q for q in supervision.live.snapshot(at)["queues"] if q["queue"] == name)


async def test_day_report_equals_live_figures_for_the_same_calls(client: httpx.AsyncClient, team: Team) -> None:
    supervision = await record_captures(client)
    live = live_queue(supervision, "sales")
    response = await client.get(
        "/api/reports/queues",
        params={"start": DAY, "end": DAY, "interval": "day"},
        headers=team.supervisor.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "America/New_York"
    (row,) = body["rows"]
    assert row["interval_start"] == "2026-11-23T00:00:00-05:00"
    assert {k: v for k, v in row.items() if k != "interval_start"} == {
        k: v for k, v in live.items() if k not in LIVE_ONLY
    } | {"queue": "sales"}
    # The figures themselves (ami-09 + ami-10, by hand from the queue_log): 11 offered, 8 answered,
    # 5 within 30 s, 3 abandoned; handle time = talk 94 s + 8 wrap-ups of 5 s over 8 calls = 16.75 s.
    assert (row["offered"], row["answered"], row["answered_within_threshold"], row["abandoned"]) == (11, 8, 5, 3)
    assert row["aht_seconds"] == (94 + 8 * 5) / 8


async def test_quarter_hours_split_the_day_in_local_time(client: httpx.AsyncClient, team: Team) -> None:
    await record_captures(client)
    response = await client.get(
        "/api/reports/queues",
        params={"start": DAY, "end": DAY, "interval": "15m", "queue": "sales"},
        headers=team.admin.headers,
    )
    rows = response.json()["rows"]
    assert len(rows) == 96
    busy = [r for r in rows if r["offered"]]
    # Every call of both captures joined the queue between 08:11 and 08:14 local time (13:11 UTC).
    assert [r["interval_start"] for r in busy] == ["2026-11-23T08:00:00-05:00"]
    assert busy[0]["offered"] == 11
    hours = await client.get(
        "/api/reports/queues",
        params={"start": DAY, "end": DAY, "interval": "hour"},
        headers=team.admin.headers,
    )
    assert sum(r["answered"] for r in hours.json()["rows"]) == 8
    next_day = await client.get(
        "/api/reports/queues", params={"start": "2026-11-24", "end": "2026-11-24"}, headers=team.admin.headers
    )
    assert next_day.json()["rows"] == []


async def test_agent_report_agrees_with_live_agents_and_exports_csv(client: httpx.AsyncClient, team: Team) -> None:
    supervision = await record_captures(client)
    # Agents' states last until now (14:00 UTC), in the live figures and in the report of today.
    snapshot = supervision.live.snapshot(AFTER_CAPTURES)
    live = {a["interface"]: a for a in snapshot["agents"]}
    response = await client.get(
        "/api/reports/agents",
        params={"start": DAY, "end": DAY, "interval": "day"},
        headers=team.supervisor.headers,
    )
    rows = {r["agent_interface"]: r for r in response.json()["rows"]}
    assert set(rows) == {"Local/agent1003@agents/n", "Local/agent1004@agents/n", "Local/agent1006@agents/n"}
    for interface, row in rows.items():
        for figure in row:
            if figure not in ("interval_start", "agent_interface"):
                assert row[figure] == live[interface][figure], (interface, figure)
    # ami-10 pauses Agents 1003/1004 for training and 1006 for a break (pause_seconds by reason).
    assert set(rows["Local/agent1003@agents/n"]["pause_seconds"]) == {"training"}
    assert set(rows["Local/agent1006@agents/n"]["pause_seconds"]) == {"break"}
    assert rows["Local/agent1003@agents/n"]["occupancy"] is not None
    # From the queue_log: Agent 1003 COMPLETEAGENT talk 12 + 7 + 6 + 11, Agent 1006 talk 11.
    assert rows["Local/agent1003@agents/n"]["calls_handled"] == 4
    assert rows["Local/agent1003@agents/n"]["talk_seconds"] == 36
    assert rows["Local/agent1006@agents/n"]["talk_seconds"] == 11

    exported = await client.get(
        "/api/reports/agents",
        params={"start": DAY, "end": DAY, "interval": "day", "format": "csv"},
        headers=team.supervisor.headers,
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["agent_interface"] for r in table] == sorted(rows)
    assert table[0]["calls_handled"] == "4" and table[0]["name"] == "Agent 1003"
    assert table[0]["pause_seconds"].startswith("training=")


async def test_reports_are_for_supervisors_and_check_their_range(client: httpx.AsyncClient, team: Team) -> None:
    params = {"start": DAY, "end": DAY, "interval": "hour", "format": "csv"}
    for path in ("/api/reports/queues", "/api/reports/agents"):
        denied = await client.get(path, params=params, headers=team.agent.headers)
        assert denied.status_code == 403
        assert (await client.get(path, params=params)).status_code == 401
    reversed_range = await client.get(
        "/api/reports/queues", params={"start": DAY, "end": "2026-11-01"}, headers=team.supervisor.headers
    )
    assert reversed_range.status_code == 422
    assert "ends before it starts" in reversed_range.json()["detail"]
    too_long = await client.get(
        "/api/reports/queues",
        params={"start": "2024-01-01", "end": DAY, "interval": "15m"},
        headers=team.supervisor.headers,
    )
    assert too_long.status_code == 422
    assert "at most 366 days" in too_long.json()["detail"]
    too_fine = await client.get(
        "/api/reports/queues",
        params={"start": "2026-06-01", "end": DAY, "interval": "15m"},
        headers=team.supervisor.headers,
    )
    assert too_fine.status_code == 422
    assert "longer interval" in too_fine.json()["detail"]
    bad_interval = await client.get(
        "/api/reports/queues", params={"start": DAY, "end": DAY, "interval": "week"}, headers=team.supervisor.headers
    )
    assert bad_interval.status_code == 422
