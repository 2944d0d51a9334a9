"""Agent lifecycle (ami-10): pause, dynamic QueueAdd, a caller waiting for a paused agent, unpause, remove."""

from __future__ import annotations

import asyncio

from callcenter.pbxsim.simulator import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.conftest import action_blocks, eventually
from tests.pbxsim.test_capture_scenarios import assert_same_calls, queue_log_shape, trace_queue_log
from tests.pbxsim.views import calls, load_trace

MEMBER_EVENTS = ("QueueMemberPause", "QueueMemberAdded", "QueueMemberRemoved")


def member_view(messages: list) -> list[tuple[str | None, ...]]:
    """Membership events with the fields a supervisor screen shows."""
    return [
        (m.name, m.get("Queue"), m.get("MemberName"), m.get("Membership"), m.get("StateInterface"),
         m.get("Paused"), m.get("PausedReason"))
        for m in messages
        if m.name in MEMBER_EVENTS
    ]  # fmt: skip


def replies(messages: list) -> list[tuple[str, str | None, str | None]]:
    return [(m.name, m.action_id, m.get("Message")) for m in messages if m.kind == "response"]


async def test_agent_login_pause_cycle_matches_ami_10(sim: PbxSimulator, client: RawAmiClient) -> None:
    blocks = {block.split(b"ActionID: ")[1].split(b"\r\n")[0].decode(): block for block in action_blocks(
        "ami-10-agent-login-pause-cycle.actions.txt")}  # fmt: skip

    async def send(action_id: str) -> None:
        await client.send_raw(blocks[action_id])
        await client.wait_for(lambda m: m.kind == "response" and m.action_id == action_id)

    for action_id in ("s10-001", "s10-002", "s10-003", "s10-004", "s10-005", "s10-006", "s10-007", "s10-008"):
        await send(action_id)
    join = await client.wait_for(lambda m: m.name == "QueueCallerJoin", within=10)
    await sim.pbx.clock.sleep(5)
    await send("s10-009")  # QueueStatus while Rafael waits for the paused agent
    entry = next(m for m in client.messages if m.name == "QueueEntry" and m.action_id == "s10-009")
    assert (entry["Queue"], entry["Position"], entry["Channel"]) == ("sales", "1", join["Channel"])
    assert entry["Wait"] == "5"
    assert not any(m.name == "AgentCalled" for m in client.messages)  # paused agents are not rung
    await sim.pbx.clock.sleep(4)
    await send("s10-010")  # unpause Agent 1006: it rings at once
    await eventually(lambda: len(sim.pbx.finished) == 1)
    for action_id in ("s10-011", "s10-012", "s10-013", "s10-014", "s10-015"):
        await send(action_id)
    await asyncio.wait_for(client.closed.wait(), 5)

    trace = load_trace("ami-10-agent-login-pause-cycle.txt")
    assert replies(client.messages) == replies(trace)
    assert member_view(client.messages) == member_view(trace)
    assert_same_calls(calls(trace), calls(client.messages))
    shape = queue_log_shape(sim.queue_log.lines)
    assert shape == queue_log_shape(trace_queue_log("ami-10-agent-login-pause-cycle.queue_log"))
    after = [m for m in client.messages if m.name == "QueueMember" and m.action_id == "s10-012"]
    assert [m["Name"] for m in after] == ["Agent 1003", "Agent 1004"]  # 1006 was removed
    truth = sim.pbx.finished[0]
    assert (truth.outcome, truth.agent_name, truth.hangup_by) == ("handled", "Agent 1006", "agent")
