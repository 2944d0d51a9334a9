"""The simulated Asterisk core: calls, channels, queues and members, one boot at a time.

`Pbx` is what AMI actions and the traffic generator act on; it knows no sockets. A restart ends every
call (SoftHangupRequest Cause 4), and `reboot()` starts a fresh boot: new epoch, Uniqueid and Local
counters back at 0, members back to the configuration, a QUEUESTART line in the queue_log.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from callcenter.pbxsim.call import Call
from callcenter.pbxsim.channels import BootIds, Channel
from callcenter.pbxsim.clock import Clock
from callcenter.pbxsim.config import PbxConfig
from callcenter.pbxsim.events import ChannelEvents, EventBus
from callcenter.pbxsim.ivr import IvrRunner, ScriptedMainMenu
from callcenter.pbxsim.queue_log import QueueLog
from callcenter.pbxsim.queueing import Queueing
from callcenter.pbxsim.queues import Agent, Queue, QueueMember
from callcenter.pbxsim.ringing import member_target
from callcenter.pbxsim.truth import CallSpec, CallTruth

AgentPolicy = Callable[[Call, QueueMember], float | None]


class ActionError(Exception):
    """An action Asterisk refuses; the message is Asterisk's own wording."""


def dialplan_agents(pbx: Pbx) -> AgentPolicy:
    """Agents as in the lab dialplan: ring RINGSECS (default 2 s) then answer, unless NOANSWER_<exten> is 1."""

    def policy(call: Call, member: QueueMember) -> float | None:
        _, exten = member_target(member.agent.interface)
        if pbx.globals.get(f"NOANSWER_{exten}") == "1":
            return None
        if call.spec.ring_seconds is not None:
            return call.spec.ring_seconds
        for name, value in call.spec.variables:
            if name.lstrip("_") == "RINGSECS":
                try:
                    return float(value)
                except ValueError:
                    break
        return 2.0

    return policy


class Pbx:
    """One simulated Asterisk."""

    def __init__(
        self,
        config: PbxConfig | None = None,
        *,
        clock: Clock | None = None,
        queue_log: QueueLog | None = None,
        ivr: IvrRunner | None = None,
        agent_policy: AgentPolicy | None = None,
    ) -> None:
        self.config = config or PbxConfig()
        self.clock = clock or Clock()
        self.queue_log = queue_log or QueueLog()
        self.ivr: IvrRunner = ivr or ScriptedMainMenu()
        self.bus = EventBus()
        self.events = ChannelEvents(self.bus)
        self.queueing = Queueing(self)
        self.agent_policy: AgentPolicy = agent_policy or dialplan_agents(self)
        self.globals: dict[str, str] = {}
        self.calls: dict[str, Call] = {}
        self.finished: list[CallTruth] = []
        self.on_call_finished: list[Callable[[CallTruth], None]] = []
        self.agi_url = self.config.agi_url.rstrip("/")
        self.ids = BootIds()
        self.boot_time = self.clock.now()
        self.queues: dict[str, Queue] = {}
        self.agents: dict[str, Agent] = {}
        self._load_queues()

    def _load_queues(self) -> None:
        self.queues, self.agents = {}, {}
        login = int(self.boot_time)
        for qc in self.config.queues:
            queue = Queue(qc)
            for mc in qc.members:
                agent = self.agents.setdefault(mc.interface, Agent(mc.interface, mc.name, mc.interface))
                queue.members.append(QueueMember(queue, agent, mc.penalty, dynamic=False, login_time=login))
            self.queues[qc.name] = queue

    @property
    def uptime(self) -> int:
        """Seconds since this boot."""
        return int(self.clock.now() - self.boot_time)

    # ------------------------------------------------------------------ calls

    def originate(self, spec: CallSpec, *, action_id: str | None = None) -> Call:
        """Start a customer call into the IVR (what the lab's Originate does)."""
        call = Call(self, spec, action_id=action_id)
        self.calls[call.linkedid] = call
        call.start()
        return call

    def originate_response(self, call: Call) -> None:
        """The OriginateResponse event once the originated channel answered."""
        one = call.customer.one
        headers = [("ActionID", call.action_id)] if call.action_id is not None else []
        headers += [
            ("Response", "Success"),
            ("Channel", one.name),
            ("Context", "ivr-in"),
            ("Exten", "s"),
            ("Reason", "4"),
            ("Uniqueid", one.uniqueid),
            ("CallerIDNum", call.spec.caller_num or "<unknown>"),
            ("CallerIDName", call.spec.caller_name or "<unknown>"),
        ]
        self.bus.emit("OriginateResponse", "call", headers)

    def call_finished(self, call: Call) -> None:
        """Record the call's ground truth."""
        self.calls.pop(call.linkedid, None)
        if not call.truth.outcome:
            call.truth.outcome = "failed"
        self.finished.append(call.truth)
        for hook in self.on_call_finished:
            hook(call.truth)

    def find_channel(self, name: str) -> tuple[Call, Channel] | None:
        """The live channel called `name` and its call."""
        for call in self.calls.values():
            for ch in call.channels():
                if ch.name == name:
                    return call, ch
        return None

    def channels(self) -> list[Channel]:
        """Every live channel."""
        return [ch for call in self.calls.values() for ch in call.channels()]

    def hangup_channel(self, name: str) -> None:
        """AMI Hangup of a channel."""
        found = self.find_channel(name)
        if found is None:
            raise ActionError("No such channel")
        call, ch = found
        if call.phase == "ivr":
            self.events.soft_hangup_request(ch, 16)
            call.truth.hangup_by = "system"
            call.line.gone.set()
            call.wake.set()
            return
        call.interrupt("hangup", name)

    def redirect(self, name: str, context: str, exten: str) -> None:
        """AMI Redirect of a connected caller to `exten@context`."""
        found = self.find_channel(name)
        if found is None:
            raise ActionError(f"Channel does not exist: {name}")
        call, ch = found
        if call.phase != "talk" or ch is not call.customer.one:
            raise ActionError("Redirect failed")
        call.interrupt("redirect", context, exten)

    def blind_transfer(self, name: str, context: str, exten: str) -> None:
        """AMI BlindTransfer: the channel `name` (the agent's leg) transfers its peer to `exten@context`."""
        found = self.find_channel(name)
        if found is None:
            raise ActionError(f"No such channel: {name}")
        call, ch = found
        if call.phase != "talk":
            raise ActionError("Transfer failed")
        call.interrupt("blindtransfer", context, exten, ch.name)

    def enter_transfer_target(self, call: Call, context: str, exten: str) -> str | None:
        """Dialplan of a transfer target: a queue (`[transfer] 2000 -> Queue(sales)`) or a hangup."""
        one = call.customer.one
        cid = f'"{call.spec.caller_name}" <{call.spec.caller_num}>'
        queue = self.config.transfer_queues.get(exten) or (exten if exten in self.queues else None)
        if queue is None:
            self.events.newexten(one, 1, "NoOp", f"Transfer to {exten}@{context}: {cid}")
            self.events.newexten(one, 2, "Hangup")
            call.pbx_hangs_up()
            return None
        self.events.newexten(one, 1, "NoOp", f"Transferred to {queue}: {cid}")
        self.events.newexten(one, 2, "Queue", f"{queue},,,,120")
        return queue

    # ------------------------------------------------------------------ queue members

    def member_status(self, agent: Agent) -> None:
        """QueueMemberStatus, once per queue the agent belongs to."""
        for queue in self.queues.values():
            member = queue.member(agent.interface)
            if member is not None:
                self.bus.emit("QueueMemberStatus", "agent", member.event_fields())

    def pause(self, interface: str, queue_name: str | None, paused: bool, reason: str = "") -> None:
        """QueuePause in one queue or (no queue) in all of the interface's queues."""
        if queue_name:
            queue = self.queues.get(queue_name)
            members = [m for m in [queue.member(interface)] if m is not None] if queue else []
        else:
            members = [m for q in self.queues.values() if (m := q.member(interface)) is not None]
        if not members:
            raise ActionError("Interface not found")
        now = self.clock.now()
        if not queue_name:
            event = "PAUSEALL" if paused else "UNPAUSEALL"
            self.queue_log.write(now, "NONE", "NONE", members[0].agent.name, event, *([reason] if paused else []))
        for member in members:
            member.paused = paused
            member.paused_reason = reason if paused else ""
            if paused:
                member.last_pause = int(now)
            self.bus.emit("QueueMemberPause", "agent", member.event_fields())
            event = "PAUSE" if paused else "UNPAUSE"
            self.queue_log.write(
                now, "NONE", member.queue.name, member.agent.name, event, *([reason] if paused else [])
            )
        if not paused:
            self.queueing.distribute()

    def add_member(
        self, queue_name: str, interface: str, *, name: str = "", penalty: int = 0, paused: bool = False,
        state_interface: str = "",
    ) -> None:  # fmt: skip
        """QueueAdd of a dynamic member."""
        queue = self.queues.get(queue_name)
        if queue is None:
            raise ActionError("Unable to add interface to queue: No such queue")
        if queue.member(interface) is not None:
            raise ActionError("Unable to add interface: Already there")
        agent = self.agents.get(interface)
        if agent is None:
            agent = Agent(interface, name or interface, state_interface or interface)
            self.agents[interface] = agent
        now = self.clock.now()
        member = QueueMember(queue, agent, penalty, dynamic=True, login_time=int(now), paused=paused)
        queue.members.append(member)
        self.bus.emit("QueueMemberAdded", "agent", member.event_fields())
        self.queue_log.write(now, "MANAGER", queue.name, agent.name, "ADDMEMBER", "")
        self.queueing.distribute()

    def remove_member(self, queue_name: str, interface: str) -> None:
        """QueueRemove of a member."""
        queue = self.queues.get(queue_name)
        if queue is None:
            raise ActionError("Unable to remove interface from queue: No such queue")
        member = queue.member(interface)
        if member is None:
            raise ActionError("Unable to remove interface: Not there")
        queue.members.remove(member)
        self.bus.emit("QueueMemberRemoved", "agent", member.event_fields())
        self.queue_log.write(self.clock.now(), "MANAGER", queue.name, member.agent.name, "REMOVEMEMBER", "")

    def set_penalty(self, interface: str, penalty: int, queue_name: str | None) -> None:
        """QueuePenalty in one queue or in all of the interface's queues."""
        if queue_name:
            queues = [self.queues[queue_name]] if queue_name in self.queues else []
        else:
            queues = list(self.queues.values())
        members = [m for q in queues if (m := q.member(interface)) is not None]
        if not members or penalty < 0:
            raise ActionError("Invalid interface, queuename or penalty")
        for member in members:
            member.penalty = penalty
            self.bus.emit("QueueMemberPenalty", "agent", member.event_fields())
            self.queue_log.write(self.clock.now(), "NONE", member.queue.name, interface, "PENALTY", penalty)

    # ------------------------------------------------------------------ restart

    async def shutdown_calls(self) -> None:
        """End every call as `core restart now` does (SoftHangupRequest Cause 4 first)."""
        calls = list(self.calls.values())
        for call in calls:
            if call.phase == "ivr":
                for ch in call.channels():
                    self.events.soft_hangup_request(ch, 4)
                call.truth.hangup_by = "system"
                call.line.gone.set()
                call.wake.set()
            else:
                call.interrupt("restart")
        tasks = [t for call in calls for t in call.tasks]
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        self.queueing.cancel_timer()

    def reboot(self) -> None:
        """Start a fresh boot: new epoch, counters at 0, queues from the configuration."""
        self.ids = BootIds()
        self.boot_time = self.clock.now()
        self._load_queues()
        self.queue_log.write(self.boot_time, "NONE", "NONE", "NONE", "QUEUESTART", "")


def parse_callerid(value: str) -> tuple[str, str]:
    """`Alice <+15551230001>` -> (`+15551230001`, `Alice`)."""
    match = re.fullmatch(r'\s*"?([^"<]*?)"?\s*<([^>]*)>\s*', value)
    if match:
        return match.group(2), match.group(1)
    return value.strip(), ""
