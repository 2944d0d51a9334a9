"""Merging two customers: everything moves, nothing is lost, the merge is recorded."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from callcenter.contacts.models import AuditEvent
from callcenter.db import unit_of_work
from tests.conftest import Team


async def _customer(client: httpx.AsyncClient, team: Team, name: str, phone: str, **extra) -> dict:
    response = await client.post(
        "/api/customers",
        headers=team.agent.headers,
        json={"display_name": name, "identities": [{"kind": "phone", "value": phone}]} | extra,
    )
    return response.json()


async def test_merge_moves_identities_contacts_notes_cases_and_callbacks(client: httpx.AsyncClient, team: Team) -> None:
    target = await _customer(client, team, "Alice Martin", "+15551230001", segment=None, value_score=10)
    source = await _customer(
        client, team, "A. Martin", "+15551230099", segment="vip", value_score=700, consents={"marketing": True}
    )
    contact = (
        await client.post(
            "/api/contacts",
            headers=team.agent.headers,
            json={"channel": "voice", "source": "asterisk", "external_id": "m1", "address": "+15551230099"},
        )
    ).json()["contact"]
    await client.post(f"/api/contacts/{contact['id']}/notes", json={"body": "angry"}, headers=team.agent.headers)
    await client.post("/api/cases", json={"customer_id": source["id"], "subject": "Broken"}, headers=team.agent.headers)
    await client.post(
        "/api/callbacks",
        headers=team.agent.headers,
        json={
            "customer_id": source["id"],
            "number": "+15551230099",
            "window_start": "2026-11-24T09:00:00Z",
            "window_end": "2026-11-24T10:00:00Z",
        },
    )

    response = await client.post(
        f"/api/customers/{target['id']}/merge", json={"source_id": source["id"]}, headers=team.supervisor.headers
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["moved"] == {"identities": 1, "contacts": 1, "notes": 1, "cases": 1, "callbacks": 1}
    merged = result["target"]
    assert {i["value"] for i in merged["identities"]} == {"+15551230001", "+15551230099"}
    assert (merged["segment"], merged["value_score"], merged["consents"]) == ("vip", 700, {"marketing": True})

    history = (await client.get(f"/api/customers/{target['id']}/history", headers=team.agent.headers)).json()
    assert [c["id"] for c in history["contacts"]] == [contact["id"]]
    assert [n["body"] for n in history["contacts"][0]["notes"]] == ["angry"]
    assert len(history["open_cases"]) == 1 and len(history["pending_callbacks"]) == 1
    # The source still answers and points at the target; its history is the target's.
    old = (await client.get(f"/api/customers/{source['id']}", headers=team.agent.headers)).json()
    assert old["merged_into_id"] == target["id"]
    redirected = (await client.get(f"/api/customers/{source['id']}/history", headers=team.agent.headers)).json()
    assert redirected["customer"]["id"] == target["id"]
    # The phone of the source now finds the target, and the source is no longer listed.
    found = (await client.get("/api/customers", params={"phone": "555 123 0099"}, headers=team.agent.headers)).json()
    assert [c["id"] for c in found["items"]] == [target["id"]]
    # A new contact for the merged-away customer lands on the target.
    late = (
        await client.post(
            "/api/contacts",
            headers=team.agent.headers,
            json={"channel": "web", "source": "web", "external_id": "late", "customer_id": source["id"]},
        )
    ).json()["contact"]
    assert late["customer_id"] == target["id"]

    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    async with unit_of_work(runtime.sessions) as session:
        audit = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "customer.merge"))).one()
    assert (audit.actor_id, audit.target, audit.data["source_id"]) == (
        team.supervisor.id,
        f"customer:{target['id']}",
        source["id"],
    )


async def test_merge_into_itself_or_twice_or_unknown_is_refused(client: httpx.AsyncClient, team: Team) -> None:
    a = await _customer(client, team, "A", "+15551230001")
    b = await _customer(client, team, "B", "+15551230002")
    c = await _customer(client, team, "C", "+15551230003")
    headers = team.supervisor.headers
    itself = await client.post(f"/api/customers/{a['id']}/merge", json={"source_id": a["id"]}, headers=headers)
    assert (itself.status_code, itself.json()["detail"]) == (422, "a customer cannot be merged into itself")
    unknown = await client.post(f"/api/customers/{a['id']}/merge", json={"source_id": 999}, headers=headers)
    assert unknown.status_code == 404
    assert (
        await client.post(f"/api/customers/{a['id']}/merge", json={"source_id": b["id"]}, headers=headers)
    ).status_code == 200
    again = await client.post(f"/api/customers/{c['id']}/merge", json={"source_id": b["id"]}, headers=headers)
    assert again.status_code == 409
    assert again.json()["detail"] == f"customer {b['id']} was already merged into customer {a['id']}"


async def test_agents_cannot_merge(client: httpx.AsyncClient, team: Team) -> None:
    a = await _customer(client, team, "A", "+15551230001")
    b = await _customer(client, team, "B", "+15551230002")
    response = await client.post(
        f"/api/customers/{a['id']}/merge", json={"source_id": b["id"]}, headers=team.agent.headers
    )
    assert response.status_code == 403
    assert (await client.get(f"/api/customers/{b['id']}", headers=team.agent.headers)).json()["merged_into_id"] is None
