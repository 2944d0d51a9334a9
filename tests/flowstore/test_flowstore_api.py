"""Admins version flows over the API: validated drafts, a readable diff, publish and roll back live."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import httpx
import pytest

from callcenter.db import unit_of_work
from callcenter.flowstore import service
from callcenter.flowstore.live import build_catalog, follow_publications
from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.engine import IvrEngine
from callcenter.ivr.simulate import FixedClock, ScriptedCaller, parse_digits
from tests.conftest import Team
from tests.flowstore.conftest import FLOWS

MAIN_MENU = (FLOWS / "main-menu.yaml").read_text()
URL = "/api/ivr/flows/main-menu"


def edited(text: str = MAIN_MENU) -> str:
    """Option 2 goes to billing, the menu waits longer."""
    return (
        text.replace("      2: sales\n", "      2: billing\n")
        .replace("    timeout_s: 5\n", "    timeout_s: 8\n")
        .replace("  operator:\n", "  billing:\n    type: queue\n    queue: billing\n\n  operator:\n")
        .replace("  sales:\n    type: queue\n    queue: sales\n    priority: 0\n    timeout_s: 300\n"
                 "    announce_position: true\n\n", "")
    )  # fmt: skip


async def save(client: httpx.AsyncClient, team: Team, source: str, message: str) -> httpx.Response:
    return await client.post(f"{URL}/versions", json={"source": source, "message": message}, headers=team.admin.headers)


async def test_save_diff_publish_and_rollback(client: httpx.AsyncClient, team: Team) -> None:
    first = await save(client, team, MAIN_MENU, "as shipped")
    assert first.status_code == 201, first.text
    assert first.json()["number"] == 1
    news = (await client.get(f"{URL}/diff", params={"to": 1}, headers=team.admin.headers)).json()["changes"]
    assert news[:2] == ["node 'hours' added (hours)", "node 'closed' added (play)"]
    assert len(news) == 13
    second = await save(client, team, edited(), "billing line on 2")
    assert second.json() | {"created_at": None} == {
        "flow_name": "main-menu", "number": 2, "message": "billing line on 2", "author_id": team.admin.id,
        "based_on": None, "created_at": None, "live": False,
    }  # fmt: skip
    changes = (await client.get(f"{URL}/diff", params={"to": 2}, headers=team.admin.headers)).json()["changes"]
    assert changes == [
        "node 'billing' added (queue)",
        "node 'sales' removed (queue)",
        "node 'menu': option 2 now goes to billing (was sales)",
        "node 'menu': timeout 5 -> 8 s",
    ]
    catalog: FlowCatalog = client.app.state.ivr_catalog  # type: ignore[attr-defined]
    published = await client.post(f"{URL}/versions/1/publish", headers=team.admin.headers)
    assert published.json()["number"] == 1 and published.json()["kind"] == "publish"
    assert catalog.get("main-menu").version == "main-menu@1"
    await client.post(f"{URL}/versions/2/publish", headers=team.admin.headers)
    assert catalog.get("main-menu").version == "main-menu@2"
    versions = (await client.get(f"{URL}/versions", headers=team.admin.headers)).json()
    assert [(v["number"], v["live"]) for v in versions] == [(1, False), (2, True)]
    back = await client.post(f"{URL}/rollback", headers=team.admin.headers)
    assert (back.json()["number"], back.json()["kind"]) == (1, "rollback")
    assert catalog.get("main-menu").version == "main-menu@1"
    history = (await client.get(f"{URL}/publications", headers=team.admin.headers)).json()
    assert [(p["number"], p["kind"], p["published_by_id"]) for p in history] == [
        (1, "rollback", team.admin.id),
        (2, "publish", team.admin.id),
        (1, "publish", team.admin.id),
    ]
    again = await client.post(f"{URL}/versions/1/publish", headers=team.admin.headers)
    assert again.status_code == 409
    listing = (await client.get("/api/ivr/flows", headers=team.admin.headers)).json()
    assert listing == [{"flow_name": "main-menu", "latest": 2, "live": 1}]


async def test_a_draft_with_problems_is_refused_with_each_position(client: httpx.AsyncClient, team: Team) -> None:
    broken = MAIN_MENU.replace("      3: goodbye\n", "      3: good-bye\n").replace("queue: sales", "queue: salse")
    response = await save(client, team, broken, "typo")
    assert response.status_code == 422
    assert response.json()["detail"].splitlines() == [
        "the flow has 2 problem(s):",
        "main-menu.yaml:76:10: node 'menu': 3 goes to unknown node 'good-bye'",
        "main-menu.yaml:91:12: node 'sales': unknown queue 'salse' (billing, sales, support)",
    ]
    renamed = await save(client, team, MAIN_MENU.replace("name: main-menu", "name: other"), "wrong name")
    assert renamed.status_code == 422
    assert (await client.get(f"{URL}/versions", headers=team.admin.headers)).json() == []


@pytest.mark.parametrize("role", ["agent", "supervisor"])
async def test_only_admins_touch_flows(client: httpx.AsyncClient, team: Team, role: str) -> None:
    headers = team.by_role(role).headers
    assert (
        await client.post(f"{URL}/versions", json={"source": MAIN_MENU, "message": "x"}, headers=headers)
    ).status_code == 403
    assert (await client.get(f"{URL}/versions", headers=headers)).status_code == 403
    assert (await client.post(f"{URL}/rollback", headers=headers)).status_code == 403
    assert (await client.get(f"{URL}/versions")).status_code == 401


async def test_missing_versions_and_nothing_to_roll_back(client: httpx.AsyncClient, team: Team) -> None:
    assert (await client.get(f"{URL}/versions/9", headers=team.admin.headers)).status_code == 404
    assert (await client.post(f"{URL}/versions/9/publish", headers=team.admin.headers)).status_code == 404
    assert (await client.post(f"{URL}/rollback", headers=team.admin.headers)).status_code == 404
    await save(client, team, MAIN_MENU, "first")
    await client.post(f"{URL}/versions/1/publish", headers=team.admin.headers)
    assert (await client.post(f"{URL}/rollback", headers=team.admin.headers)).status_code == 409


class GatedCaller(ScriptedCaller):
    """Stays inside the first prompt until released, like a caller listening to the menu."""

    def __init__(self, digits: str) -> None:
        super().__init__("+15559990000", parse_digits(digits))
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def play(self, prompt: str, interrupt_digits: str = "") -> str | None:
        self.entered.set()
        await self.release.wait()
        return await super().play(prompt, interrupt_digits)


async def test_publishing_while_calls_are_in_progress(client: httpx.AsyncClient, team: Team) -> None:
    await save(client, team, MAIN_MENU, "as shipped")
    await save(client, team, edited(), "billing line on 2")
    await client.post(f"{URL}/versions/1/publish", headers=team.admin.headers)
    engine = IvrEngine(client.app.state.ivr_catalog)  # type: ignore[attr-defined]
    engine.services.clock = FixedClock(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC))
    before = GatedCaller(",,2")  # unknown caller: silent twice at the account prompt, then 2 in the menu
    in_progress = asyncio.create_task(engine.run(before, "main-menu"))
    await before.entered.wait()
    await client.post(f"{URL}/versions/2/publish", headers=team.admin.headers)
    after = ScriptedCaller("+15559990000", ["", "", "2"])
    new_call = await engine.run(after, "main-menu")
    before.release.set()
    old_call = await in_progress
    assert (old_call.version, old_call.outcome.details["queue"]) == ("main-menu@1", "sales")
    assert (new_call.version, new_call.outcome.details["queue"]) == ("main-menu@2", "billing")
    await client.post(f"{URL}/rollback", headers=team.admin.headers)
    rolled = await engine.run(ScriptedCaller("+15559990000", ["", "", "2"]), "main-menu")
    assert rolled.outcome.details["queue"] == "sales"


async def test_a_restarted_service_loads_what_is_live(client: httpx.AsyncClient, team: Team) -> None:
    await save(client, team, edited(), "billing line on 2")
    await client.post(f"{URL}/versions/1/publish", headers=team.admin.headers)
    fresh = FlowCatalog.from_directory(FLOWS)
    assert fresh.get("main-menu").version == "file"
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    async with unit_of_work(runtime.sessions) as session:
        assert await service.load_live(session, fresh) == 1
        assert await service.load_live(session, fresh) == 0
    assert fresh.get("main-menu").version == "main-menu@1"
    assert fresh.get("support-queue").version == "file"


class WatchedCatalog(FlowCatalog):
    """A catalog that says when something was published into it."""

    def __init__(self, flows) -> None:
        super().__init__(flows)
        self.published = asyncio.Event()

    def publish(self, flow) -> None:
        super().publish(flow)
        self.published.set()


async def test_another_instance_follows_publications(client: httpx.AsyncClient, team: Team, settings) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    await save(client, team, MAIN_MENU, "as shipped")
    await client.post(f"{URL}/versions/1/publish", headers=team.admin.headers)
    built = await build_catalog(settings.ivr, runtime.sessions)
    assert built.get("main-menu").version == "main-menu@1"
    other = WatchedCatalog(built.snapshot().values())
    follower = asyncio.create_task(follow_publications(runtime.sessions, other, interval_s=0.01))
    try:
        await save(client, team, edited(), "billing line on 2")
        await client.post(f"{URL}/versions/2/publish", headers=team.admin.headers)
        async with asyncio.timeout(30):
            await other.published.wait()
    finally:
        follower.cancel()
        # let its unit of work roll back before the database is emptied for the next test
        with contextlib.suppress(asyncio.CancelledError):
            await follower
    assert other.get("main-menu").version == "main-menu@2"
    assert other.get("main-menu").flow.nodes["menu"].options["2"] == "billing"
