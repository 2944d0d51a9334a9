"""Supervisor actions through the service's own AMI link to a simulated Asterisk (real TCP), with the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from callcenter.config import AmiServerSettings, Settings
from callcenter.contacts.models import AuditEvent
from callcenter.db import unit_of_work
from callcenter.pbxsim.simulator import PbxSimulator
from tests.conftest import TEST_SECRET, Team

A1001 = "Local/agent1001@agents/n"
A1003 = "Local/agent1003@agents/n"


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator()
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, sim: PbxSimulator) -> Settings:
    server = AmiServerSettings(name="sim", port=sim.ami_port, username="callcenter", secret="lab-secret")
    return Settings(database_url=database_url, data_dir=tmp_path / "var", secret_key=TEST_SECRET, ami_servers=[server])


def runtime(client: httpx.AsyncClient):
    return client.app.state.runtime  # type: ignore[attr-defined]


async def eventually(predicate, within: float = 10.0) -> None:
    for _ in range(int(within / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


def board(client: httpx.AsyncClient, interface: str):
    return runtime(client).supervision.live.board.agents.get(interface)


async def audit(client: httpx.AsyncClient) -> list[tuple[str, str, int | None, dict]]:
    async with unit_of_work(runtime(client).sessions) as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.target, AuditEvent.actor_id, AuditEvent.data).order_by(AuditEvent.id)
        )
        return [tuple(r) for r in rows]


async def test_pause_unpause_and_log_off_go_through_ami_and_into_the_audit_trail(
    client: httpx.AsyncClient, team: Team, sim: PbxSimulator
) -> None:
    await eventually(lambda: board(client, A1003) is not None)
    headers = team.supervisor.headers

    answer = await client.post(
        "/api/supervisor/agents/pause", json={"interface": A1001, "reason": "coaching"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "interface": A1001, "server": "sim", "action": "pause", "reason": "coaching", "queues": ["support"],
    }  # fmt: skip
    member = sim.pbx.queues["support"].member(A1001)
    assert member is not None and member.paused
    # The board follows Asterisk's own QueueMemberPause event.
    await eventually(lambda: board(client, A1001).state.value == "paused" and board(client, A1001).reason == "coaching")

    answer = await client.post("/api/supervisor/agents/unpause", json={"interface": A1001}, headers=headers)
    assert answer.status_code == 200, answer.text
    await eventually(lambda: board(client, A1001).state.value == "ready")

    answer = await client.post("/api/supervisor/agents/logoff", json={"interface": A1003}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["queues"] == ["sales", "support"]
    assert sim.pbx.queues["sales"].member(A1003) is None and sim.pbx.queues["support"].member(A1003) is None
    await eventually(lambda: not board(client, A1003).queues)
    answer = await client.post("/api/supervisor/agents/logoff", json={"interface": A1003}, headers=headers)
    assert answer.status_code == 409
    assert answer.json()["detail"] == f"{A1003} is in no queue: already logged off"

    trail = await audit(client)
    assert [(action, target, actor) for action, target, actor, _ in trail] == [
        ("agent.pause", f"agent:{A1001}", team.supervisor.id),
        ("agent.unpause", f"agent:{A1001}", team.supervisor.id),
        ("agent.logoff", f"agent:{A1003}", team.supervisor.id),
    ]
    assert trail[0][3] == {"server": "sim", "reason": "coaching", "queues": ["support"]}


async def test_bad_requests_get_clear_answers_and_change_nothing(
    client: httpx.AsyncClient, team: Team, sim: PbxSimulator
) -> None:
    await eventually(lambda: board(client, A1001) is not None)
    headers = team.supervisor.headers
    sneaky = {"interface": f"{A1001}\r\nAction: Originate", "reason": "x"}
    answer = await client.post("/api/supervisor/agents/pause", json=sneaky, headers=headers)
    assert answer.status_code == 422
    assert "is not a queue member interface" in answer.json()["detail"]
    answer = await client.post("/api/supervisor/agents/pause", json={"interface": "PJSIP/9999"}, headers=headers)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no agent PJSIP/9999 on the live board"
    answer = await client.post(
        "/api/supervisor/agents/pause", json={"interface": A1001, "reason": "lunch\nbreak"}, headers=headers
    )
    assert answer.status_code == 422
    # Asterisk no longer has the member the board still shows: its refusal is passed on.
    support = sim.pbx.queues["support"]
    support.members.remove(support.member(A1001))
    answer = await client.post("/api/supervisor/agents/logoff", json={"interface": A1001}, headers=headers)
    assert answer.status_code == 502
    assert answer.json()["detail"] == "Asterisk sim refused QueueRemove: Unable to remove interface: Not there"
    answer = await client.post("/api/supervisor/agents/pause", json={"interface": A1001}, headers=team.agent.headers)
    assert answer.status_code == 403
    assert await audit(client) == []
    # Agent 1003 is gone from support only: removed from sales, refused for support, and the audit says so.
    await eventually(lambda: runtime(client).ami_links.memberships("sim", A1003) == {"sales", "support"})
    support.members.remove(support.member(A1003))
    answer = await client.post("/api/supervisor/agents/logoff", json={"interface": A1003}, headers=headers)
    assert answer.status_code == 502
    assert answer.json()["detail"] == (
        "Asterisk sim refused QueueRemove: Unable to remove interface: Not there (already removed from: sales)"
    )
    assert sim.pbx.queues["sales"].member(A1003) is None
    assert [(action, data) for action, _, _, data in await audit(client)] == [
        ("agent.logoff", {"server": "sim", "queues": ["sales"], "partial": True})
    ]


async def test_with_the_ami_link_down_an_action_says_so_and_the_alert_is_raised(
    client: httpx.AsyncClient, team: Team, sim: PbxSimulator
) -> None:
    await eventually(lambda: board(client, A1001) is not None)
    await sim.stop()
    await eventually(lambda: not runtime(client).ami["sim"].connected)
    answer = await client.post(
        "/api/supervisor/agents/pause", json={"interface": A1001, "reason": "meeting"}, headers=team.supervisor.headers
    )
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("Asterisk sim is not reachable, so nothing was changed")
    alerts = runtime(client).supervision.alerts
    await eventually(lambda: any(a.kind == "ami_down" and a.active for a in alerts.listing()))
    alerts = (await client.get("/api/alerts", headers=team.supervisor.headers)).json()["alerts"]
    assert [(a["kind"], a["subject"], a["message"]) for a in alerts] == [
        ("ami_down", "sim", "the AMI link to sim is down")
    ]
    assert await audit(client) == []
