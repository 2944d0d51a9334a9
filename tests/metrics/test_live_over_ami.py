"""Live figures fed by the real ingest path: simulated Asterisk -> AMI over TCP -> tracker -> live metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from callcenter.config import MetricsSettings
from callcenter.contacts.call_recorder import CallRecorder
from callcenter.pbxsim.clock import accelerated
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.supervision.service import MeteredRecorder, Supervision
from callcenter.telephony.ami.client import AmiClient
from callcenter.wiring.call_ingest import INGEST_EVENTS, CallIngest

SPEED = 20.0


async def eventually(predicate: Callable[[], bool], within: float = 30.0) -> None:
    for _ in range(int(within / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


def client(name: str, port: int, **options) -> AmiClient:
    return AmiClient(name, "127.0.0.1", port, username="callcenter", secret="lab-secret", **options)


async def originate(dialer: AmiClient, name: str, number: str, **variables: str) -> None:
    fields = [("Channel", "Local/s@customer"), ("Context", "ivr-in"), ("Exten", "s"), ("Priority", "1")]
    fields += [("CallerID", f"{name} <{number}>"), ("Async", "true")]
    fields += [("Variable", f"{k}={v}") for k, v in variables.items()]
    await dialer.action("Originate", fields)


async def test_calls_over_ami_move_the_live_figures(sessions) -> None:
    sim = PbxSimulator(clock=accelerated(SPEED))
    supervision = Supervision(MetricsSettings(), clock=lambda: datetime.fromtimestamp(sim.pbx.clock.now(), UTC))
    # Events reach the live figures as the tracker emits them (publish); finished calls, with their
    # talk, hold and wrap-up times, on their way to the repository (the metered recorder).
    ingest = CallIngest(
        MeteredRecorder(CallRecorder(sessions), supervision), server="sim", clock=sim.pbx.clock.now,
        publish=supervision.apply, wrapup_seconds={"support": 5},
    )  # fmt: skip
    listener = client("sim", 0, consumer=ingest.consume, on_connect=ingest.on_connect, only_events=INGEST_EVENTS)
    dialer = client("dialer", 0, events="off")
    await sim.start()
    listener.port = dialer.port = sim.ami_port
    try:
        await listener.start()
        await listener.wait_connected()
        supervision.ami_link("sim", listener.connected)
        await dialer.start()
        await dialer.wait_connected()
        await originate(dialer, "Ann", "+15551110001", CHOICE="1", ACCOUNT="1111", HOLD="300", __TALK="4")
        await eventually(lambda: len(sim.pbx.finished) == 1)
        for n in (1001, 1002, 1003):
            await dialer.action(
                "QueuePause",
                [
                    ("Interface", f"Local/agent{n}@agents/n"),
                    ("Queue", "support"),
                    ("Paused", "true"),
                    ("Reason", "lunch"),
                ],
            )
        await originate(dialer, "Ben", "+15551110002", CHOICE="1", ACCOUNT="2222", HOLD="6")
        await eventually(lambda: len(sim.pbx.finished) == 2)
        await eventually(lambda: supervision.live.events["call.ended"] == 2)
    finally:
        await dialer.close()
        await listener.close()
        await sim.stop()
    support = next(q for q in supervision.live.snapshot(supervision.clock())["queues"] if q["queue"] == "support")
    assert (support["offered"], support["answered"], support["abandoned"]) == (2, 1, 1)
    assert support["answered_within_threshold"] == 1
    assert support["handled"] == 1
    assert support["talk_seconds"] == 4 and support["wrapup_seconds"] == 5
    # The simulator's own record of the calls: Ann's wait and Ben's wait until he hung up.
    truth = {t.caller_name: t for t in sim.pbx.finished}
    assert truth["Ben"].outcome == "abandoned"
    assert support["average_abandon_wait_seconds"] == round(truth["Ben"].wait_seconds)
    assert support["asa_seconds"] == round(truth["Ann"].wait_seconds)
    # An agent has one state (the tracker's): Agent 1003 is paused in support only and still ready in
    # sales, so it is not paused; 1001 and 1002 are paused everywhere they are members.
    assert support["agents"]["paused_by_reason"] == {"lunch": 2}
    agent = next(a for a in supervision.live.snapshot(supervision.clock())["agents"] if a["name"] == "Agent 1001")
    assert (agent["calls_handled"], agent["talk_seconds"], agent["wrapup_seconds"]) == (1, 4, 5)
    assert agent["state"] == "paused" and agent["reason"] == "lunch"
    assert supervision.live.events["call.queued"] == 2
    # Two contacts stored, counted on /metrics.
    assert ingest.recorded_total == 2
    registry = supervision.prometheus.registry
    assert registry.get_sample_value("callcenter_contacts_recorded_total", {"channel": "voice"}) == 2
