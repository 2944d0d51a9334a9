"""Ring-no-answer, wrap-up, Redirect, BlindTransfer, Hangup, and the list actions' formats (ami-05)."""

from __future__ import annotations

from callcenter.pbxsim.simulator import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.conftest import eventually
from tests.pbxsim.views import calls, load_trace


async def login(client: RawAmiClient) -> None:
    await client.action("Login", {"Username": "callcenter", "Secret": "lab-secret"}, action_id="login")


async def originate(client: RawAmiClient, name: str, number: str, *variables: str) -> None:
    fields = [("Channel", "Local/s@customer"), ("Context", "ivr-in"), ("Exten", "s"), ("Priority", "1")]
    fields += [("CallerID", f"{name} <{number}>"), ("Async", "true")] + [("Variable", v) for v in variables]
    await client.action("Originate", fields, action_id=f"o-{name}")


async def test_ring_no_answer_moves_to_the_next_member(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    await client.action("Setvar", {"Variable": "NOANSWER_agent1001", "Value": "1"}, action_id="g")
    await originate(client, "Quinn", "+15551230010", "CHOICE=1", "ACCOUNT=1111", "HOLD=40")
    connect = await client.wait_for(lambda m: m.name == "AgentConnect", within=20)
    rna = next(m for m in client.messages if m.name == "AgentRingNoAnswer")
    assert rna["MemberName"] == "Agent 1001" and rna["Queue"] == "support"
    assert 14_500 <= int(rna["RingTime"]) <= 15_500  # milliseconds here, seconds in AgentConnect
    assert connect["MemberName"] == "Agent 1002" and connect["RingTime"] == "2"
    ends = [m["DialStatus"] for m in client.messages if m.name == "DialEnd" and m.get("Channel")]
    assert ends[:2] == ["NOANSWER", "ANSWER"]
    assert any(line.endswith("|Agent 1001|RINGNOANSWER|" + rna["RingTime"]) for line in sim.queue_log.lines)
    await eventually(lambda: len(sim.pbx.finished) == 1, within=30)
    await client.action("Ping", action_id="sync")  # every event of the call has arrived before the reply
    assert sim.pbx.finished[0].ring_attempts == 2


async def test_wrapup_keeps_an_agent_from_the_next_call(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    for name in ("1001", "1002"):
        await client.action(
            "QueuePause", {"Interface": f"Local/agent{name}@agents/n", "Paused": "true"}, action_id=name
        )
    await originate(client, "Rita", "+15551230011", "CHOICE=1", "ACCOUNT=2222", "HOLD=9")
    await eventually(lambda: len(sim.pbx.finished) == 1, within=30)
    await client.action("Ping", action_id="sync")  # every event of the call has arrived before the reply
    ended = sim.pbx.clock.now()
    await originate(client, "Sam", "+15551230012", "CHOICE=1", "ACCOUNT=3333", "HOLD=30")
    called = await client.wait_for(lambda m: m.name == "AgentCalled" and m["CallerIDName"] == "Sam", within=20)
    # Agent 1003 took Rita's call; support's wrapuptime is 5 s, and Sam's IVR alone takes about 5 s
    assert called["MemberName"] == "Agent 1003"
    assert sim.pbx.clock.now() - ended >= 5.0


async def test_redirect_of_a_connected_call_completes_the_agent_when_the_caller_hangs_up(
    sim: PbxSimulator, client: RawAmiClient
) -> None:
    await login(client)
    await originate(client, "Tara", "+15551230013", "CHOICE=1", "ACCOUNT=4444", "HOLD=20", "__TALK=300")
    connect = await client.wait_for(lambda m: m.name == "AgentConnect", within=20)
    reply = await client.action(
        "Redirect", {"Channel": connect["Channel"], "Context": "transfer", "Exten": "2000", "Priority": "1"}, "rd"
    )
    assert reply["Message"] == "Redirect successful"
    join = await client.wait_for(lambda m: m.name == "QueueCallerJoin" and m["Queue"] == "sales", within=10)
    assert join["Linkedid"] == connect["Linkedid"]
    await eventually(lambda: len(sim.pbx.finished) == 1, within=30)
    await client.action("Ping", action_id="sync")  # every event of the call has arrived before the reply
    events = [m for m in client.messages if m.kind == "event"]
    support = next(i for i, m in enumerate(events) if m.name == "AgentComplete" and m["Queue"] == "support")
    assert (events[support]["MemberName"], events[support]["Reason"]) == ("Agent 1001", "caller")
    assert support > events.index(join)  # not at the Redirect: only once the caller hangs up
    assert events[support]["TalkTime"] != "0"
    truth = sim.pbx.finished[0]
    assert (truth.outcome, truth.transferred_to) == ("transferred", "2000")
    assert len({m["Linkedid"] for m in client.messages if m.get("Linkedid")}) == 1


async def test_blind_transfer_by_the_agent_requeues_the_caller(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    await originate(client, "Uma", "+15551230014", "CHOICE=1", "ACCOUNT=5555", "HOLD=40", "__TALK=300")
    connect = await client.wait_for(lambda m: m.name == "AgentConnect", within=20)
    reply = await client.action(
        "BlindTransfer", {"Channel": connect["DestChannel"], "Context": "transfer", "Exten": "2000"}, "bt"
    )
    assert reply["Message"] == "Transfer succeeded"
    transfer = await client.wait_for(lambda m: m.name == "BlindTransfer")
    assert transfer["TransfererChannel"] == connect["DestChannel"]
    assert transfer["TransfereeChannel"] == connect["Channel"] and transfer["Extension"] == "2000"
    complete = await client.wait_for(lambda m: m.name == "AgentComplete")
    assert complete["Reason"] == "transfer" and complete["Queue"] == "support"
    second = await client.wait_for(lambda m: m.name == "AgentConnect" and m["Queue"] == "sales", within=20)
    assert second["Linkedid"] == connect["Linkedid"]  # the new agent leg joins the same call
    assert any("|support|Agent 1001|BLINDTRANSFER|2000|transfer|" in line for line in sim.queue_log.lines)
    await eventually(lambda: len(sim.pbx.finished) == 1, within=40)
    await client.action("Ping", action_id="sync")  # every event of the call has arrived before the reply
    assert sim.pbx.finished[0].outcome == "transferred"


async def test_ami_hangup_of_the_caller_ends_a_connected_call(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    await originate(client, "Vic", "+15551230015", "CHOICE=2", "ACCOUNT=6666", "HOLD=60", "__TALK=300")
    connect = await client.wait_for(lambda m: m.name == "AgentConnect", within=20)
    reply = await client.action("Hangup", {"Channel": connect["Channel"]}, "h")
    assert reply["Message"] == "Channel Hungup"
    complete = await client.wait_for(lambda m: m.name == "AgentComplete")
    assert complete["Reason"] == "caller"
    await eventually(lambda: len(sim.pbx.finished) == 1)
    await client.action("Ping", action_id="sync")  # every event of the call has arrived before the reply
    assert sim.pbx.finished[0].hangup_by == "system"
    missing = await client.action("Hangup", {"Channel": connect["Channel"]}, "h2")
    assert (missing.name, missing["Message"]) == ("Error", "No such channel")


def field_names(messages: list, event: str) -> list[str]:
    """Header names of the first `event` (without the ActionID, whose place is checked apart)."""
    first = next(m for m in messages if m.name == event)
    return [name for name, _ in first.headers if name != "ActionID"]


def action_id_position(messages: list, event: str) -> int:
    first = next(m for m in messages if m.name == event)
    return [name for name, _ in first.headers].index("ActionID")


async def test_list_actions_have_the_fields_and_order_of_ami_05(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    for name in ("1001", "1002", "1003"):
        await client.action(
            "QueuePause", {"Interface": f"Local/agent{name}@agents/n", "Paused": "true"}, action_id=name
        )
    await originate(client, "Carol", "+15551230003", "CHOICE=1", "ACCOUNT=1234", "HOLD=120")
    await client.wait_for(lambda m: m.name == "QueueCallerJoin", within=20)
    await client.action("QueueStatus", action_id="qs")
    await client.wait_for(lambda m: m.name == "QueueStatusComplete")
    await client.action("QueueSummary", action_id="sum")
    await client.wait_for(lambda m: m.name == "QueueSummaryComplete")
    await client.action("CoreShowChannels", action_id="cs")
    done = await client.wait_for(lambda m: m.name == "CoreShowChannelsComplete")
    assert done["ListItems"] == "2"
    trace = load_trace("ami-05-queue-management.txt")
    for event in ("QueueParams", "QueueMember", "QueueEntry", "QueueStatusComplete", "QueueSummary",
                  "QueueSummaryComplete", "CoreShowChannel", "CoreShowChannelsComplete"):  # fmt: skip
        assert field_names(client.messages, event) == field_names(trace, event), event
        assert action_id_position(client.messages, event) == action_id_position(trace, event), event
    assert [m.name for m in calls(client.messages)[0].events if m.name.startswith("QueueMember")] == []


async def test_caller_leaves_after_the_queue_timeout(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    for name in ("1001", "1002", "1003"):
        await client.action(
            "QueuePause", {"Interface": f"Local/agent{name}@agents/n", "Paused": "true"}, action_id=name
        )
    await originate(client, "Wes", "+15551230016", "CHOICE=1", "ACCOUNT=7777", "HOLD=900")
    leave = await client.wait_for(lambda m: m.name == "QueueCallerLeave", within=20)
    join = next(m for m in client.messages if m.name == "QueueCallerJoin")
    assert leave["Queue"] == "support" and leave["Count"] == "0"
    assert not any(m.name == "QueueCallerAbandon" for m in client.messages)  # a timeout is not an abandon
    await eventually(lambda: len(sim.pbx.finished) == 1)
    await client.action("Ping", action_id="sync")  # every event of the call has arrived before the reply
    line = next(line for line in sim.queue_log.lines if "EXITWITHTIMEOUT" in line)
    assert line.split("|")[1] == join["Uniqueid"] and line.endswith("|EXITWITHTIMEOUT|1|1|300")
    truth = sim.pbx.finished[0]
    assert (truth.outcome, truth.hangup_by, round(truth.wait_seconds)) == ("timeout", "system", 300)


async def test_status_lists_live_channels(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    await originate(client, "Xia", "+15551230017", "CHOICE=2", "ACCOUNT=8888", "HOLD=60", "__TALK=100")
    connect = await client.wait_for(lambda m: m.name == "AgentConnect", within=20)
    await client.action("Status", action_id="st")
    complete = await client.wait_for(lambda m: m.name == "StatusComplete")
    items = [m for m in client.messages if m.name == "Status" and m.action_id == "st"]
    assert complete["ListItems"] == str(len(items)) == "4"  # caller and agent, two halves each
    assert {m["Linkedid"] for m in items} == {connect["Linkedid"]}
    bridged = [m for m in items if m["BridgeID"]]
    assert {m["Channel"] for m in bridged} == {connect["Channel"], connect["DestChannel"]}


async def test_hanging_up_a_ringing_agent_ends_only_that_attempt(sim: PbxSimulator, client: RawAmiClient) -> None:
    await login(client)
    await originate(client, "Yan", "+15551230018", "CHOICE=1", "ACCOUNT=9999", "HOLD=120", "__RINGSECS=10")
    called = await client.wait_for(lambda m: m.name == "AgentCalled", within=20)
    await client.action("CoreShowChannels", action_id="cs")
    done = await client.wait_for(lambda m: m.name == "CoreShowChannelsComplete")
    assert done["ListItems"] == "4"  # the ringing agent's Local pair is listed too
    reply = await client.action("Hangup", {"Channel": called["DestChannel"]}, "h")
    assert reply["Message"] == "Channel Hungup"
    second = await client.wait_for(lambda m: m.name == "AgentCalled" and m["MemberName"] != called["MemberName"])
    assert second["Linkedid"] == called["Linkedid"]
    assert not any(m.name == "QueueCallerAbandon" for m in client.messages)
