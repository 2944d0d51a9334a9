"""Agent (queue member) states, derived from member events and from the calls they take.

Asterisk pauses and reports a member per queue (QueueMemberStatus/QueueMemberPause come
once per queue for a member of several queues); an agent's own state is one value:
unreachable > on a call > ringing > logged out > wrap-up > paused (in every queue) > ready.
An event is emitted only when that value (or the pause reason) changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from callcenter.calls.events import AgentAdded, AgentEvent, AgentRemoved, AgentState, AgentStateChanged
from callcenter.calls.legs import AmiEventLike, as_int, as_seconds, member_key, to_datetime

# ast_device_state values that mean the agent's phone cannot be reached.
UNREACHABLE_DEVICE_STATES = frozenset({4, 5})


@dataclass(frozen=True, slots=True)
class AgentUser:
    """The user who owns a member interface."""

    user_id: int
    name: str


@dataclass(slots=True)
class Membership:
    paused: bool = False
    reason: str | None = None
    dynamic: bool = False
    wrapup: float = 0.0


@dataclass(slots=True, eq=False)
class Agent:
    interface: str
    name: str | None
    queues: dict[str, Membership] = field(default_factory=dict)
    device_state: int = 1
    ringing: set[str] = field(default_factory=set)
    on_call: str | None = None
    last_call: str | None = None
    wrapup_until: float | None = None
    state: AgentState | None = None
    reason: str | None = None

    def derive(self, now: float) -> tuple[AgentState, str | None]:
        """The agent's single state and its reason."""
        if self.device_state in UNREACHABLE_DEVICE_STATES:
            return AgentState.UNREACHABLE, None
        if self.on_call is not None:
            return AgentState.ON_CALL, None
        if self.ringing:
            return AgentState.RINGING, None
        if not self.queues:
            return AgentState.LOGGED_OUT, None
        if self.wrapup_until is not None and now < self.wrapup_until:
            return AgentState.WRAP_UP, None
        if all(m.paused for m in self.queues.values()):
            reasons = [m.reason for m in self.queues.values() if m.reason]
            return AgentState.PAUSED, reasons[-1] if reasons else None
        return AgentState.READY, None


class AgentBook:
    """All agents of one Asterisk server."""

    def __init__(
        self,
        server: str,
        users: Mapping[str, AgentUser] | None = None,
        wrapup_seconds: Mapping[str, float] | None = None,
    ) -> None:
        self.server = server
        self.users = {member_key(k): v for k, v in (users or {}).items()}
        self.wrapup_seconds = dict(wrapup_seconds or {})
        self.agents: dict[str, Agent] = {}
        self._wrapping: set[str] = set()

    @property
    def wrapping(self) -> bool:
        """True while some agent is in wrap-up (the tracker then checks the clock on every event)."""
        return bool(self._wrapping)

    def interface_of_device(self, device: str) -> str | None:
        """The member interface (or mapped user's interface) a phone device belongs to, if any."""
        for interface in self.agents:
            if member_key(interface) == device:
                return interface
        return device if device in self.users else None

    def user(self, interface: str) -> AgentUser | None:
        """The user mapped to a member interface, if any."""
        return self.users.get(member_key(interface))

    def display_name(self, interface: str, member_name: str | None) -> str | None:
        """The user's name when the interface is mapped, else Asterisk's member name."""
        user = self.user(interface)
        return user.name if user else member_name

    def wrapup_for(self, interface: str, queue: str | None) -> float:
        """Wrap-up seconds after a call from ``queue``: the member's own setting, else the queue's."""
        agent = self.agents.get(interface)
        membership = agent.queues.get(queue) if agent and queue else None
        if membership is not None and membership.wrapup > 0:
            return membership.wrapup
        return float(self.wrapup_seconds.get(queue or "", 0.0))

    def _agent(self, interface: str, name: str | None) -> Agent:
        agent = self.agents.get(interface)
        if agent is None:
            agent = self.agents[interface] = Agent(interface, name)
        elif name:
            agent.name = name
        return agent

    def _emit(
        self, agent: Agent, now: float, out: list[AgentEvent], *, queue: str | None = None, linkedid: str | None = None
    ) -> None:
        state, reason = agent.derive(now)
        if state == agent.state and reason == agent.reason:
            return
        previous = agent.state
        agent.state, agent.reason = state, reason
        out.append(
            AgentStateChanged(
                **self._base(agent, now), state=state, previous=previous, reason=reason, queue=queue, linkedid=linkedid
            )
        )

    def _base(self, agent: Agent, now: float) -> dict[str, Any]:
        user = self.user(agent.interface)
        return {
            "server": self.server,
            "interface": agent.interface,
            "name": self.display_name(agent.interface, agent.name),
            "user_id": user.user_id if user else None,
            "at": to_datetime(now),
        }

    def on_member(self, msg: AmiEventLike, now: float) -> list[AgentEvent]:
        """QueueMemberStatus/Pause/Added/Removed/Penalty and QueueStatus's QueueMember items."""
        interface = msg.get("Interface") or msg.get("Location")
        queue = msg.get("Queue")
        if not interface or not queue:
            return []
        agent = self._agent(interface, msg.get("MemberName") or msg.get("Name"))
        out: list[AgentEvent] = []
        if msg.name == "QueueMemberRemoved":
            if agent.queues.pop(queue, None) is not None:
                out.append(AgentRemoved(**self._base(agent, now), queue=queue))
            self._emit(agent, now, out, queue=queue)
            return out
        membership = agent.queues.get(queue)
        if membership is None:
            # Only QueueMemberAdded is a member joining; other member events reveal an existing one.
            membership = agent.queues[queue] = Membership(dynamic=msg.get("Membership") == "dynamic")
            if msg.name == "QueueMemberAdded":
                out.append(AgentAdded(**self._base(agent, now), queue=queue, dynamic=membership.dynamic))
        paused = msg.get("Paused")
        if paused is not None:
            membership.paused = paused == "1"
            membership.reason = (msg.get("PausedReason") or None) if membership.paused else None
        membership.wrapup = as_seconds(msg.get("Wrapuptime"))
        status = msg.get("Status")
        if status is not None:
            agent.device_state = as_int(status, 1)
        self._emit(agent, now, out, queue=queue)
        return out

    def ringing(
        self, interface: str, name: str | None, channel: str, queue: str, linkedid: str, now: float
    ) -> list[AgentEvent]:
        """A queue rings the agent on ``channel``."""
        agent = self._agent(interface, name)
        agent.queues.setdefault(queue, Membership())
        agent.ringing.add(channel)
        out: list[AgentEvent] = []
        self._emit(agent, now, out, queue=queue, linkedid=linkedid)
        return out

    def ring_ended(self, interface: str, channel: str, now: float) -> list[AgentEvent]:
        """The ring attempt on ``channel`` is over (no answer, cancelled, busy, hung up)."""
        agent = self.agents.get(interface)
        out: list[AgentEvent] = []
        if agent is not None and channel in agent.ringing:
            agent.ringing.discard(channel)
            self._emit(agent, now, out)
        return out

    def connected(
        self, interface: str, name: str | None, channel: str, queue: str, linkedid: str, now: float
    ) -> list[AgentEvent]:
        """The agent answered the call ``linkedid``."""
        agent = self._agent(interface, name)
        agent.ringing.discard(channel)
        agent.on_call = agent.last_call = linkedid
        agent.wrapup_until = None
        self._wrapping.discard(interface)
        out: list[AgentEvent] = []
        self._emit(agent, now, out, queue=queue, linkedid=linkedid)
        return out

    def completed(self, interface: str, linkedid: str, queue: str | None, now: float) -> list[AgentEvent]:
        """The agent's call ``linkedid`` is over; wrap-up starts when the queue has one."""
        agent = self.agents.get(interface)
        out: list[AgentEvent] = []
        if agent is None or agent.on_call != linkedid:
            return out
        agent.on_call = None
        wrapup = self.wrapup_for(interface, queue)
        if wrapup > 0:
            agent.wrapup_until = now + wrapup
            self._wrapping.add(interface)
        self._emit(agent, now, out, queue=queue, linkedid=linkedid)
        return out

    def tick(self, now: float) -> list[AgentEvent]:
        """End the wrap-ups that are over by ``now``."""
        out: list[AgentEvent] = []
        if not self._wrapping:
            return out
        for interface in list(self._wrapping):
            agent = self.agents[interface]
            if agent.wrapup_until is None or now >= agent.wrapup_until:
                agent.wrapup_until = None
                self._wrapping.discard(interface)
                self._emit(agent, now, out)
        return out

    def snapshot(self) -> dict[str, AgentState | None]:
        """Every known agent's current state, by interface."""
        return {interface: agent.state for interface, agent in self.agents.items()}
