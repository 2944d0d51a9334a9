"""Ringing a queue member: the agent's Local channel pair and the events until it rings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.pbxsim.channels import STATE_RINGING, LocalPair

if TYPE_CHECKING:
    from callcenter.pbxsim.call import Call
    from callcenter.pbxsim.queues import QueueMember


@dataclass(eq=False)
class RingLeg:
    """One member being rung for a caller."""

    member: QueueMember
    pair: LocalPair
    answer_after: float | None


def member_target(interface: str) -> tuple[str, str]:
    """`Local/agent1001@agents/n` -> (`agent1001@agents`, `agent1001`)."""
    target = interface.removeprefix("Local/").removesuffix("/n")
    return target, target.split("@", 1)[0]


def create_agent_leg(call: Call, leg: RingLeg) -> None:
    """Create the member's Local channel pair, AgentCalled and DialBegin (ami-01, ami-09 order)."""
    ev, one, pair = call.ev, call.customer.one, leg.pair
    target, exten = member_target(leg.member.agent.interface)
    inherited = [(k, v) for k, v in call.spec.variables if k.startswith("__")]
    ev.newchannel(pair.one)
    ev.newchannel(pair.two)
    ev.newexten(pair.one, 1, "AppQueue", "(Outgoing Line)")
    ev.newcallerid(pair.one, call.spec.caller_num, call.spec.caller_name)
    for name, value in inherited:
        ev.varset(pair.one, name, value)
    ev.varset(pair.one, "DIALEDPEERNUMBER", f"{target}/n")
    ev.varset(pair.two, "DIALEDPEERNUMBER", f"{target}/n")
    for name, value in inherited:
        ev.varset(pair.two, name, value)
    ev.newcallerid(pair.two, call.spec.caller_num, call.spec.caller_name)
    ev.newconnectedline(pair.two, call.spec.caller_num, call.spec.caller_name)
    ev.local_bridge(pair, "agents", exten)
    member = leg.member
    ev.bus.emit(
        "AgentCalled",
        "agent",
        [
            *one.snapshot(),
            *pair.one.snapshot("Dest"),
            ("Queue", member.queue.name),
            ("Interface", member.agent.interface),
            ("MemberName", member.agent.name),
        ],
    )
    ev.dial_begin(one, pair.one, f"{target}/n")


def agent_starts_ringing(call: Call, leg: RingLeg) -> None:
    """The agent's dialplan half runs [agents] up to Wait(RINGSECS); the dialled half goes Ringing."""
    ev, pair = call.ev, leg.pair
    _, exten = member_target(leg.member.agent.interface)
    cid = f'"{call.spec.caller_name}" <{call.spec.caller_num}>' if call.spec.caller_name else call.spec.caller_num
    ev.newexten(pair.two, 1, "NoOp", f"{exten} offered a call from {cid}")
    never = leg.answer_after is None
    ev.newexten(pair.two, 2, "GotoIf", f"{int(never)}?noanswer")
    ev.newexten(pair.two, 8 if never else 3, "Ringing")
    pair.one.goto("agents", "s", 1)
    ev.newstate(pair.one, STATE_RINGING)
    ev.newexten(pair.one, 1, "AppQueue", "(Outgoing Line)")
    ev.newconnectedline(pair.one, call.spec.caller_num, call.spec.caller_name)
    wait = "120" if never else f"{leg.answer_after:g}"
    ev.newexten(pair.two, 9 if never else 4, "Wait", wait)
