"""Typed events the call tracker emits: the call lifecycle and agent state changes.

Everything downstream of the tracker (recorder, websocket hub, live metrics) reads these
and never a raw AMI event. All are frozen dataclasses; times are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class CallKey:
    """A call's identity: Asterisk ids are unique only per server and per Asterisk boot."""

    server: str
    boot: str
    linkedid: str

    @property
    def external_id(self) -> str:
        """The idempotency key of the call's contact: ``<server>:<boot>:<linkedid>``."""
        return f"{self.server}:{self.boot}:{self.linkedid}"


class HangupBy(enum.StrEnum):
    CALLER = "caller"
    AGENT = "agent"
    SYSTEM = "system"


class TransferKind(enum.StrEnum):
    BLIND = "blind"
    ATTENDED = "attended"
    REDIRECT = "redirect"


@dataclass(frozen=True, slots=True)
class CallEvent:
    """Base of every call event: which call, when."""

    key: CallKey
    at: datetime

    @property
    def type(self) -> str:
        """The event's name on the wire and in contact timelines (``call.connected`` ...)."""
        return _TYPE_NAMES[type(self)]

    def data(self) -> dict[str, Any]:
        """The event's own fields as JSON-ready values (no key, no time)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            if name in ("key", "at"):
                continue
            value = getattr(self, name)
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class CallStarted(CallEvent):
    caller_number: str | None
    caller_name: str | None
    channel: str


@dataclass(frozen=True, slots=True)
class IvrEntered(CallEvent):
    flow: str | None


@dataclass(frozen=True, slots=True)
class IvrLeft(CallEvent):
    flow: str | None
    path: tuple[str, ...]
    inputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallQueued(CallEvent):
    queue: str
    position: int


@dataclass(frozen=True, slots=True)
class AgentRinging(CallEvent):
    queue: str
    agent_interface: str
    agent_name: str | None
    channel: str


@dataclass(frozen=True, slots=True)
class AgentNoAnswer(CallEvent):
    queue: str
    agent_interface: str
    agent_name: str | None
    ring_seconds: float


@dataclass(frozen=True, slots=True)
class CallConnected(CallEvent):
    queue: str
    agent_interface: str
    agent_name: str | None
    wait_seconds: float
    ring_seconds: float


@dataclass(frozen=True, slots=True)
class CallTransferred(CallEvent):
    kind: TransferKind
    target: str | None
    agent_interface: str | None


@dataclass(frozen=True, slots=True)
class CallAbandoned(CallEvent):
    queue: str
    position: int
    original_position: int
    wait_seconds: float


@dataclass(frozen=True, slots=True)
class CallEnded(CallEvent):
    hangup_by: HangupBy
    cause: str | None
    outcome: str
    reconstructed: bool = False


_TYPE_NAMES: dict[type, str] = {
    CallStarted: "call.started",
    IvrEntered: "call.ivr_entered",
    IvrLeft: "call.ivr_left",
    CallQueued: "call.queued",
    AgentRinging: "call.agent_ringing",
    AgentNoAnswer: "call.agent_no_answer",
    CallConnected: "call.connected",
    CallTransferred: "call.transferred",
    CallAbandoned: "call.abandoned",
    CallEnded: "call.ended",
}


class AgentState(enum.StrEnum):
    READY = "ready"
    PAUSED = "paused"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    UNREACHABLE = "unreachable"
    LOGGED_OUT = "logged_out"


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """Base of agent events: which Asterisk, which member interface, which user (when mapped)."""

    server: str
    interface: str
    name: str | None
    user_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentAdded(AgentEvent):
    queue: str
    dynamic: bool


@dataclass(frozen=True, slots=True)
class AgentRemoved(AgentEvent):
    queue: str


@dataclass(frozen=True, slots=True)
class AgentStateChanged(AgentEvent):
    state: AgentState
    previous: AgentState | None
    reason: str | None = None
    queue: str | None = None
    linkedid: str | None = None


TrackerEvent = CallEvent | AgentEvent
