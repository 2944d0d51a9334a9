"""Signing in: passwords, bearer tokens, browser cookies, expiry, password change, rate limits."""

from __future__ import annotations

import httpx

from callcenter.users.tokens import SESSION_COOKIE, issue_token
from tests.conftest import PASSWORD, TEST_SECRET, Team


async def test_login_gives_a_working_token_and_cookie(client: httpx.AsyncClient, team: Team) -> None:
    response = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["user"]["username"], body["user"]["role"]) == ("bearer", "alice", "agent")
    assert "password_hash" not in body["user"]
    cookie = response.cookies[SESSION_COOKIE]
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "alice"
    client.cookies.clear()
    assert (await client.get("/api/auth/me")).status_code == 401
    client.cookies.set(SESSION_COOKIE, cookie)
    browser = await client.get("/api/auth/me")
    assert browser.json()["username"] == "alice"


async def test_wrong_password_and_unknown_user_are_the_same_401(client: httpx.AsyncClient, team: Team) -> None:
    wrong = await client.post("/api/auth/login", json={"username": "alice", "password": "nope"})
    unknown = await client.post("/api/auth/login", json={"username": "mallory", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong username or password"}


async def test_repeated_failures_are_rate_limited(client: httpx.AsyncClient, team: Team) -> None:
    for _ in range(10):
        assert (await client.post("/api/auth/login", json={"username": "bob", "password": "guess"})).status_code == 401
    blocked = await client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "wait a minute" in blocked.json()["detail"]


async def test_logout_forgets_the_cookie(client: httpx.AsyncClient, team: Team) -> None:
    await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert (await client.get("/api/auth/me")).status_code == 200
    assert (await client.post("/api/auth/logout")).status_code == 204
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_expired_and_forged_tokens_are_refused(client: httpx.AsyncClient, team: Team) -> None:
    expired = issue_token(team.agent.user, secret=TEST_SECRET, ttl_seconds=-10)
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    forged = issue_token(team.agent.user, secret="another secret of enough length 0123456789", ttl_seconds=60)
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})).status_code == 401
    client.cookies.set(SESSION_COOKIE, "tampered.value")
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_password_change_and_deactivation_sign_the_user_out(client: httpx.AsyncClient, team: Team) -> None:
    headers = team.agent.headers
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    changed = await client.patch(
        f"/api/users/{team.agent.id}", json={"password": "a new long password"}, headers=team.admin.headers
    )
    assert changed.status_code == 200
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
    relogin = await client.post("/api/auth/login", json={"username": "alice", "password": "a new long password"})
    assert relogin.status_code == 200
    await client.patch(f"/api/users/{team.agent.id}", json={"active": False}, headers=team.admin.headers)
    token = relogin.json()["access_token"]
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    inactive = await client.post("/api/auth/login", json={"username": "alice", "password": "a new long password"})
    assert inactive.status_code == 401


async def test_admin_manages_users(client: httpx.AsyncClient, team: Team) -> None:
    headers = team.admin.headers
    created = await client.post(
        "/api/users",
        headers=headers,
        json={
            "username": "carl",
            "display_name": "Carl",
            "role": "agent",
            "password": "long enough pw",
            "interface": "PJSIP/1003",
            "queues": ["sales"],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["interface"] == "PJSIP/1003"
    duplicate = await client.post(
        "/api/users",
        headers=headers,
        json={"username": "carl", "display_name": "Other", "role": "agent", "password": "long enough pw"},
    )
    assert duplicate.status_code == 409
    taken = await client.post(
        "/api/users",
        headers=headers,
        json={
            "username": "dora",
            "display_name": "Dora",
            "role": "agent",
            "password": "long enough pw",
            "interface": "PJSIP/1003",
        },
    )
    assert taken.status_code == 409 and "PJSIP/1003" in taken.json()["detail"]
    short = await client.post(
        "/api/users",
        headers=headers,
        json={"username": "eli", "display_name": "Eli", "role": "agent", "password": "short"},
    )
    assert short.status_code == 422 and "body.password" in short.json()["detail"]
    usernames = [u["username"] for u in (await client.get("/api/users", headers=headers)).json()]
    assert usernames == ["ada", "alice", "bob", "carl", "sue"]
    promoted = await client.patch(f"/api/users/{created.json()['id']}", json={"role": "supervisor"}, headers=headers)
    assert promoted.json()["role"] == "supervisor"
    assert (await client.get("/api/users/999", headers=headers)).status_code == 404
