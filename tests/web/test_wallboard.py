"""The wallboard in headless Chromium: simulated traffic over real AMI/TCP moves the figures, supervisors act.

The PBX simulator runs call traffic (5x real time) in its own thread; the service's AMI client ingests it
over TCP, the live metrics count it and the supervisors' stream carries it to the page. The supervisor
pauses every agent from the page (QueuePause through AMI), callers then wait with nobody ready, the alert
appears and is acknowledged by name; with the simulated Asterisk gone, the page says the action failed.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from callcenter.app import create_app
from callcenter.config import AmiServerSettings, MetricsSettings, Settings, WallboardSettings
from callcenter.contacts.models import AuditEvent
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.pbxsim.traffic import TrafficProfile
from callcenter.users.models import Role, User
from tests.conftest import PASSWORD, TEST_SECRET
from tests.live_server import LiveServer
from tests.web.pbx_thread import PbxThread

pytestmark = pytest.mark.browser
AGENTS = ("Agent 1001", "Agent 1002", "Agent 1003", "Agent 1004")
# Busy enough that the four lab agents are soon all taken and callers queue; patient callers.
TRAFFIC = TrafficProfile(
    calls_per_minute=40, talk_seconds=60, patience_seconds=120, hangup_in_menu=0, transfer_probability=0
)


async def _seed(url: str, password_hash: str) -> None:
    engine = create_engine(url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            session.add(
                User(username="sam", display_name="Sam Supervisor", role=Role.SUPERVISOR, password_hash=password_hash)
            )
    finally:
        await engine.dispose()


async def _audit(url: str) -> list[tuple[str, str, str]]:
    engine = create_engine(url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            rows = await session.execute(
                select(AuditEvent.action, AuditEvent.target, User.username)
                .join(User, User.id == AuditEvent.actor_id)
                .order_by(AuditEvent.id)
            )
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


def _in_thread(coroutine):
    # Playwright's sync API keeps an event loop running in this thread: use another one.
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


@pytest.fixture
def wallboard(tmp_path: Path, sqlite_template: Path, password_hash: str):
    path = tmp_path / "wallboard.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    _in_thread(_seed(url, password_hash))
    with PbxThread(TRAFFIC, speed=5) as pbx:
        settings = Settings(
            database_url=url,
            data_dir=tmp_path / "var",
            secret_key=TEST_SECRET,
            ami_servers=[
                AmiServerSettings(
                    name="sim", port=pbx.ami_port, username="callcenter", secret="lab-secret", reconnect_max_delay=1
                )
            ],
            metrics=MetricsSettings(longest_wait_alert_seconds=300),
            wallboard=WallboardSettings(history_sample_seconds=1),
        )
        with LiveServer(create_app(settings)) as server:
            yield server, pbx, url


def _queue_cell(page: Page, queue: str, column: int):
    return page.locator(f'#queues tbody tr[data-queue="{queue}"] > *').nth(column)


def test_wallboard_follows_traffic_and_the_supervisor_pauses_agents_and_acknowledges(
    page: Page, wallboard, artifacts: Path
) -> None:
    server, pbx, url = wallboard
    page.goto(f"{server.url}/wallboard")
    expect(page).to_have_url(re.compile(r"/login\?next=/wallboard$"))
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(f"{server.url}/wallboard")
    expect(page.locator("#link")).to_have_text("● Live")

    # The agents come from the AMI resync of the simulated Asterisk: all four logged in and ready.
    agent_rows = page.locator("#agents tbody tr")
    expect(agent_rows).to_have_count(4)
    expect(agent_rows.locator("th strong")).to_have_text(list(AGENTS))
    expect(agent_rows.locator(".state")).to_have_text(["Ready"] * 4)
    expect(_queue_cell(page, "support", 4)).to_have_text("0")

    pbx.start_traffic()
    # Figures move as calls come and go: calls are offered, answered, and agents go on call.
    expect(_queue_cell(page, "support", 4)).not_to_have_text("0", timeout=30_000)
    expect(page.locator("#agents .state", has_text="On call").first).to_be_visible(timeout=30_000)
    offered = int(_queue_cell(page, "support", 4).inner_text())
    expect(_queue_cell(page, "support", 4)).not_to_have_text(str(offered), timeout=30_000)
    expect(page.locator("#charts")).to_have_attribute("data-points", re.compile(r"^([3-9]|\d\d+)$"))
    expect(page.locator('#charts svg[data-figure="calls_waiting"] path.series').first).to_be_attached()
    page.screenshot(path=str(artifacts / "wallboard-live-traffic.png"))

    # Pause every agent: by mouse, and the last one with the keyboard alone.
    page.get_by_label("Pause reason").select_option("meeting")
    for name in AGENTS[:3]:
        page.get_by_role("button", name=f"Pause {name}").click()
    page.get_by_role("button", name=f"Pause {AGENTS[3]}").focus()
    page.keyboard.press("Enter")
    for name in AGENTS:
        row = page.locator("#agents tbody tr", has_text=name)
        expect(row.locator(".state")).to_have_text("Paused · meeting", timeout=20_000)
        expect(row.get_by_role("button", name=f"Unpause {name}")).to_be_visible()

    # New callers now wait with nobody ready: the alert is pushed to the page and acknowledged by name.
    first = page.locator('#alerts li[data-kind="no_agent_ready"]').first
    expect(first).to_be_visible(timeout=45_000)
    alert = page.locator(f'#alerts li[data-alert-id="{first.get_attribute("data-alert-id")}"]')
    expect(alert).to_contain_text("callers are waiting and no agent is ready")
    queue = alert.locator(".alert-message").inner_text().split(":")[0]
    expect(page.locator("#alert-count")).not_to_have_text("")
    waiting = _queue_cell(page, queue, 1)
    expect(waiting).to_have_attribute("data-level", "bad")
    expect(waiting).to_contain_text("act now")
    page.screenshot(path=str(artifacts / "wallboard-alert.png"))
    alert.get_by_role("button", name=re.compile("^Acknowledge")).click()
    expect(alert.locator(".alert-meta")).to_contain_text("acknowledged by Sam Supervisor")
    expect(alert.get_by_role("button")).to_have_count(0)

    page.get_by_role("button", name=f"Unpause {AGENTS[0]}").click()
    expect(page.locator("#agents tbody tr", has_text=AGENTS[0]).locator(".state")).to_have_text(
        re.compile(r"^(Ready|Ringing|On call)$"), timeout=20_000
    )
    page.screenshot(path=str(artifacts / "wallboard-acknowledged.png"))

    # Asterisk goes away: the link alert appears and an action says plainly that nothing changed.
    pbx.stop()
    link_alert = page.locator('#alerts li[data-kind="ami_down"]')
    expect(link_alert).to_contain_text("the AMI link to sim is down", timeout=20_000)
    expect(page.locator("#stale")).to_have_text("⚠ No link to Asterisk sim: its figures are not up to date")
    page.get_by_role("button", name=f"Unpause {AGENTS[1]}").click()
    expect(page.locator("#status")).to_contain_text("Asterisk sim is not reachable, so nothing was changed")
    page.screenshot(path=str(artifacts / "wallboard-ami-down.png"))

    audit = _in_thread(_audit(url))
    assert [a for a in audit if a[0] == "agent.pause"] == [
        ("agent.pause", f"agent:Local/agent{n}@agents/n", "sam") for n in (1001, 1002, 1003, 1004)
    ]
    assert ("agent.unpause", "agent:Local/agent1001@agents/n", "sam") in audit
    assert [a[0] for a in audit].count("agent.unpause") == 1  # the refused one left no trace
    assert ("alert.acknowledged", f"alert:no_agent_ready:{queue}", "sam") in audit
