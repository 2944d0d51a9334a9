"""Two service instances on one PostgreSQL and one Redis: instance A listens to Asterisk, the agent
is connected to instance B, and the screen-pop still reaches them."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.config import Settings
from tests.agents.harness import CALLER, FLOWS, floor
from tests.agents.test_live_console import until
from tests.conftest import REDIS_URL, TEST_SECRET
from tests.realtime.conftest import receive, running

pytestmark = pytest.mark.postgres


async def test_agent_on_instance_b_gets_the_screen_pop_of_a_call_instance_a_ingested(
    shared_postgres: str, tmp_path: Path, password_hash: str
) -> None:
    async with floor(shared_postgres, tmp_path / "a", password_hash, backplane=REDIS_URL) as lab:
        # Instance B listens to no Asterisk at all: whatever reaches its agents came through Redis.
        b_settings = Settings(
            database_url=shared_postgres,
            data_dir=tmp_path / "b",
            secret_key=TEST_SECRET,
            backplane=REDIS_URL,
            ivr={"flows_dir": FLOWS},
        )
        async with running(b_settings) as b:
            assert not b.app.state.telephony.links.clients
            lab.sim.pbx.pause("Local/agent1002@agents/n", None, True, "only alice takes this call")
            async with (
                b.connect("/ws/agent", lab.tokens["alice"]) as alice_on_b,
                b.connect("/ws/agent", lab.tokens["bob"]) as bob_on_b,
            ):
                assert (await receive(alice_on_b))["type"] == "snapshot"
                assert (await receive(bob_on_b))["type"] == "snapshot"
                lab.call(talk=2.0)
                ringing = await until(alice_on_b, "call.ringing")
                card = ringing["data"]["call"]["card"]
                assert card["customer"]["display_name"] == "Hana Sato"
                assert card["call"]["caller_number"] == CALLER
                assert card["call"]["ivr_inputs"]["menu"] == "1"
                assert [c["subject"] for c in card["history"]["contacts"]] == [
                    "Contact form: refund",
                    "Invoice question",
                ]
                connected = await until(alice_on_b, "call.connected")
                assert connected["data"]["call"]["id"] == ringing["data"]["call"]["id"]
                ended = await until(alice_on_b, "call.ended")
                assert ended["data"]["call_id"] == ringing["data"]["call"]["id"]
                # Bob, on the same instance, saw nothing of Alice's call.
                seen = []
                while True:
                    try:
                        seen.append(await receive(bob_on_b, within=1.0))
                    except TimeoutError:
                        break
                assert not [m for m in seen if m["type"].startswith("call.")], seen
