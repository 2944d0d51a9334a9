"""The record of a finished call: what the recorder stores and `ami replay` prints."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callcenter.calls.events import CallEvent, CallKey, HangupBy


class Outcome(enum.StrEnum):
    HANDLED = "handled"
    ABANDONED = "abandoned"
    IVR_ONLY = "ivr_only"
    TRANSFERRED = "transferred"
    TIMEOUT = "timeout"
    FAILED = "failed"


@dataclass(slots=True)
class CallSummary:
    """One finished call. Wait and talk seconds are Asterisk's own figures where it gives them, for the
    last queue visit (the one the named agent answered); ``ring_attempts`` counts every agent rung."""

    key: CallKey
    caller_number: str | None
    caller_name: str | None
    queue: str | None
    agent_interface: str | None
    agent_name: str | None
    agent_user_id: int | None
    outcome: Outcome
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    wait_seconds: float | None
    talk_seconds: float | None
    hold_seconds: float | None
    wrapup_seconds: float | None
    ring_attempts: int
    hangup_by: HangupBy
    hangup_cause: str | None
    direction: str = "inbound"  # "outbound" when an agent's phone placed it, "internal" agent to agent
    dialed_number: str | None = None
    ivr_flow: str | None = None
    ivr_path: list[str] = field(default_factory=list)
    ivr_inputs: dict[str, str] = field(default_factory=dict)
    transferred_to: str | None = None
    reconstructed: bool = False
    timeline: list[CallEvent] = field(default_factory=list)

    @property
    def linkedid(self) -> str:
        return self.key.linkedid

    def to_json(self, *, timeline: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; the timeline only when asked (it can be long)."""
        out: dict[str, Any] = {
            "server": self.key.server,
            "boot": self.key.boot,
            "linkedid": self.key.linkedid,
            "caller_number": self.caller_number,
            "caller_name": self.caller_name,
            "queue": self.queue,
            "agent_interface": self.agent_interface,
            "agent_name": self.agent_name,
            "outcome": self.outcome.value,
            "direction": self.direction,
            "dialed_number": self.dialed_number,
            "started_at": self.started_at.isoformat(),
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "ended_at": self.ended_at.isoformat(),
            "wait_seconds": self.wait_seconds,
            "talk_seconds": self.talk_seconds,
            "hold_seconds": self.hold_seconds,
            "wrapup_seconds": self.wrapup_seconds,
            "ring_attempts": self.ring_attempts,
            "hangup_by": self.hangup_by.value,
            "hangup_cause": self.hangup_cause,
            "ivr_flow": self.ivr_flow,
            "ivr_path": list(self.ivr_path),
            "ivr_inputs": dict(self.ivr_inputs),
            "transferred_to": self.transferred_to,
            "reconstructed": self.reconstructed,
        }
        if timeline:
            out["timeline"] = [{"type": e.type, "at": e.at.isoformat(), **e.data()} for e in self.timeline]
        return out
