"""The tracker, fed live over TCP by the simulated Asterisk, agrees with the simulator's own ground truth.

Ring-no-answer moving on, a blind transfer into another queue and a redirect of a connected caller:
the flows the public captures lack, as the simulator plays them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from callcenter.calls import CallSummary, CallTracker, Outcome
from callcenter.calls.events import AgentNoAnswer, CallTransferred, TrackerEvent, TransferKind
from callcenter.pbxsim.clock import accelerated
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.pbxsim.truth import CallTruth
from callcenter.telephony.ami.client import AmiClient
from callcenter.telephony.ami.codec import AmiMessage


@dataclass
class Live:
    sim: PbxSimulator
    client: AmiClient
    tracker: CallTracker
    events: list[TrackerEvent]
    finished: list[CallSummary]

    def truth(self, name: str) -> CallTruth:
        return next(t for t in self.sim.pbx.finished if t.caller_name == name)

    def summary(self, name: str) -> CallSummary:
        return next(s for s in self.finished if s.caller_name == name)

    def open_call(self, name: str):
        return next((c for c in self.tracker.calls.values() if c.caller_name == name), None)


async def eventually(predicate: Callable[[], bool], within: float = 30.0) -> None:
    for _ in range(int(within / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


@pytest.fixture
async def live() -> AsyncIterator[Live]:
    sim = PbxSimulator(clock=accelerated(40.0))
    await sim.start()
    tracker = CallTracker("sim")
    state = Live(sim, None, tracker, [], [])  # type: ignore[arg-type]

    def consume(msg: AmiMessage) -> None:
        state.events += tracker.feed(msg, sim.pbx.clock.now())
        state.finished += tracker.pop_finished()

    state.client = AmiClient(
        "sim", "127.0.0.1", sim.ami_port, username="callcenter", secret="lab-secret", consumer=consume
    )
    await state.client.start()
    await state.client.wait_connected()
    yield state
    await state.client.close()
    await sim.stop()


async def originate(live: Live, name: str, choice: str, talk: str) -> None:
    await live.client.action(
        "Originate",
        [
            ("Channel", "Local/s@customer"),
            ("Context", "ivr-in"),
            ("Exten", "s"),
            ("Priority", "1"),
            ("CallerID", f"{name} <+1555222{len(live.sim.pbx.finished) + len(live.sim.pbx.calls):04d}>"),
            ("Async", "true"),
            ("Variable", f"CHOICE={choice}"),
            ("Variable", "ACCOUNT=1234"),
            ("Variable", "HOLD=600"),
            ("Variable", f"__TALK={talk}"),
        ],
    )


def assert_matches_truth(summary: CallSummary, truth: CallTruth) -> None:
    assert summary.linkedid == truth.linkedid
    assert summary.outcome.value == truth.outcome
    assert (summary.queue, summary.agent_interface, summary.agent_name) == (
        truth.queue,
        truth.agent_interface,
        truth.agent_name,
    )
    assert summary.ring_attempts == truth.ring_attempts
    assert abs((summary.wait_seconds or 0) - truth.wait_seconds) <= 1
    assert abs((summary.talk_seconds or 0) - truth.talk_seconds) <= 1


async def test_ring_no_answer_moves_on(live: Live) -> None:
    for exten in ("agent1001", "agent1002"):
        await live.client.action("Setvar", [("Variable", f"NOANSWER_{exten}"), ("Value", "1")])
    await originate(live, "Nora", "1", "8")
    await eventually(lambda: any(s.caller_name == "Nora" for s in live.finished))
    summary, truth = live.summary("Nora"), live.truth("Nora")
    assert_matches_truth(summary, truth)
    assert summary.outcome is Outcome.HANDLED and summary.agent_name == "Agent 1003"
    no_answers = [e for e in summary.timeline if isinstance(e, AgentNoAnswer)]
    assert len(no_answers) == truth.ring_attempts - 1 >= 1
    assert all(e.ring_seconds == pytest.approx(15, abs=1) for e in no_answers)


async def test_blind_transfer_into_another_queue(live: Live) -> None:
    await originate(live, "Tina", "1", "300")
    await eventually(lambda: (c := live.open_call("Tina")) is not None and c.connected)
    agent_leg = live.open_call("Tina").agent_channel
    await live.client.action("BlindTransfer", [("Channel", agent_leg), ("Context", "transfer"), ("Exten", "2000")])
    await eventually(lambda: (c := live.open_call("Tina")) is not None and c.connected and c.queue == "sales")
    await live.client.action("Hangup", [("Channel", live.open_call("Tina").caller_channel)])
    await eventually(lambda: any(s.caller_name == "Tina" for s in live.finished))
    summary, truth = live.summary("Tina"), live.truth("Tina")
    assert_matches_truth(summary, truth)
    transfers = [e for e in summary.timeline if isinstance(e, CallTransferred)]
    assert [(t.kind, t.target) for t in transfers] == [(TransferKind.BLIND, "2000@transfer")]


async def test_redirect_of_a_connected_caller(live: Live) -> None:
    await originate(live, "Rita", "2", "300")
    await eventually(lambda: (c := live.open_call("Rita")) is not None and c.connected)
    caller = live.open_call("Rita").caller_channel
    await live.client.action("Redirect", [("Channel", caller), ("Context", "transfer"), ("Exten", "9999")])
    await eventually(lambda: any(s.caller_name == "Rita" for s in live.finished))
    summary, truth = live.summary("Rita"), live.truth("Rita")
    assert_matches_truth(summary, truth)
    assert summary.transferred_to == "9999@transfer" and summary.outcome is Outcome.TRANSFERRED
