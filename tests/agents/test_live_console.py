"""Screen-pop and agent state over real sockets: pbxsim -> AMI -> tracker -> hub -> the agent's websocket."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from tests.agents.harness import CALLER, Floor, floor
from tests.realtime.conftest import receive


@pytest.fixture
async def lab(sqlite_template: Path, tmp_path: Path, password_hash: str):
    path = tmp_path / "callcenter.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    async with floor(url, tmp_path / "var", password_hash, disposition_queues=["support"]) as running:
        yield running


async def until(ws: ClientConnection, type_: str, within: float = 30.0, seen: list[dict] | None = None) -> dict:
    """The next message of ``type_``, keeping the ones skipped in ``seen``."""
    while True:
        message = await receive(ws, within=within)
        if seen is not None:
            seen.append(message)
        if message["type"] == type_:
            return message


def api(lab: Floor, who: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{lab.service.port}", headers={"Authorization": f"Bearer {lab.tokens[who]}"}
    )


async def state_of(ws: ClientConnection, wanted: str) -> dict[str, Any]:
    while True:
        message = await until(ws, "agent.state")
        if message["data"]["state"] == wanted:
            return message["data"]


async def test_the_rung_agent_alone_gets_the_card_then_the_call_then_wrap_up(lab: Floor) -> None:
    async with (
        lab.service.connect("/ws/agent", lab.tokens["alice"]) as alice,
        lab.service.connect("/ws/agent", lab.tokens["bob"]) as bob,
        lab.service.connect("/ws/supervisor", lab.tokens["sue"]) as sue,
        api(lab, "alice") as alice_api,
        api(lab, "bob") as bob_api,
    ):
        assert (await receive(alice))["type"] == "snapshot"
        assert (await receive(bob))["type"] == "snapshot"
        assert (await bob_api.post("/api/agent/pause", json={"reason": "Lunch"})).status_code == 202
        paused = await state_of(bob, "paused")
        assert paused["reason"] == "Lunch"
        while (seen := (await until(sue, "agent.state"))["data"])["user_id"] != lab.ids["bob"]:
            pass
        assert (seen["name"], seen["state"], seen["reason"]) == ("Bob Agent", "paused", "Lunch")
        lab.call(talk=3.0)
        ringing = await until(alice, "call.ringing")
        card = ringing["data"]["call"]["card"]
        assert isinstance(ringing["data"]["received_at"], float)
        assert card["known"] is True, card
        assert card["customer"]["display_name"] == "Hana Sato"
        assert card["customer"]["segment"] == "gold"
        assert [c["subject"] for c in card["history"]["contacts"]] == ["Contact form: refund", "Invoice question"]
        assert card["call"]["caller_number"] == CALLER
        assert card["call"]["queue"] == "support"
        assert "menu" in card["call"]["ivr_path"]
        assert card["call"]["ivr_inputs"]["menu"] == "1"
        connected = await until(alice, "call.connected")
        assert connected["data"]["call"]["id"] == ringing["data"]["call"]["id"]
        assert (await until(alice, "agent.state"))["data"]["state"] == "on_call"
        ended = await until(alice, "call.ended")
        assert ended["data"]["disposition_required"] is True
        assert (await state_of(alice, "wrap_up"))["reason"] == "disposition required"
        recorded = await until(alice, "call.recorded")
        assert recorded["data"]["customer_id"] == lab.customer_id
        refused = await alice_api.post("/api/agent/ready")
        assert refused.status_code == 409
        assert "disposition" in refused.json()["detail"]
        missing = await alice_api.post("/api/agent/wrap-up", json={})
        assert missing.status_code == 422
        for _ in range(50):  # the recorder stores the call right after the tracker ends it
            done = await alice_api.post("/api/agent/wrap-up", json={"disposition": "resolved", "summary": "ok"})
            if done.status_code != 409:
                break
            await asyncio.sleep(0.1)
        assert done.status_code == 200, done.text
        await until(alice, "call.wrapped_up")
        await state_of(alice, "ready")
        history = (await alice_api.get(f"/api/customers/{lab.customer_id}/history")).json()
        latest = history["contacts"][0]
        assert (latest["channel"], latest["disposition"], latest["agent_id"]) == ("voice", "resolved", lab.ids["alice"])
        # bob never saw anything of alice's call
        while True:
            try:
                message = json.loads(await asyncio.wait_for(bob.recv(), 0.5))
            except TimeoutError:
                break
            assert not message["type"].startswith("call."), message


async def test_a_closed_tab_keeps_the_state_and_a_reconnect_shows_it(lab: Floor) -> None:
    async with api(lab, "alice") as alice_api:
        async with lab.service.connect("/ws/agent", lab.tokens["alice"]) as ws:
            await receive(ws)
            assert (await alice_api.post("/api/agent/pause", json={"reason": "Training"})).status_code == 202
            await state_of(ws, "paused")
        await asyncio.sleep(0.2)
        async with lab.service.connect("/ws/agent", lab.tokens["alice"]) as ws:
            snapshot = await receive(ws)
            assert snapshot["type"] == "snapshot"
            assert (snapshot["data"]["state"], snapshot["data"]["reason"]) == ("paused", "Training")
        state = (await alice_api.get("/api/agent/state")).json()
        assert (state["state"], state["reason"]) == ("paused", "Training")


async def test_asterisk_refusals_and_impossible_actions_are_explained(lab: Floor) -> None:
    async with api(lab, "alice") as alice_api:
        call = await alice_api.post("/api/agent/call", json={"number": "5551234"})
        assert call.status_code == 502
        assert call.json()["detail"] == "Asterisk pbx1 refused Originate: Originate failed"
        bad = await alice_api.post("/api/agent/call", json={"number": "555; rm"})
        assert bad.status_code == 422
        assert (await alice_api.post("/api/agent/transfer", json={"target": "2000"})).status_code == 409
        assert (await alice_api.post("/api/agent/hangup")).json()["detail"] == "you have no call to hang up"
        reason = await alice_api.post("/api/agent/pause", json={"reason": "x\r\nAction: Hangup"})
        assert reason.status_code == 422


async def test_an_unknown_caller_pops_a_card_ready_to_create_the_customer(lab: Floor) -> None:
    async with lab.service.connect("/ws/agent", lab.tokens["alice"]) as alice, api(lab, "alice") as alice_api:
        await receive(alice)
        lab.call("+15559876543", talk=1.0, known=False)
        card = (await until(alice, "call.ringing"))["data"]["call"]["card"]
        assert (card["known"], card["customer"], card["history"]) == (False, None, None)
        assert card["suggested_customer"]["phone"] == "+15559876543"
        assert card["call"]["ivr_inputs"]["identification/ask-account"] == "0000"
        made = await alice_api.post(
            "/api/customers",
            json={
                "display_name": "New caller",
                "identities": [{"kind": "phone", "value": card["suggested_customer"]["phone"]}],
            },
        )
        assert made.status_code == 201
        recorded = await until(alice, "call.recorded")
        assert recorded["data"]["customer_id"] == made.json()["id"]  # the call joined the customer made meanwhile
