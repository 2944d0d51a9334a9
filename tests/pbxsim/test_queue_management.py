"""Queue management (ami-05): pause, QueueAdd/Remove, pause in all queues, penalty, AMI Hangup of callers."""

from __future__ import annotations

import asyncio

from callcenter.pbxsim.simulator import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.conftest import action_blocks, eventually
from tests.pbxsim.test_agent_lifecycle import member_view, replies
from tests.pbxsim.test_capture_scenarios import queue_log_shape, run_one_call, trace_queue_log
from tests.pbxsim.views import calls, load_trace

# what to wait for after sending an action, as the lab's script did
WAIT_AFTER = {
    "s5-007": lambda m: m.name == "QueueCallerJoin" and m["Position"] == "2",
    "s5-012": lambda m: m.name == "AgentConnect" and m["MemberName"] == "Agent 1005",
    "s5-014": lambda m: m.name == "AgentConnect" and m["MemberName"] == "Agent 1002",
}


async def test_queue_management_matches_ami_05(sim: PbxSimulator, client: RawAmiClient) -> None:
    # ami-05 followed ami-01 and ami-02 in the lab run: same channel numbering (customer-00000004 ...)
    await run_one_call(sim, client, "ami-01-handled-call.actions.txt", finished_before=0)
    for name, finished in (("ami-02-abandoned-call.actions.txt", 1),):
        earlier = await RawAmiClient().connect(sim.ami_port)
        await run_one_call(sim, earlier, name, finished_before=finished)
        await earlier.close()
    sim.queue_log.lines.clear()
    session = await RawAmiClient().connect(sim.ami_port)
    try:
        for block in action_blocks("ami-05-queue-management.actions.txt"):
            action_id = block.split(b"ActionID: ")[1].split(b"\r\n")[0].decode()
            start = len(session.messages)
            await session.send_raw(block)
            if action_id == "s5-027":
                break
            await session.wait_for(lambda m, a=action_id: m.kind == "response" and m.action_id == a, start=start)
            if action_id in WAIT_AFTER:
                await session.wait_for(WAIT_AFTER[action_id], start=start)
            if action_id in ("s5-021", "s5-022"):
                await eventually(lambda n=int(action_id[-1]): len(sim.pbx.finished) == 2 + n)
        await asyncio.wait_for(session.closed.wait(), 5)
    finally:
        await session.close()
    trace = load_trace("ami-05-queue-management.txt")
    ours = [r for r in replies(session.messages) if r[1] != "s5-011"]  # no `queue show` CLI output here
    assert ours == [r for r in replies(trace) if r[1] != "s5-011"]
    assert member_view(session.messages) == member_view(trace)
    assert queue_log_shape(sim.queue_log.lines) == queue_log_shape(trace_queue_log("ami-05-queue-management.queue_log"))
    real_calls, our_calls = calls(trace), calls(session.messages)
    assert len(our_calls) == len(real_calls) == 2
    for real, ours_call in zip(real_calls, our_calls, strict=True):
        assert ours_call.queue_sequence() == real.queue_sequence()
