"""Calls entering the IVR connect to a real FastAGI server (the project's) like Asterisk does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from callcenter.pbxsim.clock import VirtualClock
from callcenter.pbxsim.config import PbxConfig
from callcenter.pbxsim.fastagi_ivr import FastAgiIvr
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.telephony.agi import AgiHangup, AgiServer, AgiSession
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.conftest import eventually


class MenuRecorder:
    """A small main menu on the server side that remembers what it saw."""

    def __init__(self) -> None:
        self.sessions: list[dict[str, object]] = []

    async def __call__(self, session: AgiSession) -> None:
        seen: dict[str, object] = {"env": session.environment}
        self.sessions.append(seen)
        try:
            await session.answer()
            seen["callerid"] = await session.get_variable("CALLERID(num)")
            choice = (await session.stream_file("vm-options", "123")).digit
            seen["choice"] = choice
            data = await session.get_data("agent-pass", 5000, 4)
            seen["account"] = data.digits
            await session.set_variable("IVR_ACCOUNT", data.digits)
            await session.set_variable("IVR_QUEUE", {"1": "support", "2": "sales"}.get(choice or "", "none"))
        except AgiHangup:
            seen["hung_up"] = True


@pytest.fixture
async def agi_setup() -> AsyncIterator[tuple[PbxSimulator, MenuRecorder]]:
    menu = MenuRecorder()
    server = AgiServer({"main-menu": menu}, port=0)
    await server.start()
    config = PbxConfig(agi_url=f"agi://127.0.0.1:{server.port}")
    sim = PbxSimulator(config, clock=VirtualClock(), ivr=FastAgiIvr("127.0.0.1", server.port))
    await sim.start()
    yield sim, menu
    await sim.stop()
    await server.close(grace_s=1.0)


async def originate(client: RawAmiClient, name: str, number: str, variables: list[str], action_id: str) -> None:
    fields = [("Channel", "Local/s@customer"), ("Context", "ivr-in"), ("Exten", "s"), ("Priority", "1")]
    fields += [("CallerID", f"{name} <{number}>"), ("Async", "true")]
    fields += [("Variable", v) for v in variables]
    reply = await client.action("Originate", fields, action_id=action_id)
    assert reply.name == "Success"


async def test_call_runs_the_ivr_of_the_fastagi_server(agi_setup: tuple[PbxSimulator, MenuRecorder]) -> None:
    sim, menu = agi_setup
    client = await RawAmiClient().connect(sim.ami_port)
    await client.action("Login", {"Username": "callcenter", "Secret": "lab-secret"}, action_id="l")
    await originate(client, "Ivan", "+15551230099", ["CHOICE=2", "ACCOUNT=7777", "HOLD=5"], "o1")
    join = await client.wait_for(lambda m: m.name == "QueueCallerJoin", within=10)
    assert join["Queue"] == "sales"  # the server's choice, from the digit the simulated caller pressed
    await eventually(lambda: len(sim.pbx.finished) == 1)
    await client.action("Ping", action_id="sync")
    seen = menu.sessions[0]
    env = seen["env"]
    assert env.channel == join["Channel"] and env.uniqueid == join["Uniqueid"]
    assert env.script == "main-menu" and env.arguments == ("inbound", "+15551230099")
    assert (seen["callerid"], seen["choice"], seen["account"]) == ("+15551230099", "2", "7777")
    commands = [m["Command"] for m in client.messages if m.name == "AGIExecEnd"]
    assert commands == [
        "ANSWER",
        "GET VARIABLE CALLERID(num)",
        'STREAM FILE vm-options "123"',
        "GET DATA agent-pass 5000 4",
        "SET VARIABLE IVR_ACCOUNT 7777",
        "SET VARIABLE IVR_QUEUE sales",
    ]
    assert sim.pbx.finished[0].ivr_account == "7777"
    await client.close()


async def test_caller_hanging_up_mid_prompt_reaches_the_server(agi_setup: tuple[PbxSimulator, MenuRecorder]) -> None:
    sim, menu = agi_setup
    client = await RawAmiClient().connect(sim.ami_port)
    await client.action("Login", {"Username": "callcenter", "Secret": "lab-secret"}, action_id="l")
    await originate(client, "Olga", "+15551232058", ["CHOICE=1", "CUSTMODE=hangup-mid-prompt"], "o2")
    await eventually(lambda: len(sim.pbx.finished) == 1)
    await client.action("Ping", action_id="sync")  # every event of the call has arrived before the reply
    await eventually(lambda: bool(menu.sessions) and menu.sessions[0].get("hung_up") is True)
    ends = [(m["Command"], m["Result"]) for m in client.messages if m.name == "AGIExecEnd"]
    assert ends[2] == ('STREAM FILE vm-options "123"', "Failure")
    truth = sim.pbx.finished[0]
    assert (truth.outcome, truth.hangup_by) == ("ivr_only", "caller")
    await client.close()


async def test_unreachable_fastagi_server_sends_the_call_to_goodbye() -> None:
    sim = PbxSimulator(clock=VirtualClock(), ivr=FastAgiIvr("127.0.0.1", 1, connect_timeout=1.0))
    await sim.start()
    try:
        client = await RawAmiClient().connect(sim.ami_port)
        await client.action("Login", {"Username": "callcenter", "Secret": "lab-secret"}, action_id="l")
        await originate(client, "Zed", "+15551230000", ["CHOICE=1"], "o3")
        status = await client.wait_for(lambda m: m.name == "VarSet" and m["Variable"] == "AGISTATUS", within=10)
        assert status["Value"] == "FAILURE"
        await eventually(lambda: len(sim.pbx.finished) == 1)
        assert sim.pbx.finished[0].outcome == "ivr_only"
        await client.close()
    finally:
        await sim.stop()
