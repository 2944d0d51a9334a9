"""Reconciling the tracker with what Asterisk says is up, after a (re)connect.

AMI has no replay: while the service is blind, calls end and begin without a trace. After
each connect the client lists the channels (CoreShowChannels) and the queues (QueueStatus)
and hands the items here:

* a call the tracker holds none of whose channels is still up ended while blind: it is
  closed with what is known and marked reconstructed (a queue_log backfill can complete it);
* a call with channels still up carries on; channels that vanished are dropped and new
  ones (an agent leg that appeared) are attached;
* a call the tracker never saw is adopted, reconstructed, with its start time from the
  channels' Duration, its queue and wait from QueueEntry and its agent from the agent leg;
* queue members get their state from the QueueMember items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from callcenter.calls.call import CallState
from callcenter.calls.events import CallQueued, CallStarted, TrackerEvent
from callcenter.calls.legs import AmiEventLike, as_int, device_of, known, member_key, to_datetime
from callcenter.calls.summary import CallSummary
from callcenter.calls.tracker import CallTracker

_AGENT_APPS = frozenset({"AppQueue"})
# The list items a resync reads (an AMI decoder filtering events must let these through).
RESYNC_EVENTS = frozenset(
    {"CoreShowChannel", "CoreShowChannelsComplete", "QueueParams", "QueueMember", "QueueEntry", "QueueStatusComplete"}
)


@dataclass
class ResyncResult:
    events: list[TrackerEvent] = field(default_factory=list)
    ended_while_blind: list[CallSummary] = field(default_factory=list)
    continued: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)


def duration_seconds(value: str | None) -> int:
    """CoreShowChannel's ``Duration`` (``HH:MM:SS``) in seconds."""
    if not value:
        return 0
    seconds = 0
    for part in value.split(":"):
        seconds = seconds * 60 + as_int(part)
    return seconds


def _member_by_device(tracker: CallTracker) -> dict[str, str]:
    return {member_key(interface): interface for interface in tracker.agents.agents}


@dataclass(frozen=True)
class ResyncMark:
    """What the tracker held when the lists were asked for.

    Events keep arriving while the lists are on their way: a call that starts after the mark
    is missing from a list that was made before it, and is not over.
    """

    calls: frozenset[str]
    channels: frozenset[str]


def mark(tracker: CallTracker) -> ResyncMark:
    """Take the mark just before sending CoreShowChannels/QueueStatus."""
    return ResyncMark(frozenset(tracker.calls), tracker.live_channels())


def reconcile(
    tracker: CallTracker,
    channels: Iterable[AmiEventLike],
    queue_status: Iterable[AmiEventLike],
    now: float,
    *,
    boot: str | None = None,
    since: ResyncMark | None = None,
) -> ResyncResult:
    """Bring ``tracker`` in line with CoreShowChannel and QueueStatus items received at ``now``.

    ``boot`` is the Asterisk boot the lists come from: calls closed blind keep the key of their
    own boot, calls found up get keys of this one. ``since``: the mark taken before the lists
    were asked for; only what the tracker held then can have ended unseen.
    """
    result = ResyncResult()
    tracker.now = max(tracker.now, now)
    now = tracker.now
    entries: dict[str, AmiEventLike] = {}
    for item in queue_status:
        if item.name == "QueueEntry" and item.get("Channel"):
            entries[item.get("Channel") or ""] = item
        elif item.name == "QueueMember":
            result.events.extend(tracker.agents.on_member(item, now))
    up: dict[str, list[AmiEventLike]] = defaultdict(list)
    for item in channels:
        linkedid = item.get("Linkedid")
        if linkedid and item.get("Channel"):
            up[linkedid].append(item)

    for linkedid, call in list(tracker.calls.items()):
        if linkedid in up or (since is not None and linkedid not in since.calls):
            continue
        result.ended_while_blind.append(tracker.close_call(call, now, result.events, reconstructed=True))
    if boot is not None:
        tracker.boot = boot

    members = _member_by_device(tracker)
    for linkedid, items in up.items():
        call = tracker.calls.get(linkedid)
        if call is None and tracker.finished_recently(linkedid):
            continue  # it ended (and was seen ending) while the list was on its way
        if call is None:
            oldest = max(duration_seconds(i.get("Duration")) for i in items)
            call = tracker.adopt(linkedid, now - oldest)
            call.reconstructed = True
            result.adopted.append(linkedid)
        else:
            result.continued.append(linkedid)
        _align_channels(tracker, call, items, since, now, result.events)
        _apply_channels(tracker, call, items, entries, members, now, result.events)
    return result


def _align_channels(
    tracker: CallTracker,
    call: CallState,
    items: list[AmiEventLike],
    since: ResyncMark | None,
    now: float,
    out: list[TrackerEvent],
) -> None:
    names = {i.get("Channel") or "" for i in items}
    for channel in list(call.live - names):
        if since is not None and channel not in since.channels:
            continue
        attempt = call.ringing.get(channel)
        if attempt is not None:
            out.extend(tracker.agents.ring_ended(attempt.interface, channel, now))
        if call.agent_interface is not None and channel == call.agent_channel:
            # The agent's leg went away unseen (a redirect, a transfer): the agent is free.
            call.connected = False
            out.extend(tracker.agents.completed(call.agent_interface, call.key.linkedid, call.queue, now))
        tracker.forget_channel(call, channel)
    for channel in names - call.live - call.dead:
        tracker.attach_channel(call, channel)


def _apply_channels(
    tracker: CallTracker,
    call: CallState,
    items: list[AmiEventLike],
    entries: dict[str, AmiEventLike],
    members: dict[str, str],
    now: float,
    out: list[TrackerEvent],
) -> None:
    for item in items:
        channel = item.get("Channel") or ""
        if call.caller_channel is None and item.get("Uniqueid") == call.key.linkedid:
            call.caller_channel = channel
            call.caller_number = known(item.get("CallerIDNum")) or call.caller_number
            call.caller_name = known(item.get("CallerIDName")) or call.caller_name
            tracker.emit(
                call,
                CallStarted(
                    call.key,
                    to_datetime(call.started),
                    caller_number=call.caller_number,
                    caller_name=call.caller_name,
                    channel=channel,
                ),
                out,
            )
        entry = entries.get(channel)
        if entry is not None and not call.in_queue:
            call.queue_channel = channel
            call.queue = entry.get("Queue") or call.queue
            call.queued_at = now - as_int(entry.get("Wait"))
            call.position = as_int(entry.get("Position"))
            call.in_queue, call.queue_result, call.connected = True, None, False
            tracker.emit(
                call,
                CallQueued(call.key, to_datetime(call.queued_at), queue=call.queue or "", position=call.position),
                out,
            )
        interface = members.get(device_of(channel))
        if item.get("Application") in _AGENT_APPS and interface and item.get("BridgeId"):
            # An agent leg bridged to the caller: the call was answered while we were blind.
            if not call.connected:
                call.agent_interface, call.agent_channel = interface, channel
                call.agent_name = tracker.agents.display_name(interface, tracker.agents.agents[interface].name)
                user = tracker.agents.user(interface)
                call.agent_user_id = user.user_id if user else None
                call.connected, call.in_queue, call.queue_result = True, False, "connected"
                call.queue_channel = call.queue_channel or call.caller_channel
                call.answered = (
                    call.answered if call.answered is not None else now - duration_seconds(item.get("Duration"))
                )
            out.extend(tracker.agents.connected(interface, None, channel, call.queue or "", call.key.linkedid, now))
