"""A call through the IVR to a signed-in agent, in headless Chromium: ready, screen-pop, answer, wrap-up.

pbxsim plays Asterisk (AMI to the service, FastAGI from the service's IVR), all over real sockets; the
service and the simulator share an event loop in a thread of their own, Playwright drives the page.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.agents.harness import CALLER, Floor, floor
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
LIVE = 30_000  # ms: the call goes through the IVR's prompts on the simulator's clock first


class FloorThread:
    """A :class:`Floor` running in its own thread and event loop."""

    def __init__(self, database_url: str, data_dir: Path, password_hash: str) -> None:
        self._args = (database_url, data_dir, password_hash)
        self._ready: Future[Floor] = Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="floor", daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with floor(*self._args, disposition_queues=["support"]) as running:
                self._ready.set_result(running)
                await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    def __enter__(self) -> Floor:
        self._thread.start()
        return self._ready.result(timeout=30)

    def run(self, work: Any) -> None:
        """Run ``work()`` in the floor's loop."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(work)

    def __exit__(self, *_exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)


@pytest.fixture
def live_floor(tmp_path: Path, sqlite_template: Path, password_hash: str) -> Iterator[tuple[FloorThread, Floor]]:
    path = tmp_path / "live.db"
    shutil.copyfile(sqlite_template, path)
    runner = FloorThread(f"sqlite+aiosqlite:///{path}", tmp_path / "var", password_hash)
    with runner as running:
        yield runner, running


def test_agent_takes_a_call_from_the_ivr_and_records_it(page: Page, live_floor, artifacts: Path) -> None:
    runner, lab = live_floor
    url = f"http://127.0.0.1:{lab.service.port}"
    runner.run(lambda: lab.sim.pbx.pause("Local/agent1001@agents/n", None, True, "Break"))
    page.goto(f"{url}/agent")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(f"{url}/agent")
    state = page.locator("#agent-state")
    expect(state).to_have_text("Paused", timeout=LIVE)
    expect(page.locator("#agent-reason")).to_have_text("(Break)")

    page.get_by_role("button", name="Ready").focus()
    page.keyboard.press("Enter")
    expect(state).to_have_text("Ready", timeout=LIVE)

    runner.run(lambda: lab.call(talk=14.0, ring=10.0))
    card = page.locator("#live-call")
    expect(card).to_be_visible(timeout=LIVE)
    expect(page.locator("#live-phase")).to_have_text("Incoming call:")
    expect(page.locator("#live-caller")).to_have_text(f"Hana Sato ({CALLER})")
    expect(page.locator("#live-segment")).to_have_text("gold")
    expect(page.locator("#live-history li")).to_contain_text(["Contact form: refund", "Invoice question"])
    expect(page.locator("#live-ivr")).to_contain_text("keyed menu: 1")
    expect(page.locator("#live-ivr")).to_contain_text(re.compile(r"IVR path .*menu"))
    expect(state).to_have_text("Ringing")
    page.screenshot(path=str(artifacts / "live-call-ringing.png"))

    expect(page.locator("#live-phase")).to_have_text("On call with", timeout=LIVE)
    expect(state).to_have_text("On a call")
    expect(page.get_by_role("button", name="Hang up")).to_be_visible()
    expect(page.locator("#live-timer")).to_have_text(re.compile(r"^0:0[1-9]$"), timeout=LIVE)
    page.screenshot(path=str(artifacts / "live-call-connected.png"))

    wrap_up = page.locator("#wrap-up-form")
    expect(wrap_up).to_be_visible(timeout=LIVE)
    expect(state).to_have_text("Wrap-up")
    expect(card).to_be_hidden()
    timeline = page.locator("#timeline .contact")
    expect(timeline.first.locator(".channel")).to_have_text("Call", timeout=LIVE)

    page.get_by_label("About").select_option(index=1)
    page.get_by_label("Note").fill("Wants the refund on the card, not as credit")
    page.get_by_role("button", name="Save note").click()
    expect(timeline.first.locator(".notes li")).to_contain_text(["Wants the refund on the card"])

    page.get_by_label("Outcome of the call").select_option("follow-up")
    page.get_by_label("What was agreed").fill("Refund to the card within 5 days")
    page.get_by_role("button", name="Finish wrap-up").click()
    expect(wrap_up).to_be_hidden(timeout=LIVE)
    expect(state).to_have_text("Ready", timeout=LIVE)

    page.get_by_label("Subject").fill("Refund to card")
    page.get_by_label("Reply by").fill((datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Open case (I own it)").click()
    expect(page.locator("#open-cases li")).to_contain_text(["Refund to card"])
    page.screenshot(path=str(artifacts / "live-call-after.png"), full_page=True)

    headers = {"Authorization": f"Bearer {lab.tokens['alice']}"}
    history = httpx.get(f"{url}/api/customers/{lab.customer_id}/history", headers=headers).json()
    call = history["contacts"][0]
    assert (call["channel"], call["queue"], call["agent_id"]) == ("voice", "support", lab.ids["alice"])
    assert (call["disposition"], call["summary"]) == ("follow-up", "Refund to the card within 5 days")
    assert call["ivr_path"] and "menu" in call["ivr_path"]
    assert [n["body"] for n in call["notes"]] == ["Wants the refund on the card, not as credit"]
    assert [(c["subject"], c["owner_id"], c["contact_ids"]) for c in history["open_cases"]] == [
        ("Refund to card", lab.ids["alice"], [call["id"]])
    ]
