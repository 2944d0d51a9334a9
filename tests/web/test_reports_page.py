"""The report page in headless Chromium: a chart per report and the CSV download over the report endpoints."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from callcenter.app import create_app
from callcenter.calls import CallTracker
from callcenter.config import MetricsSettings, Settings
from callcenter.contacts.call_recorder import CallRecorder
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.metrics import LiveMetrics
from callcenter.users.models import Role, User
from tests.conftest import PASSWORD, TEST_SECRET
from tests.live_server import LiveServer
from tests.metrics.captures import replay_into

pytestmark = pytest.mark.browser
DAY = "2026-11-23"  # the day ami-09 was recorded (about 13:12 UTC)


async def _seed(url: str, password_hash: str) -> None:
    """A supervisor, and the calls of the ami-09 capture (a burst in the sales queue) as stored contacts."""
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        async with unit_of_work(sessions) as session:
            session.add(
                User(username="sam", display_name="Sam Supervisor", role=Role.SUPERVISOR, password_hash=password_hash)
            )
        finished: list = []
        replay_into(LiveMetrics(), "ami-09-burst-sales-ringall.txt", tracker=CallTracker("lab"), finished=finished)
        await CallRecorder(sessions).record(finished)
    finally:
        await engine.dispose()


@pytest.fixture
def reports_server(tmp_path: Path, sqlite_template: Path, password_hash: str):
    path = tmp_path / "reports.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, _seed(url, password_hash)).result()
    settings = Settings(
        database_url=url, data_dir=tmp_path / "var", secret_key=TEST_SECRET, metrics=MetricsSettings(timezone="UTC")
    )
    with LiveServer(create_app(settings)) as server:
        yield server


def test_supervisor_reads_queue_and_agent_reports_with_charts_and_downloads_csv(
    page: Page, reports_server, artifacts: Path
) -> None:
    server = reports_server
    page.goto(f"{server.url}/reports")
    expect(page).to_have_url(re.compile(r"/login\?next=/reports$"))
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(f"{server.url}/reports")

    page.get_by_label("From").fill(DAY)
    page.get_by_label("To (included)").fill(DAY)
    page.get_by_label("Interval").select_option("hour")
    page.get_by_role("button", name="Show report").click()
    expect(page.locator("#report-title")).to_have_text(f"Queues {DAY} – {DAY}, per hour (UTC)")
    charts = page.locator("#report-charts svg.line-chart")
    expect(charts).to_have_count(4)
    expect(page.locator('#report-charts svg[data-figure="offered"] path[data-series="sales"]')).to_be_attached()
    expect(page.locator("#report-charts .chart-legend li")).to_have_text(["sales"])
    # The service level has a value in one hour only: drawn as a dot.
    expect(page.locator('#report-charts svg[data-figure="service_level"] circle')).to_have_count(1)
    # Only the hour with calls has figures: the burst of ami-09, 13:00 UTC.
    rows = page.locator("#report-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(0)).to_have_text(f"{DAY} 13:00")
    offered = int(rows.first.locator("td").nth(2).inner_text())
    assert offered > 0
    page.screenshot(path=str(artifacts / "reports-queues.png"), full_page=True)

    link = page.get_by_role("link", name="Download CSV")
    expect(link).to_have_attribute("href", re.compile(r"^/api/reports/queues\?.*format=csv"))
    download = page.request.get(f"{server.url}{link.get_attribute('href')}")
    assert download.status == 200
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(download.text())))
    assert len(table) == 24  # every hour of the day, the quiet ones too
    busy = [r for r in table if r["offered"] != "0"]
    assert [(r["interval_start"], r["queue"], int(r["offered"])) for r in busy] == [
        ("2026-11-23T13:00:00+00:00", "sales", offered)
    ]

    page.get_by_label("Report").select_option("agents")
    page.get_by_role("button", name="Show report").click()
    expect(page.locator("#report-title")).to_have_text(f"Agents {DAY} – {DAY}, per hour (UTC)")
    expect(page.locator("#report-charts svg.line-chart")).to_have_count(2)
    expect(page.locator("#report-table tbody tr").first).to_contain_text("13:00")
    expect(link).to_have_attribute("href", re.compile(r"^/api/reports/agents\?"))
    page.screenshot(path=str(artifacts / "reports-agents.png"), full_page=True)
