"""``/metrics`` in Prometheus text format with gauges that move with calls; alerts listed and acknowledged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from callcenter.calls import CallTracker
from callcenter.contacts.models import AuditEvent, Case, CaseStatus, Customer
from callcenter.db import unit_of_work
from callcenter.supervision import repository
from callcenter.supervision.service import Supervision
from tests.conftest import Team
from tests.metrics.captures import replay_into

DURING_AMI_05 = datetime(2026, 11, 23, 13, 0, 0, tzinfo=UTC)


def supervision_of(client: httpx.AsyncClient) -> Supervision:
    parts: Supervision = client.app.state.runtime.supervision  # type: ignore[attr-defined]
    parts.clock = lambda: DURING_AMI_05
    return parts


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_metrics_gauges_move_when_calls_happen(client: httpx.AsyncClient) -> None:
    parts = supervision_of(client)
    before = await scrape(client)
    assert before[("callcenter_queue_answered", (("queue", "support"),))] == 0
    assert ("callcenter_queue_service_level", (("queue", "support"),)) not in before  # no call, no figure
    assert before[("callcenter_websocket_clients", ())] == 0
    assert before[("callcenter_screen_pop_latency_seconds_count", ())] == 0

    replay_into(parts.live, "ami-01-handled-call.txt")
    after_call = await scrape(client)
    assert after_call[("callcenter_queue_answered", (("queue", "support"),))] == 1
    assert after_call[("callcenter_queue_offered", (("queue", "support"),))] == 1
    assert after_call[("callcenter_queue_service_level", (("queue", "support"),))] == 100
    assert after_call[("callcenter_call_events_total", (("type", "call.connected"),))] == 1

    replay_into(
        parts.live, "ami-05-queue-management.txt", tracker=CallTracker("lab"), until=lambda m: m.action_id == "s5-008"
    )
    waiting = await scrape(client)
    assert waiting[("callcenter_queue_calls_waiting", (("queue", "support"),))] == 2
    assert waiting[("callcenter_queue_agents", (("queue", "support"), ("state", "paused")))] == 3
    assert waiting[("callcenter_queue_agents", (("queue", "support"), ("state", "ready")))] == 0

    parts.ami_link("lab", False)
    parts.prometheus.websocket_clients.set(3)
    parts.prometheus.screen_pop_latency.observe(0.04)
    parts.prometheus.contacts_recorded.labels(channel="voice").inc()
    others = await scrape(client)
    assert others[("callcenter_ami_connected", (("server", "lab"),))] == 0
    assert others[("callcenter_websocket_clients", ())] == 3
    assert others[("callcenter_screen_pop_latency_seconds_bucket", (("le", "0.05"),))] == 1
    assert others[("callcenter_contacts_recorded_total", (("channel", "voice"),))] == 1


async def test_alert_raised_listed_and_acknowledged_by_a_named_supervisor(
    client: httpx.AsyncClient, team: Team
) -> None:
    parts = supervision_of(client)
    pushed = []
    parts.on_alert(lambda change: pushed.append((change.action, change.alert.kind.value)))
    # ami-05: Carol and Dave wait in support while all three agents are at lunch.
    replay_into(
        parts.live, "ami-05-queue-management.txt", tracker=CallTracker("lab"), until=lambda m: m.action_id == "s5-008"
    )
    live = (await client.get("/api/metrics/live", headers=team.supervisor.headers)).json()
    assert live["day"] == "2026-11-23" and live["timezone"] == "America/New_York"
    support = next(q for q in live["queues"] if q["queue"] == "support")
    assert (support["calls_waiting"], support["agents"]["paused_by_reason"]) == (2, {"lunch": 3})
    raised = parts.check()
    assert [(c.action, c.alert.kind.value, c.alert.subject) for c in raised] == [
        ("raised", "no_agent_ready", "support")
    ]
    assert parts.check() == []  # still the same condition: not raised twice
    listed = (await client.get("/api/alerts", headers=team.supervisor.headers)).json()["alerts"]
    assert [(a["kind"], a["subject"], a["active"], a["acknowledged_by"]) for a in listed] == [
        ("no_agent_ready", "support", True, None)
    ]
    alert_id = listed[0]["id"]
    assert (await client.post(f"/api/alerts/{alert_id}/acknowledge", headers=team.agent.headers)).status_code == 403
    acked = await client.post(f"/api/alerts/{alert_id}/acknowledge", headers=team.supervisor.headers)
    assert acked.status_code == 200
    assert acked.json()["acknowledged_by"] == "Sue"
    again = await client.post(f"/api/alerts/{alert_id}/acknowledge", headers=team.admin.headers)
    assert again.status_code == 409 and "Sue" in again.json()["detail"]
    assert pushed == [("raised", "no_agent_ready"), ("acknowledged", "no_agent_ready")]
    missing = await client.post("/api/alerts/999/acknowledge", headers=team.admin.headers)
    assert missing.status_code == 404
    async with unit_of_work(client.app.state.runtime.sessions) as session:  # type: ignore[attr-defined]
        audit = (await session.scalars(select(AuditEvent))).all()
    assert [(a.action, a.actor_id, a.target) for a in audit] == [
        ("alert.acknowledged", team.supervisor.id, "alert:no_agent_ready:support")
    ]


async def test_a_case_past_its_reply_deadline_raises_an_alert_until_it_is_solved(
    client: httpx.AsyncClient, team: Team
) -> None:
    parts = supervision_of(client)
    sessions = client.app.state.runtime.sessions  # type: ignore[attr-defined]
    async with unit_of_work(sessions) as session:
        customer = Customer(display_name="Carol")
        session.add(customer)
        await session.flush()
        late = Case(
            customer_id=customer.id,
            subject="Refund",
            owner_id=team.agent.id,
            reply_due_at=DURING_AMI_05 - timedelta(hours=2),
        )
        on_time = Case(customer_id=customer.id, subject="Invoice", reply_due_at=DURING_AMI_05 + timedelta(hours=2))
        session.add_all([late, on_time])
    async with unit_of_work(sessions) as session:
        overdue = await repository.overdue_cases(session, DURING_AMI_05)
    assert [(c.case_id, c.subject, c.owner) for c in overdue] == [(late.id, "Refund", "Alice")]
    (raised,) = parts.overdue_cases(overdue)
    assert raised.alert.kind.value == "case_overdue" and raised.alert.data["owner"] == "Alice"
    async with unit_of_work(sessions) as session:
        (await session.get(Case, late.id)).status = CaseStatus.SOLVED
    async with unit_of_work(sessions) as session:
        assert await repository.overdue_cases(session, DURING_AMI_05) == []
    (cleared,) = parts.overdue_cases([])
    assert cleared.action == "cleared"
