"""The simulator replays the lab's scenarios and emits what the real Asterisk 22 emitted.

Each test sends the capture's own actions (`.actions.txt`, byte for byte) to the simulator over TCP,
then compares, call by call, the per-channel event sequences, the ordered call-state events with the
fields that matter (Queue, Position, Interface/MemberName, DialStatus, Reason, Cause), the Linkedid
grouping, the time units, and the queue_log lines in shape.
"""

from __future__ import annotations

import asyncio
import re

from callcenter.pbxsim.clock import VirtualClock
from callcenter.pbxsim.simulator import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.conftest import action_blocks, eventually
from tests.pbxsim.views import TRACES, CallView, calls, load_trace

POSITION_FIELDS = ("Position=", "Count=", "OriginalPosition=")


def split_positions(keys: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], list[int]]:
    """Keys without their queue position fields, and those positions in order."""
    stripped, positions = [], []
    for key in keys:
        stripped.append(tuple(f for f in key if not f.startswith(POSITION_FIELDS)))
        positions += [int(f.split("=")[1]) for f in key if f.startswith(POSITION_FIELDS)]
    return stripped, positions


def assert_same_calls(captured: list[CallView], simulated: list[CallView], *, position_slack: int = 0) -> None:
    """Same number of calls; per call the same channel sequences, queue sequence and call-state facts.

    `position_slack` allows queue positions to differ by that much: in a burst, a caller joining and
    another leaving in the same instant are a race in Asterisk too.
    """
    assert len(simulated) == len(captured)
    for real, ours in zip(captured, simulated, strict=True):
        assert ours.leg_sequences() == real.leg_sequences(), real.linkedid
        ours_seq, ours_pos = split_positions(ours.queue_sequence())
        real_seq, real_pos = split_positions(real.queue_sequence())
        assert ours_seq == real_seq, real.linkedid
        assert len(ours_pos) == len(real_pos)
        assert all(abs(a - b) <= position_slack for a, b in zip(ours_pos, real_pos, strict=True)), (ours_pos, real_pos)
        assert split_positions(ours.key_events())[0] == split_positions(real.key_events())[0], real.linkedid
        uniqueids = {e.get("Uniqueid") for e in ours.events if e.get("Uniqueid")}
        assert ours.linkedid in uniqueids  # the Linkedid is the caller's ;1 Uniqueid
        assert {e.get("Linkedid") for e in ours.events if e.get("Linkedid")} == {ours.linkedid}


def queue_log_shape(lines: list[str]) -> list[tuple[str, ...]]:
    """queue_log lines without times and ids: (queue, agent, event, data with numbers as shapes)."""
    shaped = []
    for line in lines:
        _, call_id, queue, agent, event, *data = line.split("|")
        kind = call_id if call_id in ("NONE", "MANAGER") else "call"
        shaped.append((kind, queue, agent, event, *(re.sub(r"\d+(\.\d+)?", "N", d) for d in data)))
    return shaped


def trace_queue_log(name: str) -> list[str]:
    """The lines of a capture's queue_log."""
    return (TRACES / name).read_text().splitlines()


async def run_one_call(sim: PbxSimulator, client: RawAmiClient, actions: str, *, finished_before: int) -> None:
    """Send Login + Originate(s) of an `.actions.txt`, wait for the calls to end, then Logoff."""
    blocks = action_blocks(actions)
    for block in blocks[:-1]:
        await client.send_raw(block)
        if b"Action: Originate" in block:
            finished_before += 1
            await eventually(lambda n=finished_before: len(sim.pbx.finished) >= n)
    await client.send_raw(blocks[-1])
    await asyncio.wait_for(client.closed.wait(), 5)


async def test_handled_call_matches_ami_01(sim: PbxSimulator, client: RawAmiClient) -> None:
    await run_one_call(sim, client, "ami-01-handled-call.actions.txt", finished_before=0)
    captured = load_trace("ami-01-handled-call.txt")
    assert [m.name for m in client.messages[:2]] == ["Success", "FullyBooted"]
    assert client.messages[-1].name == "Goodbye" and client.messages[-1].action_id == "s1-003"
    assert_same_calls(calls(captured), calls(client.messages))
    complete = next(m for m in client.messages if m.name == "AgentComplete")
    assert complete["Reason"] == "caller" and complete["TalkTime"] == "18" and complete["HoldTime"] == "2"
    connect = next(m for m in client.messages if m.name == "AgentConnect")
    assert connect["RingTime"] == "2"  # seconds in AgentConnect
    assert queue_log_shape(sim.queue_log.lines) == queue_log_shape(trace_queue_log("ami-01-handled-call.queue_log"))
    truth = sim.pbx.finished[0]
    assert (truth.outcome, truth.queue, truth.agent_name, truth.hangup_by) == (
        "handled",
        "support",
        "Agent 1001",
        "caller",
    )
    assert round(truth.talk_seconds) == 18 and round(truth.wait_seconds) == 2


async def test_abandoned_while_ringing_matches_ami_02(sim: PbxSimulator, client: RawAmiClient) -> None:
    # ami-02 came right after ami-01 in the lab run: rrmemory then rings Agent 1002
    await run_one_call(sim, client, "ami-01-handled-call.actions.txt", finished_before=0)
    second = await RawAmiClient().connect(sim.ami_port)
    sim.queue_log.lines.clear()
    try:
        await run_one_call(sim, second, "ami-02-abandoned-call.actions.txt", finished_before=1)
    finally:
        await second.close()
    assert_same_calls(calls(load_trace("ami-02-abandoned-call.txt")), calls(second.messages))
    abandon = next(m for m in second.messages if m.name == "QueueCallerAbandon")
    assert (abandon["Position"], abandon["OriginalPosition"], abandon["HoldTime"]) == ("1", "1", "10")
    assert queue_log_shape(sim.queue_log.lines) == queue_log_shape(trace_queue_log("ami-02-abandoned-call.queue_log"))
    canceled = next(line for line in sim.queue_log.lines if "RINGCANCELED" in line)
    assert 9_500 <= int(canceled.rsplit("|", 1)[1]) <= 10_500  # milliseconds of ringing
    truth = sim.pbx.finished[1]
    assert (truth.outcome, truth.queue, truth.hangup_by, truth.ring_attempts) == ("abandoned", "support", "caller", 1)


async def test_ivr_only_calls_match_ami_11(sim: PbxSimulator, client: RawAmiClient) -> None:
    await run_one_call(sim, client, "ami-11-ivr-only-and-timeouts.actions.txt", finished_before=0)
    captured = calls(load_trace("ami-11-ivr-only-and-timeouts.txt"))
    simulated = calls(client.messages)
    assert_same_calls(captured, simulated)
    for real, ours in zip(captured, simulated, strict=True):
        commands = [e.get("Command") for e in ours.events if e.name == "AGIExecStart"]
        assert commands == [e.get("Command") for e in real.events if e.name == "AGIExecStart"]
    assert not any(m.name.startswith(("Queue", "Agent")) for m in client.messages if m.kind == "event")
    assert sim.queue_log.lines == []  # like the capture's empty queue_log
    assert [(t.caller_name, t.outcome, t.hangup_by) for t in sim.pbx.finished] == [
        ("Maya", "ivr_only", "system"),
        ("Nikolai", "ivr_only", "system"),
        ("Olga", "ivr_only", "caller"),
    ]


async def test_ringall_burst_matches_ami_09() -> None:
    sim = PbxSimulator(clock=VirtualClock(start=1795439491.0))
    await sim.start()
    client = await RawAmiClient().connect(sim.ami_port)
    try:
        blocks = action_blocks("ami-09-burst-sales-ringall.actions.txt")
        originates = 0
        for block in blocks[:-1]:
            if b"Action: Originate" in block:
                if originates:
                    await sim.pbx.clock.sleep(0.5)  # the lab sent them 0.5 s apart
                originates += 1
            await client.send_raw(block)
        await eventually(lambda: len(sim.pbx.finished) == 10, within=60)
        await client.send_raw(blocks[-1])
        await asyncio.wait_for(client.closed.wait(), 5)
    finally:
        await client.close()
        await sim.stop()
    trace = load_trace("ami-09-burst-sales-ringall.txt")
    assert_same_calls(calls(trace), calls(client.messages), position_slack=0)
    shape = queue_log_shape(trace_queue_log("ami-09-burst-sales-ringall.queue_log"))
    assert sorted(line[:4] for line in queue_log_shape(sim.queue_log.lines)) == sorted(line[:4] for line in shape)
    by_caller = {t.caller_name: t for t in sim.pbx.finished}
    assert sorted(n for n, t in by_caller.items() if t.outcome == "abandoned") == ["Elif", "Gustavo", "Igor"]
    assert by_caller["Bruno"].hangup_by == "caller"
    assert sum(1 for t in by_caller.values() if t.hangup_by == "agent") == 6

    # QueueMemberStatus comes once per queue: Agent 1003 is in support and sales
    def member_status(messages: list, queue: str) -> int:
        return sum(
            1
            for m in messages
            if m.name == "QueueMemberStatus" and m["MemberName"] == "Agent 1003" and m["Queue"] == queue
        )

    assert member_status(client.messages, "support") == member_status(client.messages, "sales") > 0
