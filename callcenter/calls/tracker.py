"""The call tracker: raw AMI events in, typed call and agent events out.

Feed it every event of one Asterisk connection in order (``feed(msg, at)``); it keeps
each call (key: server + boot + Linkedid; every channel of a call, the agent's leg too,
shares the Linkedid) and each queue member, and returns the typed events each AMI event
caused. A finished call leaves a ``CallSummary`` (``pop_finished``).

Time: an event's own ``Timestamp:`` header (``timestampevents=yes``) wins, else the time
the caller says it received the event. Asterisk's own durations (HoldTime, TalkTime) are
lower bounds on when the connect/complete happened, so the clock is never behind them.
The tracker clock only moves forward.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping

from callcenter.calls.agents import AgentBook, AgentUser
from callcenter.calls.call import CallState
from callcenter.calls.events import (
    AgentEvent,
    CallEnded,
    CallEvent,
    CallKey,
    CallStarted,
    HangupBy,
    IvrEntered,
    IvrLeft,
    TrackerEvent,
    TransferKind,
)
from callcenter.calls.legs import AmiEventLike, as_float, device_of, is_far_half, known, to_datetime
from callcenter.calls.queue_events import QueueHandlers
from callcenter.calls.summary import CallSummary

MEMBER_EVENTS = frozenset(
    {
        "QueueMemberStatus",
        "QueueMemberPause",
        "QueueMemberAdded",
        "QueueMemberRemoved",
        "QueueMemberPenalty",
        "QueueMemberRinginuse",
        "QueueMember",
    }
)
# AMI event -> the tracker method that handles it; every other event is ignored at once.
_HANDLERS: dict[str, str] = {
    "Newchannel": "_newchannel",
    "NewCallerid": "_newcallerid",
    "DialBegin": "_dial_begin",
    "HangupRequest": "_hangup_signal",
    "SoftHangupRequest": "_hangup_signal",
    "Hangup": "_hangup",
    "Newstate": "_newstate",
    "Newexten": "_newexten",
    "AGIExecStart": "_agi_exec",
    "VarSet": "_varset",
    "QueueCallerJoin": "_queue_join",
    "QueueCallerLeave": "_queue_leave",
    "QueueCallerAbandon": "_queue_abandon",
    "AgentCalled": "_agent_called",
    "DialEnd": "_dial_end",
    "AgentRingNoAnswer": "_ring_no_answer",
    "AgentConnect": "_agent_connect",
    "AgentComplete": "_agent_complete",
    "BlindTransfer": "_blind_transfer",
    "AttendedTransfer": "_attended_transfer",
    "MusicOnHoldStart": "_hold_start",
    "Hold": "_hold_start",
    "MusicOnHoldStop": "_hold_stop",
    "Unhold": "_hold_stop",
    "Shutdown": "_shutdown",
    **{name: "_member" for name in MEMBER_EVENTS},
}
# The events the tracker reads: give them to the decoder's ``only_events`` to skip the rest unparsed.
TRACKED_EVENTS = frozenset(_HANDLERS)
CHANNEL_STATE_UP = "6"
# Calls already finished are remembered a while so late events about them do not resurrect them.
RECENT_CALLS = 4096

Handler = Callable[[AmiEventLike, float, list[TrackerEvent]], None]


def dialed_number(dial_string: str | None) -> str | None:
    """The number in a Dial() string: ``+15551234@trunk``, ``trunk/sip:+15551234@host`` -> ``+15551234``."""
    if not dial_string:
        return None
    target = dial_string.split("&", 1)[0].rsplit("/", 1)[-1].split("@", 1)[0]
    return target.removeprefix("sip:").removeprefix("tel:") or None


def agi_flow(app_data: str | None) -> str | None:
    """The script name of an ``AGI(agi://host:port/script,args)`` application call."""
    if not app_data:
        return None
    target = app_data.split(",", 1)[0].strip()
    if "://" in target:
        target = target.split("://", 1)[1]
        target = target.split("/", 1)[1] if "/" in target else ""
    return target.split("?", 1)[0] or None


class CallTracker(QueueHandlers):
    """Keeps calls and agents of one Asterisk server and turns AMI events into typed events."""

    def __init__(
        self,
        server: str = "asterisk",
        boot: str = "0",
        *,
        agent_users: Mapping[str, AgentUser] | None = None,
        wrapup_seconds: Mapping[str, float] | None = None,
    ) -> None:
        self.server = server
        self.boot = boot
        self.agents = AgentBook(server, agent_users, wrapup_seconds)
        self.calls: dict[str, CallState] = {}
        self.now = 0.0
        self._channels: dict[str, CallState] = {}
        self._finished: list[CallSummary] = []
        self._recent: deque[str] = deque(maxlen=RECENT_CALLS)
        self._recent_set: set[str] = set()
        self._handlers: dict[str, Handler] = {event: getattr(self, method) for event, method in _HANDLERS.items()}

    # -- public API -------------------------------------------------------------------

    def feed(self, msg: AmiEventLike, at: float | None = None) -> list[TrackerEvent]:
        """Apply one AMI message received at ``at`` (epoch seconds); return the events it caused."""
        if msg.kind != "event":
            return []
        handler = self._handlers.get(msg.name)
        if handler is None:
            return []
        stamp = msg.get("Timestamp")
        if stamp is not None:
            at = as_float(stamp, at or self.now)
        if at is not None and at > self.now:
            self.now = at
        out: list[TrackerEvent] = self.agents.tick(self.now) if self.agents.wrapping else []
        handler(msg, self.now, out)
        return out

    def tick(self, now: float) -> list[TrackerEvent]:
        """Let time pass without an event (ends wrap-ups that are over)."""
        self.now = max(self.now, now)
        return list(self.agents.tick(self.now))

    def pop_finished(self) -> list[CallSummary]:
        """The calls finished since the last call, oldest first."""
        done, self._finished = self._finished, []
        return done

    def key(self, linkedid: str) -> CallKey:
        """The key a call of this server and boot has."""
        return CallKey(self.server, self.boot, linkedid)

    def close_call(self, call: CallState, now: float, out: list[TrackerEvent], *, reconstructed: bool) -> CallSummary:
        """Finish a call: close what is open, emit ``ended``, keep its summary."""
        if call.in_ivr:
            self._leave_ivr(call, now, out)
        for channel, attempt in list(call.ringing.items()):
            out.extend(self.agents.ring_ended(attempt.interface, channel, now))
        call.ringing.clear()
        if call.agent_interface is not None:
            out.extend(self.agents.completed(call.agent_interface, call.key.linkedid, call.queue, now))
        call.connected = False
        call.reconstructed = call.reconstructed or reconstructed
        self.emit(
            call,
            CallEnded(
                call.key,
                to_datetime(now),
                hangup_by=call.hangup_by(),
                cause=call.hangup_cause,
                outcome=call.outcome().value,
                reconstructed=call.reconstructed,
            ),
            out,
        )
        summary = call.summary(now)
        self.calls.pop(call.key.linkedid, None)
        for channel in call.live:
            self._channels.pop(channel, None)
        self._remember(call.key.linkedid)
        self._finished.append(summary)
        return summary

    def ivr_update(
        self,
        channel: str,
        at: float,
        *,
        flow: str | None = None,
        path: list[str] | None = None,
        inputs: dict[str, str] | None = None,
        finished: bool = False,
    ) -> list[TrackerEvent]:
        """What the IVR engine reports about the caller on ``channel`` (its own FastAGI session).

        The AMI user need not receive dialplan-class events (VarSet, Newexten) for the IVR part
        of a call to be known: the engine says where the caller is and what they keyed.
        """
        call = self._channels.get(channel)
        out: list[TrackerEvent] = []
        if call is None:
            return out
        self.now = max(self.now, at)
        if not call.in_ivr and not finished:
            self._enter_ivr(call, flow, self.now, out)
        if flow:
            call.ivr_flow = flow
        if path is not None:
            call.ivr_path = list(path)
        if inputs:
            call.ivr_inputs.update(inputs)
        call.ivr_seen = True
        if finished and call.in_ivr:
            self._leave_ivr(call, self.now, out)
        return out

    def live_channels(self) -> frozenset[str]:
        """Every channel the tracker holds as up."""
        return frozenset(self._channels)

    def finished_recently(self, linkedid: str) -> bool:
        """True when call ``linkedid`` ended here lately (its contact is recorded or on its way)."""
        return linkedid in self._recent_set

    def adopt(self, linkedid: str, started: float) -> CallState:
        """The state of call ``linkedid``, created when unknown (used by resync)."""
        call = self.calls.get(linkedid)
        if call is None:
            call = self.calls[linkedid] = CallState(self.key(linkedid), started)
        return call

    def attach_channel(self, call: CallState, channel: str) -> None:
        """Count ``channel`` as a live channel of ``call``."""
        call.live.add(channel)
        self._channels[channel] = call

    def forget_channel(self, call: CallState, channel: str) -> None:
        """Drop a channel that went away unseen (found missing by a resync)."""
        call.live.discard(channel)
        call.dead.add(channel)
        self._channels.pop(channel, None)
        call.ringing.pop(channel, None)

    # -- helpers ----------------------------------------------------------------------

    def _remember(self, linkedid: str) -> None:
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(linkedid)
        self._recent_set.add(linkedid)

    def emit(self, call: CallState, event: CallEvent, out: list[TrackerEvent]) -> None:
        """Add ``event`` to the call's timeline and to the events returned to the caller."""
        call.timeline.append(event)
        out.append(event)

    def _call_for(self, msg: AmiEventLike) -> CallState | None:
        channel = msg.get("Channel")
        if channel is not None:
            call = self._channels.get(channel)
            if call is not None:
                return call
        linkedid = msg.get("Linkedid")
        return self.calls.get(linkedid) if linkedid else None

    def _update_caller_id(self, call: CallState, msg: AmiEventLike) -> None:
        number = known(msg.get("CallerIDNum"))
        if number is not None:
            call.caller_number = number
            call.caller_name = known(msg.get("CallerIDName")) or call.caller_name

    def _enter_ivr(self, call: CallState, flow: str | None, now: float, out: list[TrackerEvent]) -> None:
        call.in_ivr = call.ivr_seen = True
        call.ivr_flow = flow or call.ivr_flow
        if flow and not call.ivr_path:
            call.ivr_path.append(flow)
        self.emit(call, IvrEntered(call.key, to_datetime(now), flow=call.ivr_flow), out)

    def _leave_ivr(self, call: CallState, now: float, out: list[TrackerEvent]) -> None:
        call.in_ivr = False
        self.emit(
            call,
            IvrLeft(
                call.key, to_datetime(now), flow=call.ivr_flow, path=tuple(call.ivr_path), inputs=dict(call.ivr_inputs)
            ),
            out,
        )

    # -- channels ---------------------------------------------------------------------

    def _newchannel(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        channel, linkedid = msg.get("Channel"), msg.get("Linkedid")
        if not channel or not linkedid or linkedid in self._recent_set:
            return
        call = self.calls.get(linkedid)
        if call is None:
            call = self.calls[linkedid] = CallState(self.key(linkedid), now)
        self.attach_channel(call, channel)
        if msg.get("Uniqueid") == linkedid and call.caller_channel is None:
            call.caller_channel = channel
            self._update_caller_id(call, msg)
            origin = self.agents.interface_of_device(device_of(channel))
            if origin is not None:
                agent = self.agents.agents.get(origin)
                user = self.agents.user(origin)
                call.origin_interface = call.agent_interface = origin
                call.agent_name = self.agents.display_name(origin, agent.name if agent else None)
                call.agent_user_id = user.user_id if user else None
            self.emit(
                call,
                CallStarted(
                    call.key,
                    to_datetime(now),
                    caller_number=call.caller_number,
                    caller_name=call.caller_name,
                    channel=channel,
                ),
                out,
            )

    def _newcallerid(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        channel = msg.get("Channel")
        call = self._channels.get(channel) if channel else None
        if call is not None and call.is_caller_leg(channel or ""):
            self._update_caller_id(call, msg)

    def _dial_begin(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        channel = msg.get("Channel")
        call = self._channels.get(channel) if channel else None
        if call is None or call.origin_interface is None or channel != call.caller_channel or call.dialed:
            return
        dest = msg.get("DestChannel")
        call.dialed_agent = dest is not None and self.agents.interface_of_device(device_of(dest)) is not None
        call.dialed = dialed_number(msg.get("DialString")) or known(msg.get("DestExten"))

    def _hangup_signal(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        channel = msg.get("Channel")
        call = self._channels.get(channel) if channel else None
        if call is not None and channel is not None:
            call.note_hangup(channel, msg.name, msg.get("Cause"))

    def _hangup(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        channel = msg.get("Channel")
        call = self._channels.pop(channel, None) if channel else None
        if call is None or channel is None:
            return
        call.live.discard(channel)
        call.dead.add(channel)
        if channel == call.caller_channel or (call.hangup_cause is None and call.is_caller_leg(channel)):
            call.hangup_cause = msg.get("Cause-txt") or msg.get("Cause")
        self._end_ringing(call, channel, now, out)
        if call.agent_interface is not None and channel == call.agent_channel:
            # A redirected caller keeps its Queue() running, so AgentComplete waits for the
            # caller; the agent is free as soon as the agent's own leg is gone.
            out.extend(self.agents.completed(call.agent_interface, call.key.linkedid, call.queue, now))
        if not call.live:
            self.close_call(call, now, out, reconstructed=False)

    def _newstate(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        channel = msg.get("Channel")
        call = self._channels.get(channel) if channel else None
        if call is not None and channel == call.caller_channel and msg.get("ChannelState") == CHANNEL_STATE_UP:
            call.pbx_answered = True

    # -- dialplan: IVR and redirects ------------------------------------------------------

    def _newexten(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        channel = msg.get("Channel")
        call = self._channels.get(channel) if channel else None
        if call is None or channel is None or is_far_half(channel):
            return
        app = msg.get("Application")
        if app == "AGI":
            if not call.in_ivr and call.is_caller_leg(channel):
                self._enter_ivr(call, agi_flow(msg.get("AppData")), now, out)
        elif call.in_ivr and call.is_caller_leg(channel):
            self._leave_ivr(call, now, out)
        elif call.connected and channel == call.queue_channel and not call.transferred_last:
            # Dialplan runs again on a caller that is bridged to an agent: it was redirected.
            self._transfer(call, TransferKind.REDIRECT, f"{msg.get('Exten')}@{msg.get('Context')}", now, out)

    def _agi_exec(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        channel = msg.get("Channel")
        call = self._channels.get(channel) if channel else None
        if call is not None and not call.in_ivr and not call.ivr_seen and call.is_caller_leg(channel or ""):
            self._enter_ivr(call, None, now, out)

    def _varset(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        variable = msg.get("Variable")
        if not variable or not variable.startswith("IVR_"):
            return
        call = self._call_for(msg)
        if call is None:
            return
        value = msg.get("Value") or ""
        if variable == "IVR_PATH":
            call.ivr_path = [step for step in value.split(",") if step]
        else:
            call.ivr_inputs[variable[4:].lower()] = value

    def _hold_start(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        call = self._call_for(msg)
        if call is not None and call.connected and call.hold_since is None:
            call.hold_since = now

    def _hold_stop(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        call = self._call_for(msg)
        if call is not None:
            call.stop_hold(now)

    # -- agents and system ------------------------------------------------------------

    def _member(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        events: list[AgentEvent] = self.agents.on_member(msg, now)
        out.extend(events)

    def _shutdown(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        # Asterisk is going away: calls it did not hang up before saying so are closed as
        # reconstructed, ended by the system.
        for call in list(self.calls.values()):
            if call.first_hangup is None:
                call.first_hangup = HangupBy.SYSTEM
            self.close_call(call, now, out, reconstructed=True)
