"""Traffic into the service's own IVR: simulated calls run the shipped flows over FastAGI and reach the queues."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.engine import IvrEngine
from callcenter.ivr.services import IvrServices
from callcenter.ivr.simulate import FixedClock, FixtureCustomers
from callcenter.pbxsim.clock import VirtualClock
from callcenter.pbxsim.config import PbxConfig
from callcenter.pbxsim.fastagi_ivr import FastAgiIvr
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.pbxsim.traffic import TrafficGenerator, TrafficProfile
from callcenter.telephony.agi import AgiServer
from callcenter.wiring.ivr_over_agi import flow_handlers
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.conftest import eventually

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
TUESDAY_10AM_NEW_YORK = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


async def test_generated_callers_get_through_the_shipped_main_menu() -> None:
    services = IvrServices(customers=FixtureCustomers([]), clock=FixedClock(TUESDAY_10AM_NEW_YORK))
    engine = IvrEngine(FlowCatalog.from_directory(FLOWS), services)
    agi = AgiServer(flow_handlers(engine), port=0)
    await agi.start()
    config = PbxConfig(agi_url=f"agi://127.0.0.1:{agi.port}")
    sim = PbxSimulator(config, clock=VirtualClock(), ivr=FastAgiIvr("127.0.0.1", agi.port))
    profile = TrafficProfile(
        calls_per_minute=30, max_calls=12, menu_choices={"1": 0.5, "2": 0.5}, hangup_in_menu=0.0,
        talk_seconds=30, patience_seconds=600, transfer_probability=0.0,
    )  # fmt: skip
    generator = TrafficGenerator(sim.pbx, profile, seed=9)
    await sim.start()
    client = await RawAmiClient().connect(sim.ami_port)
    await client.action("Login", {"Username": "callcenter", "Secret": "lab-secret", "Events": "agent,agi"}, "l")
    generator.start()
    try:
        await eventually(lambda: len(generator.planned) == 12 and not sim.pbx.calls, within=60)
    finally:
        await generator.stop()
        await client.close()
        await sim.stop()
        await agi.close(grace_s=1.0)
    joins = {m["Linkedid"]: m["Queue"] for m in client.messages if m.name == "QueueCallerJoin"}
    expected = {"1": "support", "2": "sales"}
    for planned in generator.planned:
        assert joins.get(planned.truth.linkedid) == expected[planned.spec.choice], planned.spec
    commands = {m["Command"].split(" ")[0] for m in client.messages if m.name == "AGIExecStart"}
    assert {"STREAM", "GET", "SET"} <= commands
    assert all(t.outcome in ("handled", "abandoned") for t in generator.truth())
