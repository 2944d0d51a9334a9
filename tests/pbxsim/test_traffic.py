"""The traffic generator: deterministic for a seed, records ground truth, holds 500 calls with 100 agents."""

from __future__ import annotations

from collections import Counter

from callcenter.pbxsim.clock import VirtualClock
from callcenter.pbxsim.config import PbxConfig, numbered_agents
from callcenter.pbxsim.pbx import Pbx
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.pbxsim.traffic import TrafficGenerator, TrafficProfile
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.conftest import eventually

OUTCOMES = {"handled", "abandoned", "ivr_only", "transferred", "timeout", "failed"}


def test_same_seed_same_callers_other_seed_other_callers() -> None:
    first, again, other = (TrafficGenerator(Pbx(), seed=s) for s in (42, 42, 43))
    plans = [first.plan(n) for n in range(50)]
    assert plans == [again.plan(n) for n in range(50)]
    assert plans != [other.plan(n) for n in range(50)]
    choices = Counter(p.choice for p in plans)
    assert choices["1"] > choices["3"]  # the default mix sends most callers to support


async def test_ground_truth_matches_what_the_simulator_did() -> None:
    profile = TrafficProfile(calls_per_minute=120, max_calls=40, talk_seconds=20, patience_seconds=25)
    sim = PbxSimulator(clock=VirtualClock())
    generator = TrafficGenerator(sim.pbx, profile, seed=5)
    await sim.start()
    client = await RawAmiClient().connect(sim.ami_port)
    await client.action("Login", {"Username": "callcenter", "Secret": "lab-secret", "Events": "agent"}, "l")
    generator.start()
    try:
        await eventually(lambda: len(generator.planned) == 40 and not sim.pbx.calls, within=60)
        await client.action("Ping", action_id="sync")
    finally:
        await generator.stop()
        await client.close()
        await sim.stop()
    truths = generator.truth()
    assert len(truths) == 40 and all(t.ended is not None and t.outcome in OUTCOMES for t in truths)
    outcomes = Counter(t.outcome for t in truths)
    assert outcomes["handled"] > 0 and outcomes["ivr_only"] + outcomes["abandoned"] > 0
    by_linkedid = {t.linkedid: t for t in truths}
    connects = [m for m in client.messages if m.name == "AgentConnect"]
    abandons = [m for m in client.messages if m.name == "QueueCallerAbandon"]
    first_connects = {}
    for connect in connects:
        first_connects.setdefault(connect["Linkedid"], connect)
    for connect in first_connects.values():
        truth = by_linkedid[connect["Linkedid"]]
        assert truth.outcome in ("handled", "transferred")
        assert (truth.agent_interface, truth.queue) == (connect["Interface"], connect["Queue"])
        assert abs(truth.wait_seconds - int(connect["HoldTime"])) <= 1
    for abandon in abandons:
        truth = by_linkedid[abandon["Linkedid"]]
        assert truth.outcome == "abandoned" and abs(truth.wait_seconds - int(abandon["HoldTime"])) <= 1
    assert outcomes["abandoned"] == len(abandons)
    completed = {m["Linkedid"] for m in client.messages if m.name == "AgentComplete" and m["Reason"] != "transfer"}
    transferred = {t.linkedid for t in truths if t.outcome == "transferred"}
    assert {t.linkedid for t in truths if t.outcome == "handled"} == completed - transferred


async def test_holds_500_calls_in_progress_with_100_agents() -> None:
    config = PbxConfig(queues=numbered_agents(100, ["support", "sales"]))
    sim = PbxSimulator(config, clock=VirtualClock())
    profile = TrafficProfile(
        calls_per_minute=3000, max_calls=560, talk_seconds=900, patience_seconds=10_000,
        menu_choices={"1": 0.5, "2": 0.5}, hangup_in_menu=0.0, transfer_probability=0.0,
    )  # fmt: skip
    generator = TrafficGenerator(sim.pbx, profile, seed=11)
    await sim.start()
    client = await RawAmiClient().connect(sim.ami_port)
    await client.action("Login", {"Username": "callcenter", "Secret": "lab-secret", "Events": "agent"}, "l")
    generator.start()
    try:
        # 500 calls past the IVR: queued or talking
        await eventually(lambda: sum(1 for c in sim.pbx.calls.values() if c.phase != "ivr") >= 500, within=60)
        await client.action("CoreShowChannels", action_id="cs")
        listed = await client.wait_for(lambda m: m.name == "CoreShowChannelsComplete", within=30)
        await client.action("QueueSummary", action_id="qs")
        await client.wait_for(lambda m: m.name == "QueueSummaryComplete", within=30)
        await generator.stop()
    finally:
        await client.close()
        await sim.stop()
    assert int(listed["ListItems"]) >= 1000  # both halves of every caller, plus the agents' legs
    summaries = [m for m in client.messages if m.name == "QueueSummary"]
    assert [s["LoggedIn"] for s in summaries] == ["100", "100"]
    waiting = sum(int(s["Callers"]) for s in summaries)
    assert waiting >= 200 and all(s["Available"] == "0" for s in summaries)  # every agent busy, callers queue
    joins = {m["Linkedid"] for m in client.messages if m.name == "QueueCallerJoin"}
    assert len(joins) >= 500
    truths = generator.truth()
    assert all(t.ended is not None for t in truths)  # the shutdown ended every call, none left open
    assert len({t.linkedid for t in truths}) == len(truths)  # one Linkedid per call
