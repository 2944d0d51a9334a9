"""The agent console in headless Chromium: sign in, find a caller, read the history, act on it."""

from __future__ import annotations

import asyncio
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from callcenter.app import create_app
from callcenter.config import Settings
from callcenter.contacts import service
from callcenter.contacts.schemas import ContactCreate, CustomerCreate, IdentityIn
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.users.models import Role, User
from callcenter.users.tokens import issue_token
from tests.conftest import PASSWORD, TEST_SECRET
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser
T0 = datetime.now(UTC) - timedelta(days=3)


async def _seed(url: str, password_hash: str) -> tuple[User, int]:
    engine = create_engine(url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            agent = User(
                username="alice",
                display_name="Alice Agent",
                role=Role.AGENT,
                password_hash=password_hash,
                interface="PJSIP/1001",
                queues=["support"],
            )
            session.add(agent)
            view = await service.create_customer(
                session,
                region="US",
                data=CustomerCreate(
                    display_name="Hana Sato",
                    segment="vip",
                    value_score=720,
                    identities=[IdentityIn(kind="phone", value="+15551230042")],
                ),
            )
            for hours, channel, subject, inputs in [
                (0, "email", "Invoice question", {}),
                (5, "web", "Contact form: refund", {}),
                (30, "voice", "Refund follow-up", {"choice": "1", "account": "4321"}),
            ]:
                await service.log_contact(
                    session,
                    region="US",
                    data=ContactCreate(
                        channel=channel,
                        source=channel,
                        external_id=f"seed-{hours}",
                        customer_id=view.customer.id,
                        started_at=T0 + timedelta(hours=hours),
                        subject=subject,
                        ivr_inputs=inputs,
                        outcome="handled" if channel == "voice" else None,
                    ),
                )
        return agent, view.customer.id
    finally:
        await engine.dispose()


@pytest.fixture
def console_server(tmp_path: Path, sqlite_template: Path, password_hash: str):
    path = tmp_path / "console.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    # Playwright's sync API keeps an event loop running in this thread: seed from another one.
    with ThreadPoolExecutor(max_workers=1) as worker:
        agent, customer_id = worker.submit(asyncio.run, _seed(url, password_hash)).result()
    app = create_app(Settings(database_url=url, data_dir=tmp_path / "var", secret_key=TEST_SECRET))
    with LiveServer(app) as server:
        yield server, agent, customer_id


def test_agent_finds_caller_reads_history_and_records_the_outcome(page: Page, console_server, artifacts: Path) -> None:
    server, agent, customer_id = console_server
    page.goto(f"{server.url}/agent")
    expect(page).to_have_url(re.compile(r"/login\?next=/agent$"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#status")).to_have_text("wrong username or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(f"{server.url}/agent")
    expect(page.locator(".who")).to_contain_text("Alice Agent")

    page.get_by_label("Search for").fill("(555) 123-0042")
    page.get_by_label("Search for").press("Enter")
    expect(page.locator("#customer-name")).to_have_text("Hana Sato")
    expect(page.locator("#customer-segment")).to_have_text("vip")
    timeline = page.locator("#timeline .contact")
    expect(timeline).to_have_count(3)
    expect(timeline.locator(".channel")).to_have_text(["Call", "Web", "E-mail"])
    expect(timeline.first.locator(".ivr")).to_have_text("IVR choice: 1, account: 4321")
    page.screenshot(path=str(artifacts / "agent-console-history.png"))

    page.get_by_label("About").select_option(index=1)
    page.get_by_label("Note").fill("Promised a refund by Friday")
    page.get_by_role("button", name="Save note").click()
    expect(timeline.first.locator(".notes li")).to_contain_text(["Promised a refund by Friday"])

    page.get_by_label("Disposition").select_option("follow-up")
    page.get_by_label("Summary").fill("Refund approved, awaiting finance")
    page.get_by_role("button", name="Save disposition").click()
    expect(timeline.first.locator(".outcome")).to_have_text("handled · follow-up")

    page.get_by_label("Subject").fill("Refund for invoice 88")
    page.get_by_label("Reply by").fill((datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Open case (I own it)").click()
    expect(page.locator("#open-cases li")).to_contain_text(["Refund for invoice 88"])
    expect(page.locator("#my-cases li")).to_contain_text(["Refund for invoice 88"])

    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("#pending-callbacks li")).to_contain_text(["+15551230042"])
    expect(page.locator("#my-callbacks li")).to_contain_text(["+15551230042"])
    page.screenshot(path=str(artifacts / "agent-console-after-call.png"), full_page=True)

    token = issue_token(agent, secret=TEST_SECRET, ttl_seconds=60)
    history = httpx.get(
        f"{server.url}/api/customers/{customer_id}/history", headers={"Authorization": f"Bearer {token}"}
    ).json()
    latest = history["contacts"][0]
    assert (latest["disposition"], latest["summary"]) == ("follow-up", "Refund approved, awaiting finance")
    assert [n["body"] for n in latest["notes"]] == ["Promised a refund by Friday"]
    assert [(c["subject"], c["owner_id"], c["contact_ids"]) for c in history["open_cases"]] == [
        ("Refund for invoice 88", agent.id, [latest["id"]])
    ]
    assert [(c["number"], c["assigned_agent_id"]) for c in history["pending_callbacks"]] == [("+15551230042", agent.id)]
