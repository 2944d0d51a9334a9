"""Contacts from every channel, notes, timelines and the customer history, over the REST API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Team

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def _log(client: httpx.AsyncClient, team: Team, **body) -> httpx.Response:
    return await client.post("/api/contacts", json=body, headers=team.agent.headers)


async def test_logging_the_same_contact_twice_stores_it_once(client: httpx.AsyncClient, team: Team) -> None:
    body = {
        "channel": "web",
        "source": "web-form",
        "external_id": "sub-1",
        "identity": {"kind": "email", "value": "Zoe@Example.com"},
        "customer_name": "Zoe",
        "subject": "Refund",
        "started_at": _at(0),
    }
    first = await _log(client, team, **body)
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True
    again = await _log(client, team, **(body | {"subject": "changed on retry"}))
    assert again.status_code == 200
    assert again.json() == {"contact": first.json()["contact"], "created": False}
    listed = await client.get(
        "/api/contacts", params={"customer_id": first.json()["contact"]["customer_id"]}, headers=team.agent.headers
    )
    assert [c["subject"] for c in listed.json()["items"]] == ["Refund"]


async def test_concurrent_logging_of_one_contact_stores_it_once(client: httpx.AsyncClient, team: Team) -> None:
    body = {
        "channel": "chat",
        "source": "chat",
        "external_id": "conv-7",
        "address": None,
        "identity": {"kind": "phone", "value": "+15551230077"},
    }
    responses = await asyncio.gather(*[_log(client, team, **body) for _ in range(8)])
    assert {r.status_code for r in responses} <= {200, 201}
    assert len({r.json()["contact"]["id"] for r in responses}) == 1
    assert sum(r.json()["created"] for r in responses) == 1


async def test_contacts_on_every_channel_find_the_same_customer(client: httpx.AsyncClient, team: Team) -> None:
    customer = (
        await client.post(
            "/api/customers",
            headers=team.agent.headers,
            json={
                "display_name": "Alice",
                "identities": [
                    {"kind": "phone", "value": "+15551230001"},
                    {"kind": "email", "value": "alice@example.com"},
                ],
            },
        )
    ).json()
    voice = await _log(
        client, team, channel="voice", source="asterisk", external_id="pbx1:1:1700.1", address="(555) 123-0001"
    )
    mail = await _log(
        client, team, channel="email", source="mailbox", external_id="<m1@example.com>", address="ALICE@example.com"
    )
    sms = await _log(client, team, channel="sms", source="sms-gw", external_id="s1", address="555 123 0001")
    assert {r.json()["contact"]["customer_id"] for r in (voice, mail, sms)} == {customer["id"]}


async def test_unknown_caller_becomes_an_unknown_customer_found_next_time(
    client: httpx.AsyncClient, team: Team
) -> None:
    first = (
        await _log(client, team, channel="voice", source="asterisk", external_id="a", address="+442079460958")
    ).json()["contact"]
    second = (
        await _log(client, team, channel="voice", source="asterisk", external_id="b", address="+44 20 7946 0958")
    ).json()["contact"]
    assert first["customer_id"] == second["customer_id"]
    customer = (await client.get(f"/api/customers/{first['customer_id']}", headers=team.agent.headers)).json()
    assert customer["display_name"] == "Unknown +442079460958"


async def test_bad_references_in_a_contact_are_422_and_store_nothing(client: httpx.AsyncClient, team: Team) -> None:
    for extra, message in [
        ({"customer_id": 4242}, "customer_id 4242 does not exist"),
        ({"agent_id": 4242, "address": "+15550001111"}, "agent_id 4242 does not exist"),
        ({"address": "not a number"}, "is not a phone number"),
    ]:
        response = await _log(client, team, channel="voice", source="asterisk", external_id="x", **extra)
        assert response.status_code == 422
        assert message in response.json()["detail"]
    assert (await client.get("/api/contacts", headers=team.agent.headers)).json()["items"] == []
    assert (await client.get("/api/customers", params={"name": "Unknown"}, headers=team.agent.headers)).json()[
        "items"
    ] == []


async def test_times_out_of_order_are_refused(client: httpx.AsyncClient, team: Team) -> None:
    response = await _log(client, team, channel="web", source="w", external_id="1", started_at=_at(5), ended_at=_at(1))
    assert response.status_code == 422
    assert "ended_at is before started_at" in response.json()["detail"]


async def test_timeline_disposition_and_notes(client: httpx.AsyncClient, team: Team) -> None:
    contact = (
        await _log(
            client,
            team,
            channel="voice",
            source="asterisk",
            external_id="c1",
            address="+15551230009",
            started_at=_at(0),
            events=[
                {"at": _at(0.5), "type": "queued", "data": {"queue": "support"}},
                {"at": _at(0), "type": "started", "data": {}},
            ],
        )
    ).json()["contact"]
    events = (await client.get(f"/api/contacts/{contact['id']}/events", headers=team.agent.headers)).json()
    assert [e["type"] for e in events] == ["started", "queued"]
    patched = await client.patch(
        f"/api/contacts/{contact['id']}",
        headers=team.agent.headers,
        json={"disposition": "resolved", "summary": "Reset the router"},
    )
    assert (patched.json()["disposition"], patched.json()["summary"]) == ("resolved", "Reset the router")
    for who, body, private in [
        (team.agent, "public note", False),
        (team.agent, "alice only", True),
        (team.other_agent, "bob only", True),
    ]:
        response = await client.post(
            f"/api/contacts/{contact['id']}/notes", headers=who.headers, json={"body": body, "private": private}
        )
        assert response.status_code == 201
        assert response.json()["author_id"] == who.id

    async def bodies(who) -> list[str]:
        notes = await client.get(f"/api/contacts/{contact['id']}/notes", headers=who.headers)
        return [n["body"] for n in notes.json()]

    assert await bodies(team.agent) == ["public note", "alice only"]
    assert await bodies(team.other_agent) == ["public note", "bob only"]
    assert await bodies(team.supervisor) == ["public note", "alice only", "bob only"]


async def test_unknown_contact_is_404(client: httpx.AsyncClient, team: Team) -> None:
    for method, path, body in [
        ("GET", "/api/contacts/77", None),
        ("PATCH", "/api/contacts/77", {"summary": "x"}),
        ("GET", "/api/contacts/77/events", None),
        ("POST", "/api/contacts/77/notes", {"body": "x"}),
    ]:
        response = await client.request(method, path, json=body, headers=team.agent.headers)
        assert (response.status_code, response.json()["detail"]) == (404, "no contact with id 77"), path


async def test_list_filters_and_pages(client: httpx.AsyncClient, team: Team) -> None:
    for n in range(6):
        await _log(
            client,
            team,
            channel="voice" if n % 2 else "web",
            source="s",
            external_id=str(n),
            queue="support" if n < 3 else "sales",
            started_at=_at(n),
            address="+1555123000" + str(n) if n % 2 else None,
        )
    voice = (await client.get("/api/contacts", params={"channel": "voice"}, headers=team.agent.headers)).json()
    assert [c["external_id"] for c in voice["items"]] == ["5", "3", "1"]
    window = await client.get(
        "/api/contacts",
        headers=team.agent.headers,
        params={"queue": "sales", "started_from": _at(4), "started_to": _at(6)},
    )
    assert [c["external_id"] for c in window.json()["items"]] == ["5", "4"]
    page1 = (await client.get("/api/contacts", params={"limit": 4}, headers=team.agent.headers)).json()
    page2 = (
        await client.get(
            "/api/contacts", params={"limit": 4, "cursor": page1["next_cursor"]}, headers=team.agent.headers
        )
    ).json()
    assert [c["external_id"] for c in page1["items"] + page2["items"]] == ["5", "4", "3", "2", "1", "0"]
    assert page2["next_cursor"] is None
    bad = await client.get("/api/contacts", params={"cursor": "abc"}, headers=team.agent.headers)
    assert bad.status_code == 422


async def test_history_across_channels_with_notes_cases_and_callbacks(client: httpx.AsyncClient, team: Team) -> None:
    customer = (
        await client.post(
            "/api/customers",
            headers=team.agent.headers,
            json={
                "display_name": "Hana",
                "identities": [
                    {"kind": "phone", "value": "+15551230042"},
                    {"kind": "email", "value": "hana@example.com"},
                ],
            },
        )
    ).json()
    ids = {}
    for minute, channel, address in [
        (0, "voice", "+15551230042"),
        (10, "email", "hana@example.com"),
        (20, "web", None),
        (30, "chat", None),
    ]:
        extra = {"address": address} if address else {"customer_id": customer["id"]}
        response = await _log(
            client, team, channel=channel, source=channel, external_id=f"h{minute}", started_at=_at(minute), **extra
        )
        ids[channel] = response.json()["contact"]["id"]
    await client.post(
        f"/api/contacts/{ids['voice']}/notes", json={"body": "called about invoice"}, headers=team.agent.headers
    )
    await client.post(
        f"/api/contacts/{ids['voice']}/notes",
        json={"body": "bob's secret", "private": True},
        headers=team.other_agent.headers,
    )
    await client.post(
        f"/api/customers/{customer['id']}/notes", json={"body": "prefers e-mail"}, headers=team.agent.headers
    )
    case = (
        await client.post(
            "/api/cases",
            headers=team.agent.headers,
            json={
                "customer_id": customer["id"],
                "subject": "Invoice wrong",
                "reply_due_at": _at(60 * 24),
                "contact_ids": [ids["voice"], ids["email"]],
            },
        )
    ).json()
    closed = (
        await client.post(
            "/api/cases", headers=team.agent.headers, json={"customer_id": customer["id"], "subject": "Old"}
        )
    ).json()
    await client.patch(f"/api/cases/{closed['id']}", json={"status": "solved"}, headers=team.agent.headers)
    callback = (
        await client.post(
            "/api/callbacks",
            headers=team.agent.headers,
            json={
                "customer_id": customer["id"],
                "number": "555-123-0042",
                "window_start": _at(120),
                "window_end": _at(180),
            },
        )
    ).json()

    history = (await client.get(f"/api/customers/{customer['id']}/history", headers=team.agent.headers)).json()
    assert [c["channel"] for c in history["contacts"]] == ["chat", "web", "email", "voice"]
    assert [n["body"] for n in history["contacts"][3]["notes"]] == ["called about invoice"]
    assert [n["body"] for n in history["customer_notes"]] == ["prefers e-mail"]
    assert [(c["id"], c["owner_id"], c["contact_ids"]) for c in history["open_cases"]] == [
        (case["id"], team.agent.id, sorted([ids["voice"], ids["email"]]))
    ]
    assert [(c["id"], c["number"]) for c in history["pending_callbacks"]] == [(callback["id"], "+15551230042")]
    assert history["customer"]["id"] == customer["id"]

    first = (
        await client.get(f"/api/customers/{customer['id']}/history", params={"limit": 3}, headers=team.agent.headers)
    ).json()
    rest = (
        await client.get(
            f"/api/customers/{customer['id']}/history",
            params={"limit": 3, "cursor": first["next_cursor"]},
            headers=team.agent.headers,
        )
    ).json()
    assert [c["channel"] for c in first["contacts"] + rest["contacts"]] == ["chat", "web", "email", "voice"]
    assert rest["next_cursor"] is None and rest["customer_notes"] == []
