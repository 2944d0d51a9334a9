from __future__ import annotations

from pathlib import Path

import httpx

from callcenter.app import create_app
from callcenter.config import Settings
from callcenter.migrate import head_revision


async def test_health_answers_without_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_database_is_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["migration"] == head_revision()


async def test_not_ready_on_a_database_that_was_never_migrated(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", data_dir=tmp_path, secret_key="x" * 40
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            response = await http.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["migration"] is None and body["head"] == head_revision()
    assert "callcenter db upgrade" in body["hint"]


async def test_not_ready_when_database_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", data_dir=tmp_path, secret_key="x" * 40
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            response = await http.get("/ready")
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable")
