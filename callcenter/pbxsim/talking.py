"""A connected queue call: talk, then the caller or the agent hangs up, or the call is moved on.

Orders of events follow the traces: caller hangup (ami-01), agent hangup (ami-09), restart (ami-08).
A Redirect of the caller out of the bridge defers AgentComplete until the caller finally hangs up; a
BlindTransfer completes the agent with `Reason: transfer` and sends the caller to the target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callcenter.pbxsim.call import CallEnded
from callcenter.pbxsim.channels import Channel

if TYPE_CHECKING:
    from callcenter.pbxsim.call import Call
    from callcenter.pbxsim.queueing import QueueStay
    from callcenter.pbxsim.queues import QueueMember
    from callcenter.pbxsim.ringing import RingLeg

DEFAULT_TALK = 600.0


async def talk(call: Call, stay: QueueStay, leg: RingLeg) -> str | None:
    """Hold the conversation until someone ends it; returns the next queue after a transfer."""
    call.phase = "talk"
    connected = call.clock.now()
    spec = call.spec
    agent_talk = spec.talk if spec.talk is not None else _talk_variable(call)
    if spec.caller_talk is not None:
        call.set_caller_deadline(
            _earliest(call.hangup_at if spec.patience is None else None, connected + spec.caller_talk)
        )
    elif spec.patience is not None:
        call.set_caller_deadline(None if spec.hold is None else call.hangup_at)
    agent_done = connected + agent_talk
    once = spec.transfer_after is not None and call.truth.transferred_to is None
    transfer_at = connected + (spec.transfer_after or 0.0) if once else float("inf")
    ev, a2 = call.ev, leg.pair.two
    ev.newexten(a2, 6, "Wait", f"{agent_talk:g}")
    while True:
        woke = await call.wait_wake(min(agent_done, transfer_at) - call.clock.now())
        call.wake.clear()
        command = call.command
        call.command = None
        if call.line.gone.is_set():
            _caller_hangs_up(call, stay, leg, connected)
            raise CallEnded
        if command is not None:
            return _act(call, stay, leg, connected, command)
        if not woke:
            if transfer_at <= agent_done:
                return blind_transfer(call, stay, leg, connected, "transfer", spec.transfer_to, leg.pair.one)
            ev.newexten(a2, 7, "Hangup")
            ev.soft_hangup_request(a2, 16)
            ev.hangup_request(leg.pair.one, 16)
            _agent_hangs_up(call, stay, leg, connected)
            raise CallEnded


def _act(call: Call, stay: QueueStay, leg: RingLeg, connected: float, command: tuple[str, ...]) -> str | None:
    kind = command[0]
    ev, one = call.ev, call.customer.one
    if kind == "restart":
        for ch in call.channels():
            ev.soft_hangup_request(ch, 4)
        _restart_teardown(call, stay, leg, connected)
        raise CallEnded
    if kind == "hangup":
        channel = command[1]
        ev.soft_hangup_request(_channel(call, channel), 16)
        if channel in (leg.pair.one.name, leg.pair.two.name):
            ev.hangup_request(leg.pair.one, 16)
            _agent_hangs_up(call, stay, leg, connected)
        else:
            ev.hangup_request(one, 16)
            call.truth.hangup_by = "system"
            _caller_hangs_up(call, stay, leg, connected, system=True, over_ami=True)
        raise CallEnded
    if kind == "blindtransfer":
        _, context, exten, transferer = command
        return blind_transfer(call, stay, leg, connected, context, exten, _channel(call, transferer))
    _, context, exten = command
    return _redirect(call, stay, leg, connected, context, exten)


def _channel(call: Call, name: str) -> Channel:
    for ch in call.channels():
        if ch.name == name:
            return ch
    return call.customer.one


def _talk_variable(call: Call) -> float:
    for name, value in call.spec.variables:
        if name.lstrip("_") == "TALK":
            try:
                return float(value)
            except ValueError:
                break
    return DEFAULT_TALK


def _complete(
    call: Call, stay: QueueStay, member: QueueMember, dest: Channel | None, reason: str, connected: float,
    *, with_caller: bool = True,
) -> None:  # fmt: skip
    """AgentComplete and the member's counters; the agent enters wrap-up.

    Asterisk leaves out the caller's snapshot when the caller channel was hung up over AMI, and the
    agent's too when the member has meanwhile been removed from the queue (ami-05): such an
    AgentComplete carries no Linkedid at all.
    """
    pbx, one, queue = call.pbx, call.customer.one, stay.queue
    now = call.clock.now()
    hold, talk_time = round(connected - stay.joined), round(now - connected)
    call.ev.bus.emit(
        "AgentComplete",
        "agent",
        [
            *(one.snapshot() if with_caller else []),
            *(dest.snapshot("Dest") if dest is not None else []),
            ("Queue", queue.name),
            ("Interface", member.agent.interface),
            ("MemberName", member.agent.name),
            ("HoldTime", str(hold)),
            ("TalkTime", str(talk_time)),
            ("Reason", reason),
        ],
    )
    if reason == "transfer":
        exten, context = call.truth.transferred_to or "", one.context
        data: tuple[object, ...] = (exten, context, hold, talk_time, stay.original_position)
        pbx.queue_log.write(now, one.uniqueid, queue.name, member.agent.name, "BLINDTRANSFER", *data)
    else:
        event = "COMPLETECALLER" if reason == "caller" else "COMPLETEAGENT"
        pbx.queue_log.write(
            now, one.uniqueid, queue.name, member.agent.name, event, hold, talk_time, stay.original_position
        )
    member.calls_taken += 1
    member.last_call = int(now)
    member.in_call = False
    queue.completed += 1
    queue.holdtime_total += hold
    queue.talktime_total += talk_time
    if hold <= queue.config.servicelevel:
        queue.answered_within_sl += 1
    member.agent.busy = False
    member.agent.wrapup_until = now + queue.config.wrapuptime
    if call.truth.outcome != "transferred":
        call.truth.outcome = "handled"
    call.truth.talk_seconds = round(now - connected, 3)
    pbx.queueing.distribute()


def _end_caller_legs_after_bridge(call: Call, *, talk_seconds: float) -> None:
    ev, one = call.ev, call.customer.one
    dialed = call.clock.now() - call.truth.started
    ev.varset(one, "ANSWEREDTIME", str(round(talk_seconds)))
    ev.varset(one, "ANSWEREDTIME_MS", str(int(talk_seconds * 1000)))
    ev.varset(one, "DIALEDTIME", str(round(dialed)))
    ev.varset(one, "DIALEDTIME_MS", str(int(dialed * 1000)))


def _caller_hangs_up(
    call: Call, stay: QueueStay, leg: RingLeg, connected: float, *, system: bool = False, over_ami: bool = False
) -> None:
    ev, one, two, bridge = call.ev, call.customer.one, call.customer.two, call.bridge
    a1, a2 = leg.pair.one, leg.pair.two
    assert bridge is not None
    call.stop_customer()
    call.truth.hangup_by = "system" if system else "caller"
    still_member = leg.member in stay.queue.members
    dest = a1 if not over_ami or still_member else None
    _complete(call, stay, leg.member, dest, "caller", connected, with_caller=not over_ami)
    ev.hangup(two, 16)
    ev.varset(one, "BRIDGEPEER", "")
    ev.varset(a1, "BRIDGEPEER", "")
    ev.bridge_leave(bridge, one)
    _end_caller_legs_after_bridge(call, talk_seconds=call.clock.now() - connected)
    ev.soft_hangup_request(one, 16)
    ev.hangup(one, 16)
    ev.bridge_leave(bridge, a1)
    ev.device_state("Local/s@customer", "NOT_INUSE")
    ev.bridge_destroy(bridge)
    ev.hangup_request(a2, 16)
    ev.hangup(a1, 16)
    ev.soft_hangup_request(a2, 16)
    ev.hangup(a2, 16)
    ev.device_state(leg.member.agent.device, "NOT_INUSE")
    call.pbx.member_status(leg.member.agent)


def _restart_teardown(call: Call, stay: QueueStay, leg: RingLeg, connected: float) -> None:
    """Order of ami-08: the agent's dialplan half goes first, then the caller, then the agent's bridge leg."""
    ev, one, two, bridge = call.ev, call.customer.one, call.customer.two, call.bridge
    a1, a2 = leg.pair.one, leg.pair.two
    assert bridge is not None
    call.stop_customer()
    call.truth.hangup_by = "system"
    _complete(call, stay, leg.member, a1, "caller", connected)
    talk_seconds = call.clock.now() - connected
    ev.soft_hangup_request(a2, 16)
    ev.hangup_request(a1, 0)
    ev.hangup(a2, 0)
    ev.varset(one, "BRIDGEPEER", "")
    ev.varset(a1, "BRIDGEPEER", "")
    ev.bridge_leave(bridge, one)
    _end_caller_legs_after_bridge(call, talk_seconds=talk_seconds)
    ev.soft_hangup_request(one, 16)
    ev.hangup_request(two, 16)
    ev.soft_hangup_request(two, 16)
    ev.hangup(two, 16)
    ev.hangup(one, 16)
    ev.bridge_leave(bridge, a1)
    ev.hangup(a1, 16)
    ev.device_state(leg.member.agent.device, "NOT_INUSE")
    call.pbx.member_status(leg.member.agent)
    ev.bridge_destroy(bridge)


def _agent_hangs_up(call: Call, stay: QueueStay, leg: RingLeg, connected: float) -> None:
    ev, one, bridge = call.ev, call.customer.one, call.bridge
    a1, a2 = leg.pair.one, leg.pair.two
    assert bridge is not None
    call.truth.hangup_by = "agent"
    _complete(call, stay, leg.member, a1, "agent", connected)
    talk_seconds = call.clock.now() - connected
    ev.hangup(a2, 16)
    ev.varset(a1, "BRIDGEPEER", "")
    ev.varset(one, "BRIDGEPEER", "")
    ev.bridge_leave(bridge, a1)
    ev.hangup(a1, 16)
    ev.bridge_leave(bridge, one)
    ev.device_state(leg.member.agent.device, "NOT_INUSE")
    call.pbx.member_status(leg.member.agent)
    _end_caller_legs_after_bridge(call, talk_seconds=talk_seconds)
    ev.bridge_destroy(bridge)
    call.pbx_hangs_up()


def _drop_agent(call: Call, leg: RingLeg) -> None:
    """The agent legs leave the bridge and hang up; the caller stays up."""
    ev, bridge = call.ev, call.bridge
    assert bridge is not None
    a1, a2 = leg.pair.one, leg.pair.two
    ev.varset(call.customer.one, "BRIDGEPEER", "")
    ev.bridge_leave(bridge, call.customer.one)
    ev.varset(a1, "BRIDGEPEER", "")
    ev.bridge_leave(bridge, a1)
    ev.bridge_destroy(bridge)
    ev.hangup_request(a2, 16)
    ev.hangup(a1, 16)
    ev.soft_hangup_request(a2, 16)
    ev.hangup(a2, 16)
    ev.device_state(leg.member.agent.device, "NOT_INUSE")
    call.agent_pair, call.bridge = None, None


def blind_transfer(
    call: Call, stay: QueueStay, leg: RingLeg, connected: float, context: str, exten: str, transferer: Channel
) -> str | None:
    """The agent blind-transfers the caller to `exten@context`."""
    ev, one, bridge = call.ev, call.customer.one, call.bridge
    assert bridge is not None
    ev.bus.emit(
        "BlindTransfer",
        "call",
        [
            ("Result", "Success"),
            *transferer.snapshot("Transferer"),
            *bridge.headers(),
            *one.snapshot("Transferee"),
            ("IsExternal", "Yes"),
            ("Context", context),
            ("Extension", exten),
        ],
    )
    call.truth.outcome, call.truth.transferred_to = "transferred", exten
    one.goto(context, exten, 1)
    _complete(call, stay, leg.member, leg.pair.one, "transfer", connected)
    _drop_agent(call, leg)
    call.pbx.member_status(leg.member.agent)
    return call.pbx.enter_transfer_target(call, context, exten)


def _redirect(call: Call, stay: QueueStay, leg: RingLeg, connected: float, context: str, exten: str) -> str | None:
    """AMI Redirect of the caller: the agent is dropped now, AgentComplete waits for the caller's hangup."""
    call.truth.outcome, call.truth.transferred_to = "transferred", exten
    call.truth.talk_seconds = round(call.clock.now() - connected, 3)
    call.pending_complete = (stay, leg.member, leg.pair.one, connected)
    _drop_agent(call, leg)
    leg.member.agent.busy = False
    call.pbx.member_status(leg.member.agent)
    call.customer.one.goto(context, exten, 1)
    return call.pbx.enter_transfer_target(call, context, exten)


def finish_pending_complete(call: Call) -> None:
    """Emit the AgentComplete a Redirect left pending, now that the caller is gone."""
    if call.pending_complete is None:
        return
    stay, member, dest, connected = call.pending_complete
    call.pending_complete = None
    talk_seconds = call.truth.talk_seconds
    _complete(call, stay, member, dest, "caller", connected)
    call.truth.talk_seconds = talk_seconds


def _earliest(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)
