"""Every route against no credentials and against every role."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Team

PUBLIC = {("GET", "/health"), ("GET", "/ready"), ("POST", "/api/auth/login"), ("POST", "/api/auth/logout")}
EVERYONE = ("agent", "supervisor", "admin")
SUPERVISORS = ("supervisor", "admin")
ADMINS = ("admin",)

# Who may call each route. A route missing here fails test_matrix_covers_every_route.
MATRIX: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/api/auth/me"): EVERYONE,
    ("GET", "/api/users"): ADMINS,
    ("POST", "/api/users"): ADMINS,
    ("GET", "/api/users/{user_id}"): ADMINS,
    ("PATCH", "/api/users/{user_id}"): ADMINS,
    ("POST", "/api/customers"): EVERYONE,
    ("GET", "/api/customers"): EVERYONE,
    ("GET", "/api/customers/{customer_id}"): EVERYONE,
    ("PATCH", "/api/customers/{customer_id}"): EVERYONE,
    ("POST", "/api/customers/{customer_id}/identities"): EVERYONE,
    ("POST", "/api/customers/{customer_id}/merge"): SUPERVISORS,
    ("POST", "/api/customers/{customer_id}/notes"): EVERYONE,
    ("GET", "/api/customers/{customer_id}/history"): EVERYONE,
    ("POST", "/api/contacts"): EVERYONE,
    ("GET", "/api/contacts"): EVERYONE,
    ("GET", "/api/contacts/{contact_id}"): EVERYONE,
    ("PATCH", "/api/contacts/{contact_id}"): EVERYONE,
    ("GET", "/api/contacts/{contact_id}/events"): EVERYONE,
    ("POST", "/api/contacts/{contact_id}/notes"): EVERYONE,
    ("GET", "/api/contacts/{contact_id}/notes"): EVERYONE,
    ("POST", "/api/cases"): EVERYONE,
    ("GET", "/api/cases"): EVERYONE,
    ("GET", "/api/cases/{case_id}"): EVERYONE,
    ("PATCH", "/api/cases/{case_id}"): EVERYONE,
    ("POST", "/api/cases/{case_id}/contacts"): EVERYONE,
    ("POST", "/api/callbacks"): EVERYONE,
    ("GET", "/api/callbacks"): EVERYONE,
    ("GET", "/api/callbacks/{callback_id}"): EVERYONE,
    ("PATCH", "/api/callbacks/{callback_id}"): EVERYONE,
    ("GET", "/api/reports/queues"): SUPERVISORS,
    ("GET", "/api/reports/agents"): SUPERVISORS,
    ("GET", "/api/metrics/live"): SUPERVISORS,
    ("GET", "/api/alerts"): SUPERVISORS,
    ("POST", "/api/alerts/{alert_id}/acknowledge"): SUPERVISORS,
    ("POST", "/api/supervisor/agents/pause"): SUPERVISORS,
    ("POST", "/api/supervisor/agents/unpause"): SUPERVISORS,
    ("POST", "/api/supervisor/agents/logoff"): SUPERVISORS,
    ("GET", "/api/agent/state"): EVERYONE,
    ("POST", "/api/agent/ready"): EVERYONE,
    ("POST", "/api/agent/pause"): EVERYONE,
    ("POST", "/api/agent/call"): EVERYONE,
    ("POST", "/api/agent/transfer"): EVERYONE,
    ("POST", "/api/agent/hangup"): EVERYONE,
    ("POST", "/api/agent/wrap-up"): EVERYONE,
    ("GET", "/api/ivr/flows"): ADMINS,
    ("GET", "/api/ivr/flows/{flow_name}/versions"): ADMINS,
    ("POST", "/api/ivr/flows/{flow_name}/versions"): ADMINS,
    ("GET", "/api/ivr/flows/{flow_name}/versions/{number}"): ADMINS,
    ("GET", "/api/ivr/flows/{flow_name}/diff"): ADMINS,
    ("POST", "/api/ivr/flows/{flow_name}/versions/{number}/publish"): ADMINS,
    ("POST", "/api/ivr/flows/{flow_name}/rollback"): ADMINS,
    ("GET", "/api/ivr/flows/{flow_name}/publications"): ADMINS,
}


def _api_routes(client: httpx.AsyncClient) -> set[tuple[str, str]]:
    schema = client.app.openapi()  # type: ignore[attr-defined]
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def _concrete(path: str) -> str:
    return (
        path.replace("{user_id}", "1")
        .replace("{customer_id}", "1")
        .replace("{contact_id}", "1")
        .replace("{case_id}", "1")
        .replace("{callback_id}", "1")
        .replace("{alert_id}", "1")
        .replace("{flow_name}", "main-menu")
        .replace("{number}", "1")
    )


async def test_matrix_covers_every_route(client: httpx.AsyncClient) -> None:
    assert _api_routes(client) - PUBLIC == set(MATRIX)


async def test_every_protected_route_needs_credentials(client: httpx.AsyncClient) -> None:
    for method, path in MATRIX:
        response = await client.request(method, _concrete(path), json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        bad = await client.request(method, _concrete(path), json={}, headers={"Authorization": "Bearer nonsense"})
        assert bad.status_code == 401, (method, path)


@pytest.mark.parametrize("role", EVERYONE)
async def test_each_role_reaches_exactly_its_routes(client: httpx.AsyncClient, team: Team, role: str) -> None:
    headers = team.by_role(role).headers
    for (method, path), allowed in MATRIX.items():
        response = await client.request(method, _concrete(path), json={}, headers=headers)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, method, path, response.text)
        else:
            assert response.status_code == 403, (role, method, path)
            assert f"you are {role}" in response.json()["detail"]
