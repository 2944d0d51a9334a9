"""Customers over the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from tests.conftest import Team


async def _create(client: httpx.AsyncClient, team: Team, **body) -> dict:
    response = await client.post("/api/customers", json=body, headers=team.agent.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_get_and_update_a_customer(client: httpx.AsyncClient, team: Team) -> None:
    created = await _create(
        client,
        team,
        display_name="Alice Martin",
        segment="vip",
        value_score=900,
        language="fr",
        consents={"marketing": False, "recording": True},
        identities=[{"kind": "phone", "value": "(555) 123-0001"}, {"kind": "email", "value": "Alice@Example.com"}],
    )
    assert {(i["kind"], i["value"]) for i in created["identities"]} == {
        ("phone", "+15551230001"),
        ("email", "alice@example.com"),
    }
    fetched = (await client.get(f"/api/customers/{created['id']}", headers=team.agent.headers)).json()
    assert fetched == created
    response = await client.patch(
        f"/api/customers/{created['id']}", json={"segment": "gold", "value_score": 50}, headers=team.agent.headers
    )
    assert response.status_code == 200
    assert (response.json()["segment"], response.json()["value_score"], response.json()["language"]) == (
        "gold",
        50,
        "fr",
    )


async def test_search_by_phone_written_in_any_common_format(client: httpx.AsyncClient, team: Team) -> None:
    alice = await _create(client, team, display_name="Alice", identities=[{"kind": "phone", "value": "+15551230001"}])
    await _create(client, team, display_name="Bob", identities=[{"kind": "phone", "value": "+15551230002"}])
    for written in ["(555) 123-0001", "555.123.0001", "+1 555 123 0001", "0015551230001", "1-555-123-0001"]:
        response = await client.get("/api/customers", params={"phone": written}, headers=team.agent.headers)
        assert response.status_code == 200, response.text
        assert [c["id"] for c in response.json()["items"]] == [alice["id"]], written


async def test_search_by_name_email_and_account(client: httpx.AsyncClient, team: Team) -> None:
    carol = await _create(
        client,
        team,
        display_name="Carol Dupont",
        identities=[{"kind": "email", "value": "carol@example.org"}, {"kind": "account", "value": "4321"}],
    )
    await _create(client, team, display_name="Dave Martin")
    headers = team.agent.headers
    assert [
        c["id"] for c in (await client.get("/api/customers", params={"name": "dupo"}, headers=headers)).json()["items"]
    ] == [carol["id"]]
    by_email = await client.get("/api/customers", params={"email": "CAROL@example.org"}, headers=headers)
    assert [c["id"] for c in by_email.json()["items"]] == [carol["id"]]
    by_account = await client.get("/api/customers", params={"account": "4321"}, headers=headers)
    assert [c["id"] for c in by_account.json()["items"]] == [carol["id"]]
    nobody = await client.get("/api/customers", params={"name": "100%_"}, headers=headers)
    assert nobody.json()["items"] == []


async def test_search_pages_with_a_cursor(client: httpx.AsyncClient, team: Team) -> None:
    ids = [(await _create(client, team, display_name=f"Martin {n}"))["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        params = {"name": "martin", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/customers", params=params, headers=team.agent.headers)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


async def test_search_needs_a_criterion(client: httpx.AsyncClient, team: Team) -> None:
    response = await client.get("/api/customers", headers=team.agent.headers)
    assert response.status_code == 422
    assert "give name, phone, email or account" in response.json()["detail"]


async def test_invalid_phone_number_is_a_422_naming_the_value(client: httpx.AsyncClient, team: Team) -> None:
    response = await client.post(
        "/api/customers",
        headers=team.agent.headers,
        json={"display_name": "X", "identities": [{"kind": "phone", "value": "call me"}]},
    )
    assert response.status_code == 422
    assert "'call me' is not a phone number" in response.json()["detail"]


async def test_duplicate_identity_is_a_conflict_and_nothing_is_half_written(
    client: httpx.AsyncClient, team: Team
) -> None:
    first = await _create(client, team, display_name="First", identities=[{"kind": "phone", "value": "+15551230001"}])
    response = await client.post(
        "/api/customers",
        headers=team.agent.headers,
        json={
            "display_name": "Second",
            "identities": [
                {"kind": "email", "value": "second@example.com"},
                {"kind": "phone", "value": "555-123-0001"},
            ],
        },
    )
    assert response.status_code == 409
    assert f"already belongs to customer {first['id']}" in response.json()["detail"]
    # The customer and its first identity were rolled back with the request.
    leftovers = await client.get("/api/customers", params={"name": "Second"}, headers=team.agent.headers)
    assert leftovers.json()["items"] == []
    by_email = await client.get("/api/customers", params={"email": "second@example.com"}, headers=team.agent.headers)
    assert by_email.json()["items"] == []


async def test_add_identity_to_existing_customer(client: httpx.AsyncClient, team: Team) -> None:
    customer = await _create(client, team, display_name="Eve")
    response = await client.post(
        f"/api/customers/{customer['id']}/identities",
        headers=team.agent.headers,
        json={"kind": "external", "value": "crm:88"},
    )
    assert response.status_code == 201
    assert response.json()["identities"][0] == {
        "id": response.json()["identities"][0]["id"],
        "kind": "external",
        "value": "crm:88",
    }


async def test_unknown_customer_is_404(client: httpx.AsyncClient, team: Team) -> None:
    for method, path, body in [
        ("GET", "/api/customers/999", None),
        ("PATCH", "/api/customers/999", {"segment": "x"}),
        ("GET", "/api/customers/999/history", None),
    ]:
        response = await client.request(method, path, json=body, headers=team.agent.headers)
        assert response.status_code == 404, path
        assert response.json()["detail"] == "no customer with id 999"


async def test_malformed_bodies_are_422_with_the_field_named(client: httpx.AsyncClient, team: Team) -> None:
    cases = [
        (b'{"display_name": ', "JSON decode error"),
        (b'{"display_name": ""}', "body.display_name"),
        (b'{"display_name": "X", "value_score": "high"}', "body.value_score"),
        (b'{"display_name": "X", "colour": "red"}', "body.colour"),
        (b'{"display_name": "X", "identities": [{"kind": "fax", "value": "1"}]}', "body.identities.0.kind"),
    ]
    for raw, expected in cases:
        response = await client.post(
            "/api/customers", content=raw, headers=team.agent.headers | {"content-type": "application/json"}
        )
        assert response.status_code == 422, raw
        assert expected in response.json()["detail"], response.json()


async def test_null_for_a_required_field_on_update_is_refused(client: httpx.AsyncClient, team: Team) -> None:
    customer = await _create(client, team, display_name="Fay")
    response = await client.patch(
        f"/api/customers/{customer['id']}", json={"display_name": None}, headers=team.agent.headers
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "display_name cannot be null"
