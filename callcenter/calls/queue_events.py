"""Queue() and agent events: joining, ringing, answering, abandoning, completing, transfers.

Mixed into ``CallTracker``; the real-Asterisk details handled here: QueueCallerLeave comes
before AgentConnect; DialEnd can repeat for one attempt; a caller hanging up while agents
ring is a QueueCallerAbandon; AgentRingNoAnswer's RingTime is in ms, AgentConnect's in s;
AgentComplete may lack the caller's headers; a blind transfer is AgentComplete ``Reason:
transfer`` and may be followed by a new QueueCallerJoin.
"""

from __future__ import annotations

from collections.abc import Callable

from callcenter.calls.agents import AgentBook
from callcenter.calls.call import CallState, RingAttempt
from callcenter.calls.events import (
    AgentNoAnswer,
    AgentRinging,
    CallAbandoned,
    CallConnected,
    CallEvent,
    CallQueued,
    CallTransferred,
    TrackerEvent,
    TransferKind,
)
from callcenter.calls.legs import AmiEventLike, as_int, as_seconds, known, to_datetime


class QueueHandlers:
    """The tracker's handlers of queue and agent events."""

    agents: AgentBook
    calls: dict[str, CallState]
    now: float
    _channels: dict[str, CallState]
    _call_for: Callable[[AmiEventLike], CallState | None]
    emit: Callable[[CallState, CallEvent, list[TrackerEvent]], None]
    _leave_ivr: Callable[[CallState, float, list[TrackerEvent]], None]
    _update_caller_id: Callable[[CallState, AmiEventLike], None]

    def _end_ringing(self, call: CallState, channel: str, now: float, out: list[TrackerEvent]) -> RingAttempt | None:
        attempt = call.ringing.pop(channel, None)
        if attempt is not None:
            out.extend(self.agents.ring_ended(attempt.interface, channel, now))
        return attempt

    def _queue_join(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        call = self._call_for(msg)
        if call is None:
            return
        if call.in_ivr:
            self._leave_ivr(call, now, out)
        channel = msg.get("Channel")
        call.caller_channel = call.caller_channel or channel
        call.queue_channel = channel
        self._update_caller_id(call, msg)
        call.queue = msg.get("Queue") or call.queue
        call.queued_at = now
        call.position = as_int(msg.get("Position"))
        call.in_queue, call.queue_result, call.transferred_last = True, None, False
        call.first_hangup = None  # whatever hung up before, the call goes on
        self.emit(call, CallQueued(call.key, to_datetime(now), queue=call.queue or "", position=call.position), out)

    def _queue_leave(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        call = self._call_for(msg)
        if call is not None:
            call.in_queue = False

    def _queue_abandon(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        call = self._call_for(msg)
        if call is None:
            return
        wait = as_seconds(msg.get("HoldTime"))
        if call.queued_at is not None and call.queued_at + wait > now:
            now = self.now = call.queued_at + wait
        call.in_queue, call.queue_result = False, "abandoned"
        call.wait_seconds = wait
        for channel in list(call.ringing):
            self._end_ringing(call, channel, now, out)
        self.emit(
            call,
            CallAbandoned(
                call.key,
                to_datetime(now),
                queue=msg.get("Queue") or call.queue or "",
                position=as_int(msg.get("Position")),
                original_position=as_int(msg.get("OriginalPosition")),
                wait_seconds=wait,
            ),
            out,
        )

    def _agent_called(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        call = self._call_for(msg)
        channel, interface = msg.get("DestChannel"), msg.get("Interface")
        if call is None or not channel or not interface:
            return
        queue = msg.get("Queue") or call.queue or ""
        name = self.agents.display_name(interface, msg.get("MemberName"))
        call.ringing[channel] = RingAttempt(interface, name, queue, now)
        call.ring_attempts += 1
        self.emit(
            call,
            AgentRinging(
                call.key, to_datetime(now), queue=queue, agent_interface=interface, agent_name=name, channel=channel
            ),
            out,
        )
        out.extend(self.agents.ringing(interface, msg.get("MemberName"), channel, queue, call.key.linkedid, now))

    def _dial_end(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        # DialEnd can repeat for one attempt; only the first non-answer ends the ringing.
        if msg.get("DialStatus") == "ANSWER":
            caller = msg.get("Channel")
            call = self._channels.get(caller) if caller else None
            if call is not None and call.origin_interface is not None and caller == call.caller_channel:
                if call.answered is None:
                    call.answered = now
                    out.extend(
                        self.agents.connected(call.origin_interface, None, caller or "", "", call.key.linkedid, now)
                    )
            return
        channel = msg.get("DestChannel")
        call = self._channels.get(channel) if channel else None
        if call is not None and channel is not None:
            self._end_ringing(call, channel, now, out)

    def _ring_no_answer(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        call = self._call_for(msg)
        channel = msg.get("DestChannel")
        if call is None or channel is None:
            return
        attempt = self._end_ringing(call, channel, now, out)
        interface = msg.get("Interface") or (attempt.interface if attempt else "")
        # AgentRingNoAnswer's RingTime is in milliseconds (AgentConnect's is in seconds).
        self.emit(
            call,
            AgentNoAnswer(
                call.key,
                to_datetime(now),
                queue=msg.get("Queue") or call.queue or "",
                agent_interface=interface,
                agent_name=self.agents.display_name(interface, msg.get("MemberName")),
                ring_seconds=as_seconds(msg.get("RingTime")) / 1000.0,
            ),
            out,
        )

    def _agent_connect(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        call = self._call_for(msg)
        interface, channel = msg.get("Interface"), msg.get("DestChannel")
        if call is None or not interface:
            return
        wait = as_seconds(msg.get("HoldTime"))
        if call.queued_at is not None and call.queued_at + wait > now:
            now = self.now = call.queued_at + wait
        queue = msg.get("Queue") or call.queue or ""
        if channel:
            call.ringing.pop(channel, None)
        for other in list(call.ringing):
            self._end_ringing(call, other, now, out)
        user = self.agents.user(interface)
        call.agent_interface, call.agent_channel = interface, channel
        call.agent_name = self.agents.display_name(interface, msg.get("MemberName"))
        call.agent_user_id = user.user_id if user else None
        call.connected, call.queue_result, call.in_queue = True, "connected", False
        call.answered = call.answered if call.answered is not None else now
        call.wait_seconds = wait
        self.emit(
            call,
            CallConnected(
                call.key,
                to_datetime(now),
                queue=queue,
                agent_interface=interface,
                agent_name=call.agent_name,
                wait_seconds=wait,
                ring_seconds=as_seconds(msg.get("RingTime")),
            ),
            out,
        )
        out.extend(
            self.agents.connected(interface, msg.get("MemberName"), channel or "", queue, call.key.linkedid, now)
        )

    def _agent_complete(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        # A caller hung up by a manager action may leave AgentComplete without Channel/Linkedid:
        # find the call by the agent's channel, else by what the member is busy with.
        call = self._call_for(msg)
        interface = msg.get("Interface")
        if call is None and msg.get("DestChannel"):
            call = self._channels.get(msg.get("DestChannel") or "")
        if call is None and interface and interface in self.agents.agents:
            last_call = self.agents.agents[interface].last_call
            call = self.calls.get(last_call) if last_call else None
        if call is None:
            return
        if call.agent_interface is None and interface:
            # Answered while the tracker was blind (adopted by a resync): Asterisk's figures fill in.
            call.agent_interface = interface
            call.agent_name = self.agents.display_name(interface, msg.get("MemberName"))
            user = self.agents.user(interface)
            call.agent_user_id = user.user_id if user else None
            call.queue_result, call.in_queue = "connected", False
        call.queue = call.queue or msg.get("Queue")
        if call.wait_seconds is None:
            call.wait_seconds = as_seconds(msg.get("HoldTime"))
        talk = as_seconds(msg.get("TalkTime"))
        if call.answered is not None and call.answered + talk > now:
            now = self.now = call.answered + talk
        call.talk_seconds = talk
        call.complete_reason = msg.get("Reason")
        call.connected = False
        call.stop_hold(now)
        if call.complete_reason == "transfer" and not call.transferred_last:
            self._transfer(call, TransferKind.BLIND, call.transferred_to, now, out)
        if interface:
            call.wrapup_seconds = self.agents.wrapup_for(interface, call.queue)
            out.extend(self.agents.completed(interface, call.key.linkedid, call.queue, now))

    def _transfer(
        self, call: CallState, kind: TransferKind, target: str | None, now: float, out: list[TrackerEvent]
    ) -> None:
        call.transferred_to, call.transferred_last = target, True
        call.first_hangup = None
        self.emit(
            call,
            CallTransferred(call.key, to_datetime(now), kind=kind, target=target, agent_interface=call.agent_interface),
            out,
        )

    def _blind_transfer(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        linkedid = msg.get("TransfereeLinkedid") or msg.get("TransfererLinkedid")
        call = self.calls.get(linkedid) if linkedid else None
        if call is None or msg.get("Result", "Success") != "Success":
            return
        exten, context = msg.get("Extension"), msg.get("Context")
        self._transfer(call, TransferKind.BLIND, f"{exten}@{context}" if context else exten, now, out)

    def _attended_transfer(self, msg: AmiEventLike, now: float, out: list[TrackerEvent]) -> None:
        linkedid = msg.get("TransfereeLinkedid") or msg.get("OrigTransfererLinkedid")
        call = self.calls.get(linkedid) if linkedid else None
        if call is None or msg.get("Result", "Success") != "Success":
            return
        target = (
            known(msg.get("TransferTargetCallerIDNum"))
            or msg.get("TransferTargetChannel")
            or msg.get("SecondTransfererChannel")
        )
        self._transfer(call, TransferKind.ATTENDED, target, now, out)
