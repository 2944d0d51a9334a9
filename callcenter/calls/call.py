"""The state of one call while it is up, and the summary it leaves when it ends."""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.calls.events import CallEvent, CallKey, HangupBy
from callcenter.calls.legs import is_far_half, leg_of, to_datetime
from callcenter.calls.summary import CallSummary, Outcome

# SoftHangupRequest carries the soft-hangup flag, not a Q.850 cause; 4 is "Asterisk is shutting down".
SOFTHANGUP_SHUTDOWN = "4"


@dataclass(slots=True)
class RingAttempt:
    interface: str
    name: str | None
    queue: str
    since: float


@dataclass(slots=True, eq=False)
class CallState:
    """Everything known about one call; mutated by the tracker, summarised at the end."""

    key: CallKey
    started: float
    caller_channel: str | None = None
    queue_channel: str | None = None
    caller_number: str | None = None
    caller_name: str | None = None
    live: set[str] = field(default_factory=set)
    dead: set[str] = field(default_factory=set)
    ringing: dict[str, RingAttempt] = field(default_factory=dict)
    ring_attempts: int = 0
    ivr_flow: str | None = None
    ivr_path: list[str] = field(default_factory=list)
    ivr_inputs: dict[str, str] = field(default_factory=dict)
    ivr_seen: bool = False
    # The PBX answered the caller (IVR, announcement): known without dialplan-class events.
    pbx_answered: bool = False
    in_ivr: bool = False
    queue: str | None = None
    queued_at: float | None = None
    position: int = 0
    in_queue: bool = False
    # None while queued or when the queue let the caller go without an answer (a timeout).
    queue_result: str | None = None
    agent_interface: str | None = None
    agent_name: str | None = None
    agent_user_id: int | None = None
    agent_channel: str | None = None
    connected: bool = False
    answered: float | None = None
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    hold_total: float = 0.0
    hold_since: float | None = None
    transferred_to: str | None = None
    transferred_last: bool = False
    wrapup_seconds: float | None = None
    first_hangup: HangupBy | None = None
    hangup_cause: str | None = None
    complete_reason: str | None = None
    reconstructed: bool = False
    timeline: list[CallEvent] = field(default_factory=list)
    # An agent's own phone placed the call: outbound to ``dialed``, or internal to another agent.
    origin_interface: str | None = None
    dialed: str | None = None
    dialed_agent: bool = False

    def is_caller_leg(self, channel: str) -> bool:
        """True for either half of the caller's leg."""
        return self.caller_channel is not None and leg_of(channel) == leg_of(self.caller_channel)

    def is_agent_leg(self, channel: str) -> bool:
        """True for either half of the connected agent's leg."""
        return self.agent_channel is not None and leg_of(channel) == leg_of(self.agent_channel)

    def note_hangup(self, channel: str, event: str, cause: str | None) -> None:
        """Remember who asked first for the end of the call (only the first signal counts).

        A party hanging up shows at the far half of its Local leg (or as a channel driver's
        HangupRequest on a plain channel); a soft hangup of a PBX-facing channel is the IVR,
        the dialplan, a manager action or a bridge being torn down. A HangupRequest on a far
        half only echoes its near half going away, so it says nothing about who began.
        """
        if self.first_hangup is not None:
            return
        if event == "SoftHangupRequest" and cause == SOFTHANGUP_SHUTDOWN:
            self.first_hangup = HangupBy.SYSTEM
            return
        far = is_far_half(channel)
        if far and event == "HangupRequest":
            return
        party_side = far or event != "SoftHangupRequest"
        if self.origin_interface is not None:
            # Placed by an agent: the originating leg is the agent, any other leg the called party.
            if self.is_caller_leg(channel):
                self.first_hangup = HangupBy.AGENT if party_side else HangupBy.SYSTEM
            else:
                self.first_hangup = HangupBy.CALLER
            return
        if self.is_agent_leg(channel):
            if self.transferred_last:
                return  # the agent who transferred the caller away leaving does not end the call
            self.first_hangup = HangupBy.AGENT if party_side else HangupBy.SYSTEM
        elif self.is_caller_leg(channel):
            self.first_hangup = HangupBy.CALLER if party_side else HangupBy.SYSTEM

    def stop_hold(self, at: float) -> None:
        """Close an open hold interval."""
        if self.hold_since is not None:
            self.hold_total += max(0.0, at - self.hold_since)
            self.hold_since = None

    def outcome(self) -> Outcome:
        """What became of the call, judged by its last queue visit and what followed it.

        A call an agent transferred stays "transferred" even when another agent answers it later
        (the contact names that last agent); one that then waits in vain is abandoned or timed out.
        """
        if self.transferred_last:
            return Outcome.TRANSFERRED
        if self.origin_interface is not None and self.queue is None:
            return Outcome.HANDLED if self.answered is not None else Outcome.FAILED
        if self.queue is not None:
            if self.queue_result == "connected":
                return Outcome.TRANSFERRED if self.transferred_to is not None else Outcome.HANDLED
            if self.queue_result == "abandoned" or self.in_queue:
                return Outcome.ABANDONED
            return Outcome.TIMEOUT
        if self.ivr_seen or self.pbx_answered:
            return Outcome.IVR_ONLY
        return Outcome.FAILED

    def hangup_by(self) -> HangupBy:
        """Who ended the call: the first hangup signal, else Asterisk's AgentComplete reason."""
        if self.first_hangup is not None:
            return self.first_hangup
        if self.complete_reason in ("caller", "agent"):
            return HangupBy(self.complete_reason)
        return HangupBy.SYSTEM

    def summary(self, ended: float) -> CallSummary:
        """The finished-call record."""
        self.stop_hold(ended)
        talk = self.talk_seconds
        if talk is None and self.answered is not None:
            talk = max(0.0, ended - self.answered)
        return CallSummary(
            key=self.key,
            caller_number=self.caller_number,
            caller_name=self.caller_name,
            queue=self.queue,
            agent_interface=self.agent_interface,
            agent_name=self.agent_name,
            agent_user_id=self.agent_user_id,
            outcome=self.outcome(),
            started_at=to_datetime(self.started),
            answered_at=to_datetime(self.answered) if self.answered is not None else None,
            ended_at=to_datetime(max(ended, self.started)),
            wait_seconds=self.wait_seconds,
            talk_seconds=talk,
            hold_seconds=self.hold_total if self.answered is not None else None,
            wrapup_seconds=self.wrapup_seconds,
            ring_attempts=self.ring_attempts,
            hangup_by=self.hangup_by(),
            hangup_cause=self.hangup_cause,
            direction="inbound" if self.origin_interface is None else "internal" if self.dialed_agent else "outbound",
            dialed_number=self.dialed,
            ivr_flow=self.ivr_flow,
            ivr_path=list(self.ivr_path),
            ivr_inputs=dict(self.ivr_inputs),
            transferred_to=self.transferred_to,
            reconstructed=self.reconstructed,
            timeline=list(self.timeline),
        )
