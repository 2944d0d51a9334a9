"""Who gets the wallboard and report pages."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import PASSWORD, Team


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    answer = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("path", ["/wallboard", "/reports"])
async def test_strangers_are_sent_to_sign_in_and_agents_are_refused(
    client: httpx.AsyncClient, team: Team, path: str
) -> None:
    answer = await client.get(path)
    assert (answer.status_code, answer.headers["location"]) == (303, f"/login?next={path}")
    await sign_in(client, "alice")
    answer = await client.get(path)
    assert answer.status_code == 403
    assert "This page is for supervisors and admins; you are signed in as agent." in answer.text


async def test_supervisor_gets_the_wallboard_with_its_threshold(client: httpx.AsyncClient, team: Team) -> None:
    await sign_in(client, "sue")
    answer = await client.get("/wallboard")
    assert answer.status_code == 200
    assert 'data-longest-wait-alert="120.0"' in answer.text
    assert '<script type="module" src="/static/js/wallboard.js"></script>' in answer.text
    assert "http://" not in answer.text and "https://" not in answer.text  # nothing fetched from elsewhere
