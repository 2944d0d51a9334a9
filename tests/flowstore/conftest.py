"""The app with the flow store routes and a live flow catalog, as the composition root would wire them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from callcenter.app import create_app
from callcenter.config import IvrSettings, Settings
from callcenter.flowstore import routes
from callcenter.ivr.catalog import FlowCatalog
from tests.conftest import TEST_SECRET

FLOWS = Path(__file__).parents[2] / "ivr_flows"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "var",
        secret_key=TEST_SECRET,
        ivr=IvrSettings(flows_dir=FLOWS, queues=["support", "sales", "billing"]),
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.include_router(routes.router)
    app.state.ivr_catalog = FlowCatalog.from_directory(FLOWS)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http
