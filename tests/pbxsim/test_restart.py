"""A restart of the simulated Asterisk looks like `core restart now` on the real one (ami-08)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from callcenter.pbxsim.clock import VirtualClock
from callcenter.pbxsim.simulator import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.conftest import action_blocks, eventually
from tests.pbxsim.test_capture_scenarios import assert_same_calls
from tests.pbxsim.views import calls, load_trace


@pytest.fixture
async def restart_sim() -> AsyncIterator[PbxSimulator]:
    """Virtual time: no simulated time passes while the client reconnects (Uptime 0)."""
    simulator = PbxSimulator(clock=VirtualClock())
    simulator.pbx.config.restart_downtime = 0.1
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_restart_tears_calls_down_and_comes_back_with_fresh_counters(restart_sim: PbxSimulator) -> None:
    sim = restart_sim
    sim.pbx.queues["support"].rr_next = 2  # in the lab run, rrmemory had reached Agent 1003
    client = await RawAmiClient().connect(sim.ami_port)
    blocks = action_blocks("ami-08-restart.actions.txt")
    for block in blocks[:2]:  # Login, Originate (Heidi, waits for the agent)
        await client.send_raw(block)
    await client.wait_for(lambda m: m.name == "AgentConnect", within=10)
    first_linkedid = next(m for m in client.messages if m.name == "AgentConnect")["Linkedid"]
    await client.send_raw(b"Action: Command\r\nActionID: r1\r\nCommand: core restart now\r\n\r\n")
    await asyncio.wait_for(client.closed.wait(), 10)
    await client.close()

    last = client.messages[-1]
    assert (last.name, last["Shutdown"], last["Restart"]) == ("Shutdown", "Cleanly", "True")
    assert not any(m.name == "Goodbye" for m in client.messages)
    captured = calls(load_trace("ami-08-restart.txt"))[0]
    ours = calls(client.messages)[0]
    causes = [(ours.role(m["Channel"]), m["Cause"]) for m in ours.events if m.name == "SoftHangupRequest"][:4]
    assert (
        causes
        == [(captured.role(m["Channel"]), m["Cause"]) for m in captured.events if m.name == "SoftHangupRequest"][:4]
    )
    assert {c for _, c in causes} == {"4"}
    assert_same_calls([captured], [ours])  # every channel's events, in order, as in the capture
    assert sim.pbx.finished[0].hangup_by == "system"

    # the client reconnects; the listener comes back on the same port after the downtime
    again = None
    for _ in range(1000):
        try:
            again = await RawAmiClient().connect(sim.ami_port)
            break
        except OSError:
            await asyncio.sleep(0.002)
    assert again is not None
    reply = await again.action("Login", {"Username": "callcenter", "Secret": "lab-secret"}, action_id="l2")
    assert reply["Message"] == "Authentication accepted"
    booted = await again.wait_for(lambda m: m.name == "FullyBooted")
    assert booted["Uptime"] == "0"
    assert sim.queue_log.lines[-1].endswith("|NONE|NONE|NONE|QUEUESTART|")
    await again.send_raw(blocks[1])
    join = await again.wait_for(lambda m: m.name == "QueueCallerJoin", within=10)
    assert join["Channel"] == "Local/s@customer-00000000;1"  # Local suffixes restart at 0
    assert join["Uniqueid"].endswith(".0") and join["Linkedid"] != first_linkedid
    await eventually(lambda: bool(sim.pbx.calls))
    await again.close()
