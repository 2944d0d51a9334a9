"""Cases (first-contact ownership, deadlines) and callbacks, with who may assign what."""

from __future__ import annotations

import httpx

from tests.conftest import Team


async def _customer(client: httpx.AsyncClient, team: Team, name: str = "Ivy") -> dict:
    return (await client.post("/api/customers", json={"display_name": name}, headers=team.agent.headers)).json()


async def test_the_agent_who_opens_a_case_owns_it(client: httpx.AsyncClient, team: Team) -> None:
    customer = await _customer(client, team)
    response = await client.post(
        "/api/cases",
        headers=team.agent.headers,
        json={"customer_id": customer["id"], "subject": "Line down", "reply_due_at": "2026-11-24T12:00:00+01:00"},
    )
    assert response.status_code == 201
    case = response.json()
    assert (case["owner_id"], case["status"], case["reply_due_at"]) == (team.agent.id, "open", "2026-11-24T11:00:00Z")


async def test_agents_cannot_give_cases_to_others_but_supervisors_can(client: httpx.AsyncClient, team: Team) -> None:
    customer = await _customer(client, team)
    body = {"customer_id": customer["id"], "subject": "Billing", "owner_id": team.other_agent.id}
    refused = await client.post("/api/cases", json=body, headers=team.agent.headers)
    assert refused.status_code == 403
    assert "a supervisor assigns it to others" in refused.json()["detail"]
    case = (await client.post("/api/cases", json=body, headers=team.supervisor.headers)).json()
    assert case["owner_id"] == team.other_agent.id
    # Another agent cannot touch it; its owner and a supervisor can.
    touch = await client.patch(f"/api/cases/{case['id']}", json={"status": "pending"}, headers=team.agent.headers)
    assert touch.status_code == 403
    assert f"owned by user {team.other_agent.id}" in touch.json()["detail"]
    owner = await client.patch(f"/api/cases/{case['id']}", json={"status": "pending"}, headers=team.other_agent.headers)
    assert owner.json()["status"] == "pending"
    moved = await client.patch(
        f"/api/cases/{case['id']}", json={"owner_id": team.agent.id}, headers=team.supervisor.headers
    )
    assert moved.json()["owner_id"] == team.agent.id


async def test_solving_sets_closed_at_and_reopening_clears_it(client: httpx.AsyncClient, team: Team) -> None:
    customer = await _customer(client, team)
    case = (
        await client.post(
            "/api/cases", json={"customer_id": customer["id"], "subject": "X"}, headers=team.agent.headers
        )
    ).json()
    solved = (
        await client.patch(f"/api/cases/{case['id']}", json={"status": "solved"}, headers=team.agent.headers)
    ).json()
    assert solved["closed_at"] is not None
    reopened = (
        await client.patch(f"/api/cases/{case['id']}", json={"status": "open"}, headers=team.agent.headers)
    ).json()
    assert reopened["closed_at"] is None


async def test_cases_by_owner_and_by_due_time(client: httpx.AsyncClient, team: Team) -> None:
    customer = await _customer(client, team)
    made = {}
    for subject, due, who in [
        ("late", "2026-11-23T08:00:00Z", team.agent),
        ("soon", "2026-11-23T10:00:00Z", team.agent),
        ("later", "2026-11-30T10:00:00Z", team.agent),
        ("bob's", "2026-11-23T09:00:00Z", team.other_agent),
    ]:
        made[subject] = (
            await client.post(
                "/api/cases",
                headers=who.headers,
                json={"customer_id": customer["id"], "subject": subject, "reply_due_at": due},
            )
        ).json()
    await client.patch(f"/api/cases/{made['soon']['id']}", json={"status": "closed"}, headers=team.agent.headers)
    mine = (
        await client.get(
            "/api/cases", params={"owner_id": team.agent.id, "open_only": True}, headers=team.agent.headers
        )
    ).json()
    assert [c["subject"] for c in mine["items"]] == ["late", "later"]
    due = (
        await client.get(
            "/api/cases",
            params={"due_before": "2026-11-24T00:00:00Z", "open_only": True},
            headers=team.supervisor.headers,
        )
    ).json()
    assert [c["subject"] for c in due["items"]] == ["late", "bob's"]


async def test_case_links_only_contacts_of_its_customer(client: httpx.AsyncClient, team: Team) -> None:
    ivy, jon = await _customer(client, team, "Ivy"), await _customer(client, team, "Jon")
    contact = (
        await client.post(
            "/api/contacts",
            headers=team.agent.headers,
            json={"channel": "web", "source": "w", "external_id": "1", "customer_id": jon["id"]},
        )
    ).json()["contact"]
    case = (
        await client.post("/api/cases", json={"customer_id": ivy["id"], "subject": "X"}, headers=team.agent.headers)
    ).json()
    response = await client.post(
        f"/api/cases/{case['id']}/contacts", json={"contact_id": contact["id"]}, headers=team.agent.headers
    )
    assert response.status_code == 422
    assert f"belongs to customer {jon['id']}" in response.json()["detail"]
    own = (
        await client.post(
            "/api/contacts",
            headers=team.agent.headers,
            json={"channel": "web", "source": "w", "external_id": "2", "customer_id": ivy["id"]},
        )
    ).json()["contact"]
    linked = await client.post(
        f"/api/cases/{case['id']}/contacts", json={"contact_id": own["id"]}, headers=team.agent.headers
    )
    assert linked.json()["contact_ids"] == [own["id"]]


async def test_unknown_case_owner_or_customer(client: httpx.AsyncClient, team: Team) -> None:
    customer = await _customer(client, team)
    no_owner = await client.post(
        "/api/cases",
        json={"customer_id": customer["id"], "subject": "X", "owner_id": 999},
        headers=team.supervisor.headers,
    )
    assert (no_owner.status_code, no_owner.json()["detail"]) == (422, "user 999 does not exist")
    no_customer = await client.post("/api/cases", json={"customer_id": 999, "subject": "X"}, headers=team.agent.headers)
    assert no_customer.status_code == 404
    assert (await client.get("/api/cases/999", headers=team.agent.headers)).status_code == 404


async def test_callbacks_assigned_listed_by_agent_and_due_and_closed(client: httpx.AsyncClient, team: Team) -> None:
    customer = await _customer(client, team)

    async def create(who, start: str, assignee: int | None) -> httpx.Response:
        return await client.post(
            "/api/callbacks",
            headers=who.headers,
            json={
                "customer_id": customer["id"],
                "number": "+44 20 7946 0958" if who is team.supervisor else "555 123 0001",
                "window_start": start,
                "window_end": start.replace(":00:00", ":30:00"),
                "assigned_agent_id": assignee,
            },
        )

    refused = await create(team.agent, "2026-11-24T09:00:00Z", team.other_agent.id)
    assert refused.status_code == 403
    mine = (await create(team.agent, "2026-11-24T11:00:00Z", team.agent.id)).json()
    early = (await create(team.agent, "2026-11-24T09:00:00Z", team.agent.id)).json()
    bobs = (await create(team.supervisor, "2026-11-24T10:00:00Z", team.other_agent.id)).json()
    assert (mine["number"], bobs["number"]) == ("+15551230001", "+442079460958")
    listed = (
        await client.get(
            "/api/callbacks", params={"agent_id": team.agent.id, "status": "pending"}, headers=team.agent.headers
        )
    ).json()
    assert [c["id"] for c in listed["items"]] == [early["id"], mine["id"]]
    due = (
        await client.get("/api/callbacks", params={"due_before": "2026-11-24T10:30:00Z"}, headers=team.agent.headers)
    ).json()
    assert [c["id"] for c in due["items"]] == [early["id"], bobs["id"]]
    assert (
        await client.patch(f"/api/callbacks/{bobs['id']}", json={"status": "done"}, headers=team.agent.headers)
    ).status_code == 403
    done = await client.patch(f"/api/callbacks/{mine['id']}", json={"status": "done"}, headers=team.agent.headers)
    assert done.json()["status"] == "done"


async def test_callback_window_and_number_are_checked(client: httpx.AsyncClient, team: Team) -> None:
    customer = await _customer(client, team)
    base = {"customer_id": customer["id"], "number": "+15551230001"}
    backwards = await client.post(
        "/api/callbacks",
        headers=team.agent.headers,
        json=base | {"window_start": "2026-11-24T10:00:00Z", "window_end": "2026-11-24T09:00:00Z"},
    )
    assert backwards.status_code == 422 and "window_end must be after window_start" in backwards.json()["detail"]
    naive = await client.post(
        "/api/callbacks",
        headers=team.agent.headers,
        json=base | {"window_start": "2026-11-24T10:00:00", "window_end": "2026-11-24T11:00:00Z"},
    )
    assert naive.status_code == 422 and "timezone" in naive.json()["detail"]
    bad_number = await client.post(
        "/api/callbacks",
        headers=team.agent.headers,
        json=base | {"number": "ring me", "window_start": "2026-11-24T10:00:00Z", "window_end": "2026-11-24T11:00:00Z"},
    )
    assert bad_number.status_code == 422 and "'ring me' is not a phone number" in bad_number.json()["detail"]
    made = (
        await client.post(
            "/api/callbacks",
            headers=team.agent.headers,
            json=base | {"window_start": "2026-11-24T10:00:00Z", "window_end": "2026-11-24T11:00:00Z"},
        )
    ).json()
    shrink = await client.patch(
        f"/api/callbacks/{made['id']}", json={"window_end": "2026-11-24T09:00:00Z"}, headers=team.agent.headers
    )
    assert shrink.status_code == 422
