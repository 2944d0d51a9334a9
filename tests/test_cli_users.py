"""`callcenter db upgrade` and `callcenter users create` on a fresh SQLite file, then signing in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from callcenter.app import create_app
from callcenter.config import Settings


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_create_a_user_from_the_command_line_and_sign_in(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = os.environ | {"CALLCENTER_DATABASE_URL": url, "CALLCENTER_NEW_USER_PASSWORD": "s3cret password"}
    assert _cli("db", "upgrade", env=env).returncode == 0
    created = _cli("users", "create", "maria", "--role", "supervisor", "--name", "Maria", env=env)
    assert created.returncode == 0, created.stderr
    assert "created supervisor maria" in created.stdout
    again = _cli("users", "create", "maria", "--role", "agent", env=env)
    assert again.returncode == 1 and "already taken" in again.stderr
    bad = _cli("users", "create", "x", "--role", "agent", env=env)
    assert bad.returncode == 1 and "username" in bad.stderr
    listed = _cli("users", "list", env=env)
    assert "maria\tsupervisor" in listed.stdout

    app = create_app(Settings(database_url=url, data_dir=tmp_path, secret_key="k" * 40))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            response = await http.post("/api/auth/login", json={"username": "maria", "password": "s3cret password"})
    assert response.status_code == 200
    assert response.json()["user"]["role"] == "supervisor"
