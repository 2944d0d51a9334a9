"""Call flows the public captures do not contain, written as the AMI events Asterisk 22 sends for them."""

from __future__ import annotations

from callcenter.calls import AgentState, CallTracker, HangupBy, Outcome, TransferKind
from callcenter.calls.events import AgentNoAnswer, AgentStateChanged, CallConnected, CallTransferred
from callcenter.telephony.ami.codec import AmiMessage

CALLER = "PJSIP/trunk-00000001"
LINKEDID = "1700000000.1"


def ev(name: str, **headers: str) -> AmiMessage:
    return AmiMessage.from_headers([("Event", name), *((k.replace("_", "-"), v) for k, v in headers.items())])


def chan(channel: str, uniqueid: str, **extra: str) -> dict[str, str]:
    return {"Channel": channel, "Uniqueid": uniqueid, "Linkedid": LINKEDID, **extra}


def caller(**extra: str) -> dict[str, str]:
    return chan(CALLER, LINKEDID, CallerIDNum="+15550001111", CallerIDName="Zed", **extra)


def agent_leg(n: int) -> str:
    return f"Local/agent100{n}@agents-0000000{n};1"


def dest(n: int, **extra: str) -> dict[str, str]:
    return {
        "DestChannel": agent_leg(n),
        "DestLinkedid": LINKEDID,
        "Interface": f"Local/agent100{n}@agents/n",
        "MemberName": f"Agent 100{n}",
        **extra,
    }


def start(tracker: CallTracker, queue: str = "support", at: float = 1000.0) -> None:
    tracker.feed(ev("Newchannel", **caller()), at)
    tracker.feed(ev("QueueCallerJoin", **caller(Queue=queue, Position="1", Count="1")), at + 1)


def ring(tracker: CallTracker, n: int, at: float) -> None:
    tracker.feed(ev("Newchannel", **chan(agent_leg(n), f"{at}.{n}")), at)
    tracker.feed(ev("Newchannel", **chan(agent_leg(n)[:-1] + "2", f"{at}.{n}2")), at)
    tracker.feed(ev("AgentCalled", **caller(Queue="support", **dest(n))), at)


def connect(tracker: CallTracker, n: int, at: float, hold: int) -> None:
    tracker.feed(ev("DialEnd", **caller(DialStatus="ANSWER", **dest(n))), at)
    tracker.feed(ev("QueueCallerLeave", **caller(Queue="support", Position="1", Count="0")), at)
    tracker.feed(ev("AgentConnect", **caller(Queue="support", HoldTime=str(hold), RingTime="2", **dest(n))), at)


def hangup_all(tracker: CallTracker, at: float, *channels: str) -> None:
    for channel in channels:
        tracker.feed(ev("Hangup", **chan(channel, "x", Cause="16", Cause_txt="Normal Clearing")), at)


def test_ring_no_answer_moves_on_to_the_next_agent() -> None:
    tracker = CallTracker("pbx")
    start(tracker)
    ring(tracker, 1, 1002)
    out = tracker.feed(ev("AgentRingNoAnswer", **caller(Queue="support", RingTime="15000", **dest(1))), 1017)
    # DialEnd repeats for the same attempt; the second one changes nothing.
    tracker.feed(ev("DialEnd", **caller(DialStatus="NOANSWER", **dest(1))), 1017)
    again = tracker.feed(ev("DialEnd", **caller(DialStatus="NOANSWER", **dest(1))), 1017)
    hangup_all(tracker, 1017, agent_leg(1), agent_leg(1)[:-1] + "2")
    ring(tracker, 2, 1019)
    connect(tracker, 2, 1021, hold=20)
    no_answer = [e for e in out if isinstance(e, AgentNoAnswer)]
    assert [(e.agent_interface, e.ring_seconds) for e in no_answer] == [("Local/agent1001@agents/n", 15.0)]
    assert again == []
    assert tracker.agents.agents["Local/agent1001@agents/n"].state is AgentState.READY
    tracker.feed(ev("SoftHangupRequest", **chan(agent_leg(2)[:-1] + "2", "y", Cause="16")), 1040)
    tracker.feed(
        ev("AgentComplete", **caller(Queue="support", HoldTime="20", TalkTime="19", Reason="agent", **dest(2))), 1040
    )
    hangup_all(tracker, 1040, agent_leg(2), agent_leg(2)[:-1] + "2", CALLER)
    (call,) = tracker.pop_finished()
    assert (call.outcome, call.agent_name, call.ring_attempts, call.hangup_by) == (
        Outcome.HANDLED,
        "Agent 1002",
        2,
        HangupBy.AGENT,
    )
    assert (call.wait_seconds, call.talk_seconds) == (20, 19)
    assert call.caller_number == "+15550001111"


def test_blind_transfer_back_into_a_queue() -> None:
    tracker = CallTracker("pbx")
    start(tracker)
    ring(tracker, 1, 1002)
    connect(tracker, 1, 1004, hold=3)
    out = tracker.feed(
        ev(
            "BlindTransfer",
            Result="Success",
            TransfererChannel=agent_leg(1),
            TransfererLinkedid=LINKEDID,
            TransfereeChannel=CALLER,
            TransfereeLinkedid=LINKEDID,
            IsExternal="No",
            Context="transfers",
            Extension="700",
        ),
        1030,
    )
    tracker.feed(
        ev("AgentComplete", **caller(Queue="support", HoldTime="3", TalkTime="26", Reason="transfer", **dest(1))), 1030
    )
    hangup_all(tracker, 1030, agent_leg(1), agent_leg(1)[:-1] + "2")
    tracker.feed(ev("QueueCallerJoin", **caller(Queue="sales", Position="1", Count="1")), 1031)
    assert not tracker.pop_finished()
    ring(tracker, 2, 1031)
    connect(tracker, 2, 1035, hold=4)
    tracker.feed(ev("HangupRequest", **caller(Cause="16")), 1050)
    tracker.feed(
        ev("AgentComplete", **caller(Queue="sales", HoldTime="4", TalkTime="15", Reason="caller", **dest(2))), 1050
    )
    hangup_all(tracker, 1050, CALLER, agent_leg(2), agent_leg(2)[:-1] + "2")
    (call,) = tracker.pop_finished()
    transfers = [e for e in out if isinstance(e, CallTransferred)]
    assert [(t.kind, t.target) for t in transfers] == [(TransferKind.BLIND, "700@transfers")]
    assert (call.outcome, call.queue, call.agent_name, call.hangup_by) == (
        Outcome.TRANSFERRED,
        "sales",
        "Agent 1002",
        HangupBy.CALLER,
    )
    assert (call.wait_seconds, call.talk_seconds) == (4, 15)
    assert [e.agent_name for e in call.timeline if isinstance(e, CallConnected)] == ["Agent 1001", "Agent 1002"]


def test_redirected_call_is_transferred_and_frees_the_agent_before_agentcomplete() -> None:
    tracker = CallTracker("pbx", wrapup_seconds={"support": 5})
    start(tracker)
    ring(tracker, 1, 1002)
    connect(tracker, 1, 1004, hold=3)
    out = tracker.feed(ev("Newexten", **caller(Context="voicemail", Exten="500", Application="VoiceMail")), 1020)
    hangup_all(tracker, 1020, agent_leg(1), agent_leg(1)[:-1] + "2")
    states = [e.state for e in tracker.tick(1026) if isinstance(e, AgentStateChanged)]
    assert states == [AgentState.READY], "wrap-up of 5 s after the agent leg went away"
    assert not tracker.pop_finished()
    tracker.feed(ev("HangupRequest", **caller(Cause="16")), 1060)
    tracker.feed(
        ev("AgentComplete", **caller(Queue="support", HoldTime="3", TalkTime="56", Reason="caller", **dest(1))), 1060
    )
    hangup_all(tracker, 1060, CALLER)
    (call,) = tracker.pop_finished()
    assert [(e.kind, e.target) for e in out if isinstance(e, CallTransferred)] == [
        (TransferKind.REDIRECT, "500@voicemail")
    ]
    assert (call.outcome, call.transferred_to, call.talk_seconds) == (Outcome.TRANSFERRED, "500@voicemail", 56)
    assert call.hangup_by is HangupBy.CALLER


def test_queue_timeout_and_event_timestamps() -> None:
    tracker = CallTracker("pbx")
    tracker.feed(ev("Newchannel", Timestamp="2000.250000", **caller()), 5.0)
    tracker.feed(ev("QueueCallerJoin", Timestamp="2001.0", **caller(Queue="support", Position="1")), 6.0)
    tracker.feed(ev("QueueCallerLeave", Timestamp="2061.0", **caller(Queue="support", Position="1")), 7.0)
    tracker.feed(ev("Newexten", Timestamp="2061.1", **caller(Context="ivr-in", Exten="s", Application="Playback")), 8.0)
    tracker.feed(ev("SoftHangupRequest", Timestamp="2065.0", **caller(Cause="32")), 9.0)
    tracker.feed(ev("Hangup", Timestamp="2065.0", **caller(Cause="16")), 9.0)
    (call,) = tracker.pop_finished()
    assert (call.outcome, call.hangup_by) == (Outcome.TIMEOUT, HangupBy.SYSTEM)
    assert call.started_at.timestamp() == 2000.25 and call.ended_at.timestamp() == 2065.0


def test_member_of_two_queues_reports_each_change_once() -> None:
    tracker = CallTracker("pbx")
    states: list[tuple[str, str | None]] = []

    def status(queue: str, status: str, paused: str = "0", reason: str = "") -> None:
        member = ev(
            "QueueMemberStatus",
            Queue=queue,
            MemberName="Agent 1003",
            Interface="Local/agent1003@agents/n",
            Status=status,
            Paused=paused,
            PausedReason=reason,
        )
        for event in tracker.feed(member, 1.0):
            assert isinstance(event, AgentStateChanged)
            states.append((event.state.value, event.reason))

    for queue in ("support", "sales"):
        status(queue, "1")
    for queue in ("support", "sales"):
        status(queue, "5")  # AST_DEVICE_UNAVAILABLE: the phone is gone
    for queue in ("support", "sales"):
        status(queue, "1")
    status("support", "1", paused="1", reason="lunch")  # still takes sales calls
    status("sales", "1", paused="1", reason="lunch")
    assert states == [("ready", None), ("unreachable", None), ("ready", None), ("paused", "lunch")]
    assert set(tracker.agents.agents["Local/agent1003@agents/n"].queues) == {"support", "sales"}


def test_ivr_known_without_dialplan_events() -> None:
    # An AMI user with `Events: call,agent,system` gets no VarSet/Newexten/AGIExec: the IVR engine reports.
    tracker = CallTracker("pbx")
    tracker.feed(ev("Newchannel", **caller(ChannelState="4")), 10.0)
    tracker.feed(ev("Newstate", **caller(ChannelState="6")), 10.5)
    entered = tracker.ivr_update(CALLER, 11.0, flow="main-menu")
    left = tracker.ivr_update(CALLER, 19.0, path=["main-menu", "account"], inputs={"account": "1204"}, finished=True)
    tracker.feed(ev("SoftHangupRequest", **caller(Cause="32")), 20.0)
    tracker.feed(ev("Hangup", **caller(Cause="16")), 20.0)
    (call,) = tracker.pop_finished()
    assert [e.type for e in entered + left] == ["call.ivr_entered", "call.ivr_left"]
    assert (call.outcome, call.hangup_by, call.ivr_flow) == (Outcome.IVR_ONLY, HangupBy.SYSTEM, "main-menu")
    assert (call.ivr_path, call.ivr_inputs) == (["main-menu", "account"], {"account": "1204"})


def test_answered_by_the_pbx_without_ivr_report_is_ivr_only_and_never_answered_is_failed() -> None:
    tracker = CallTracker("pbx")
    tracker.feed(ev("Newchannel", **caller(ChannelState="4")), 10.0)
    tracker.feed(ev("Newstate", **caller(ChannelState="6")), 10.5)
    tracker.feed(ev("HangupRequest", **caller(Cause="16")), 15.0)
    tracker.feed(ev("Hangup", **caller(Cause="16")), 15.0)
    tracker.feed(ev("Newchannel", **chan("PJSIP/trunk-00000002", "1700000001.5", Linkedid="1700000001.5")), 16.0)
    tracker.feed(
        ev("Hangup", **chan("PJSIP/trunk-00000002", "1700000001.5", Linkedid="1700000001.5", Cause="17")), 17.0
    )
    answered, unanswered = tracker.pop_finished()
    assert (answered.outcome, answered.hangup_by) == (Outcome.IVR_ONLY, HangupBy.CALLER)
    assert unanswered.outcome is Outcome.FAILED


def test_damaged_events_never_raise() -> None:
    # Events with headers missing or garbled (a buggy proxy, a cut frame) are skipped or read as far
    # as they go; the tracker keeps working for the events after them.
    import random
    from pathlib import Path

    from callcenter.telephony.ami.codec import AmiDecoder

    traces = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"
    for seed, name in enumerate(["ami-01-handled-call.txt", "ami-05-queue-management.txt"] * 4):
        rng = random.Random(seed)
        tracker = CallTracker("pbx")
        for msg in AmiDecoder().feed((traces / name).read_bytes()):
            headers = [h for h in msg.headers if h[0] == "Event" or rng.random() > 0.2]
            headers = [
                (
                    k,
                    v
                    if rng.random() > 0.1
                    else rng.choice(["", "x", "-1", "<unknown>", "1e309", "nan", "99999999999999"]),
                )
                for k, v in headers
            ]
            tracker.feed(AmiMessage.from_headers(headers), rng.uniform(0, 100))
        tracker.pop_finished()


def phone(channel: str, uniqueid: str, linkedid: str, **extra: str) -> dict[str, str]:
    return {"Channel": channel, "Uniqueid": uniqueid, "Linkedid": linkedid, **extra}


def known_member(tracker: CallTracker, interface: str, name: str) -> None:
    tracker.feed(
        ev("QueueMemberStatus", Queue="support", Interface=interface, MemberName=name, Status="1", Paused="0"), 1.0
    )


def test_call_placed_by_an_agent_is_outbound_to_the_number_dialed() -> None:
    tracker = CallTracker("pbx")
    known_member(tracker, "PJSIP/1001", "Agent 1001")
    agent, trunk, lid = "PJSIP/1001-0000000a", "PJSIP/trunk-0000000b", "1700000100.10"
    tracker.feed(ev("Newchannel", **phone(agent, lid, lid, CallerIDNum="1001")), 100.0)
    tracker.feed(ev("Newchannel", **phone(trunk, "1700000100.11", lid)), 101.0)
    tracker.feed(ev("DialBegin", **phone(agent, lid, lid, DestChannel=trunk, DialString="+15559870000@trunk")), 101.0)
    out = tracker.feed(ev("DialEnd", **phone(agent, lid, lid, DestChannel=trunk, DialStatus="ANSWER")), 108.0)
    assert [e.state for e in out if isinstance(e, AgentStateChanged)] == [AgentState.ON_CALL]
    tracker.feed(ev("HangupRequest", **phone(trunk, "1700000100.11", lid, Cause="16")), 150.0)
    for channel, uniqueid in ((trunk, "1700000100.11"), (agent, lid)):
        tracker.feed(ev("Hangup", **phone(channel, uniqueid, lid, Cause="16")), 150.0)
    (call,) = tracker.pop_finished()
    assert (call.direction, call.dialed_number, call.agent_interface, call.agent_name) == (
        "outbound",
        "+15559870000",
        "PJSIP/1001",
        "Agent 1001",
    )
    assert (call.outcome, call.hangup_by, call.talk_seconds) == (Outcome.HANDLED, HangupBy.CALLER, 42)
    assert tracker.agents.agents["PJSIP/1001"].state is AgentState.READY


def test_call_between_two_agents_is_internal() -> None:
    tracker = CallTracker("pbx")
    known_member(tracker, "PJSIP/1001", "Agent 1001")
    known_member(tracker, "PJSIP/1002", "Agent 1002")
    agent, other, lid = "PJSIP/1001-0000000c", "PJSIP/1002-0000000d", "1700000200.12"
    tracker.feed(ev("Newchannel", **phone(agent, lid, lid)), 200.0)
    tracker.feed(ev("DialBegin", **phone(agent, lid, lid, DestChannel=other, DialString="1002")), 200.0)
    tracker.feed(ev("DialEnd", **phone(agent, lid, lid, DestChannel=other, DialStatus="NOANSWER")), 220.0)
    tracker.feed(ev("Hangup", **phone(agent, lid, lid, Cause="19")), 220.0)
    (call,) = tracker.pop_finished()
    assert (call.direction, call.outcome) == ("internal", Outcome.FAILED)
