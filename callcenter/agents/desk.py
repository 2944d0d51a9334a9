"""What each agent's console shows, owned by the server: state, the ringing or active call, wrap-up.

The call tracker says what Asterisk did (a member rang, answered, a call ended, a member paused); the
desk turns that into one agent's view and into the messages of their ``agent:<user id>`` stream:

- ``agent.state``   ``{"state", "reason", "since"}`` whenever the state the agent sees changes.
- ``call.ringing``  ``{"call": {..., "card": {...}}, "received_at"}`` the screen-pop (the card is composed
  elsewhere); ``received_at``: epoch seconds when the service took the ring off the AMI stream.
- ``call.connected`` ``{"call": {...}}`` the agent answered: the card becomes the active call.
- ``call.missed``   ``{"call_id", "reason"}`` the ring stopped without this agent answering.
- ``call.ended``    ``{"call_id", "outcome", "contact", "disposition_required"}``: wrap-up begins.
- ``call.recorded`` ``{"call_id", "contact_id", "customer_id"}`` the call is stored as a contact.
- ``call.wrapped_up`` ``{"call_id"}`` the agent finished the wrap-up.

The state shown is the tracker's, except that the console's own facts win: a call on the desk is
``ringing`` or ``on_call``, and a wrap-up still waiting for a required disposition is ``wrap_up``.
No I/O here: the wiring feeds events in and publishes what comes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callcenter.calls.events import AgentState

Message = tuple[int, str, dict[str, Any]]  # (user id, type, data)


@dataclass(slots=True)
class DeskCall:
    """The call on an agent's console."""

    id: str
    server: str
    queue: str | None
    caller_number: str | None
    caller_channel: str | None
    agent_channel: str | None
    phase: str  # ringing | connected
    since: datetime
    card: dict[str, Any] | None = None
    answered_at: datetime | None = None

    def public(self) -> dict[str, Any]:
        """The call as the console sees it (no channel names: those stay on the server)."""
        return {
            "id": self.id,
            "queue": self.queue,
            "caller_number": self.caller_number,
            "phase": self.phase,
            "rang_at": _iso(self.since),
            "answered_at": _iso(self.answered_at),
            "card": self.card,
        }


@dataclass(slots=True)
class WrapUp:
    """A finished call whose disposition the agent still has to write (or may write)."""

    call_id: str
    contact_source: str
    contact_external_id: str
    disposition_required: bool
    paused_for_it: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "contact": {"source": self.contact_source, "external_id": self.contact_external_id},
            "disposition_required": self.disposition_required,
        }


@dataclass(slots=True)
class Desk:
    """One agent's console state."""

    user_id: int
    server: str | None = None
    interface: str | None = None
    asterisk_state: AgentState = AgentState.LOGGED_OUT
    asterisk_reason: str | None = None
    call: DeskCall | None = None
    wrap_up: WrapUp | None = None
    since: datetime | None = None
    shown: tuple[str, str | None] | None = None

    def state(self) -> tuple[str, str | None]:
        """The state the agent sees, with its reason."""
        if self.call is not None:
            return (AgentState.ON_CALL if self.call.phase == "connected" else AgentState.RINGING).value, None
        if self.wrap_up is not None and self.wrap_up.disposition_required:
            return AgentState.WRAP_UP.value, "disposition required"
        return self.asterisk_state.value, self.asterisk_reason

    def snapshot(self) -> dict[str, Any]:
        """Everything a (re)connecting console needs to draw itself."""
        state, reason = self.state()
        return {
            "state": state,
            "reason": reason,
            "since": _iso(self.since),
            "call": self.call.public() if self.call else None,
            "wrap_up": self.wrap_up.public() if self.wrap_up else None,
        }


@dataclass
class DeskBook:
    """Every agent's desk; methods return the stream messages to publish."""

    disposition_queues: frozenset[str] = frozenset()
    desks: dict[int, Desk] = field(default_factory=dict)
    _calls: dict[str, set[int]] = field(default_factory=dict)

    def desk(self, user_id: int) -> Desk:
        desk = self.desks.get(user_id)
        if desk is None:
            desk = self.desks[user_id] = Desk(user_id)
        return desk

    def _state_message(self, desk: Desk, at: datetime) -> list[Message]:
        shown = desk.state()
        if shown == desk.shown:
            return []
        desk.shown, desk.since = shown, at
        return [(desk.user_id, "agent.state", {"state": shown[0], "reason": shown[1], "since": _iso(at)})]

    def asterisk_state(
        self, user_id: int, *, server: str, interface: str, state: AgentState, reason: str | None, at: datetime
    ) -> list[Message]:
        """The tracker's view of the member changed."""
        desk = self.desk(user_id)
        desk.server, desk.interface = server, interface
        desk.asterisk_state, desk.asterisk_reason = state, reason
        return self._state_message(desk, at)

    def ringing(self, user_id: int, call: DeskCall, *, received_at: float | None = None) -> list[Message]:
        """A queue rings the agent: the screen-pop (``received_at``: when the service took the ring in)."""
        desk = self.desk(user_id)
        desk.call = call
        self._calls.setdefault(call.id, set()).add(user_id)
        out: list[Message] = [(user_id, "call.ringing", {"call": call.public(), "received_at": received_at})]
        return out + self._state_message(desk, call.since)

    def connected(self, user_id: int, call_id: str, at: datetime) -> list[Message]:
        """The agent answered; any other agent still ringing for the call misses it."""
        out: list[Message] = []
        for other in sorted(self._calls.get(call_id, set()) - {user_id}):
            out += self._drop(other, call_id, "answered by another agent", at)
        desk = self.desk(user_id)
        if desk.call is None or desk.call.id != call_id:
            return out
        desk.call.phase, desk.call.answered_at = "connected", at
        desk.wrap_up = None
        out.append((user_id, "call.connected", {"call": desk.call.public()}))
        return out + self._state_message(desk, at)

    def ring_stopped(self, user_id: int, call_id: str, reason: str, at: datetime) -> list[Message]:
        """The ring attempt ended without an answer from this agent."""
        desk = self.desks.get(user_id)
        if desk is None or desk.call is None or desk.call.id != call_id or desk.call.phase != "ringing":
            return []
        return self._drop(user_id, call_id, reason, at)

    def _drop(self, user_id: int, call_id: str, reason: str, at: datetime) -> list[Message]:
        self._calls.get(call_id, set()).discard(user_id)
        desk = self.desks.get(user_id)
        if desk is None or desk.call is None or desk.call.id != call_id:
            return []
        desk.call = None
        return [(user_id, "call.missed", {"call_id": call_id, "reason": reason}), *self._state_message(desk, at)]

    def left_agent(self, user_id: int, call_id: str, *, outcome: str, source: str, at: datetime) -> list[Message]:
        """The agent's part of the call is over (hang-up or transfer): wrap-up starts."""
        desk = self.desks.get(user_id)
        self._calls.get(call_id, set()).discard(user_id)
        if desk is None or desk.call is None or desk.call.id != call_id:
            return []
        if desk.call.phase == "ringing":
            return self._drop(user_id, call_id, "caller hung up", at)
        required = (desk.call.queue or "") in self.disposition_queues
        desk.wrap_up = WrapUp(call_id, source, call_id, required)
        desk.call = None
        ended = {"call_id": call_id, "outcome": outcome, **desk.wrap_up.public()}
        return [(user_id, "call.ended", ended), *self._state_message(desk, at)]

    def call_ended(self, call_id: str, *, outcome: str, source: str, at: datetime) -> list[Message]:
        """The whole call ended: every agent still holding it moves on."""
        out: list[Message] = []
        for user_id in sorted(self._calls.pop(call_id, set())):
            out += self.left_agent(user_id, call_id, outcome=outcome, source=source, at=at)
        return out

    def recorded(self, call_id: str, contact_id: int, customer_id: int) -> list[Message]:
        """The call's contact is stored: the agents wrapping it up can now open and annotate it."""
        data = {"call_id": call_id, "contact_id": contact_id, "customer_id": customer_id}
        return [
            (desk.user_id, "call.recorded", data)
            for desk in self.desks.values()
            if desk.wrap_up is not None and desk.wrap_up.call_id == call_id
        ]

    def wrapped_up(self, user_id: int, at: datetime) -> list[Message]:
        """The agent finished the wrap-up (disposition written, or none needed)."""
        desk = self.desks.get(user_id)
        if desk is None or desk.wrap_up is None:
            return []
        call_id, desk.wrap_up = desk.wrap_up.call_id, None
        return [(user_id, "call.wrapped_up", {"call_id": call_id}), *self._state_message(desk, at)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
