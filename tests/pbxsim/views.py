"""Timing-independent views of AMI event streams, to compare the simulator with the real captures.

A call's events are grouped by Linkedid; channel names become roles (`customer;1`, `agent1003#2;2` for
the second ring leg of agent 1003 in that call) so two runs with different counters compare equal.
Within one channel the order of events is fixed by the channel's own thread in Asterisk; across
channels only the call-state events (queue, agent, dial, bridge, hangup) are compared in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage

TRACES = Path(__file__).resolve().parent.parent / "data" / "asterisk-traces"

# Published by app_queue's own thread: ordered among themselves, not against the channels' events.
QUEUE_EVENTS = {
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentCalled",
    "AgentConnect",
    "AgentComplete",
    "AgentRingNoAnswer",
}
ASYNC_EVENTS = {"OriginateResponse", "AgentComplete"}
KEY_EVENTS = {
    "OriginateResponse",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "AgentCalled",
    "AgentConnect",
    "AgentComplete",
    "AgentRingNoAnswer",
    "DialBegin",
    "DialEnd",
    "BridgeEnter",
    "BridgeLeave",
    "Hangup",
    "BlindTransfer",
}
KEY_FIELDS = (
    "Queue",
    "Position",
    "Count",
    "OriginalPosition",
    "MemberName",
    "Interface",
    "DialStatus",
    "Reason",
    "Cause",
)

LOCAL = re.compile(r"^Local/(?P<target>[^@]+)@(?P<ctx>[^-]+)-[0-9a-f]{8};(?P<half>[12])$")


def load_trace(name: str) -> list[AmiMessage]:
    """Every message of a capture file (banner skipped)."""
    return decode((TRACES / name).read_bytes())


def decode(data: bytes) -> list[AmiMessage]:
    """Every message of a received AMI byte stream."""
    decoder = AmiDecoder(expect_banner=True)
    messages = decoder.feed(data)
    assert not decoder.errors, decoder.errors
    return messages


@dataclass
class CallView:
    """The events of one call (one Linkedid), with roles for its channels."""

    linkedid: str
    events: list[AmiMessage] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    legs: dict[str, str] = field(default_factory=dict)

    def role(self, channel: str | None) -> str:
        """Role of a channel name (`customer;1`, `agent1001#1;2`)."""
        if not channel:
            return ""
        if channel not in self.roles:
            match = LOCAL.match(channel)
            if match is None:
                return channel
            prefix = channel[: channel.rindex(";")]
            if prefix not in self.legs:
                if match["ctx"] == "customer":
                    self.legs[prefix] = "customer"
                else:
                    target = match["target"]
                    count = sum(1 for base in self.legs.values() if base.startswith(target + "#"))
                    self.legs[prefix] = f"{target}#{count + 1}"
            self.roles[channel] = f"{self.legs[prefix]};{match['half']}"
        return self.roles[channel]

    def leg_sequences(self) -> dict[str, list[str]]:
        """Per channel role, the ordered event names of the events about that channel."""
        legs: dict[str, list[str]] = {}
        for event in self.events:
            channel = event.get("Channel")
            # these name the channel but are published by another thread, so their place among its events varies
            if channel and event.name not in ASYNC_EVENTS:
                legs.setdefault(self.role(channel), []).append(event.name)
        return legs

    def _key(self, event: AmiMessage) -> tuple[str, ...]:
        fields = tuple(f"{k}={event.get(k)}" for k in KEY_FIELDS if event.get(k) is not None)
        # Asterisk leaves out Dest* of AgentComplete when the agent channel is already gone (ami-09, last call)
        dest = "" if event.name == "AgentComplete" else self.role(event.get("DestChannel"))
        return (event.name, self.role(event.get("Channel")), dest, *fields)

    def queue_sequence(self) -> list[tuple[str, ...]]:
        """The queue and agent events in order (the AgentCalled of one ringall round in any order)."""
        out: list[tuple[str, ...]] = []
        run: list[tuple[str, ...]] = []
        for event in self.events:
            if event.name not in QUEUE_EVENTS:
                continue
            key = self._key(event)
            if event.name == "AgentCalled":
                run.append(key)
                continue
            out += sorted(run)
            run = []
            out.append(key)
        return out + sorted(run)

    def key_events(self) -> list[tuple[str, ...]]:
        """Every call-state event with its fields, sorted: the same facts regardless of thread timing."""
        return sorted(self._key(event) for event in self.events if event.name in KEY_EVENTS)

    def names(self) -> list[str]:
        """Every event name of the call, in order."""
        return [event.name for event in self.events]


def calls(messages: list[AmiMessage]) -> list[CallView]:
    """Calls in order of appearance; OriginateResponse joins its call by Uniqueid."""
    views: dict[str, CallView] = {}
    by_uniqueid: dict[str, str] = {}
    for message in messages:
        if message.kind != "event":
            continue
        linkedid = message.get("Linkedid") or message.get("DestLinkedid")
        if linkedid is None and message.name == "OriginateResponse":
            linkedid = by_uniqueid.get(message.get("Uniqueid") or "")
        if linkedid is None:
            continue
        view = views.setdefault(linkedid, CallView(linkedid))
        for key in ("Uniqueid", "DestUniqueid"):
            if message.get(key):
                by_uniqueid[message[key]] = linkedid
        for key in ("Channel", "DestChannel"):
            view.role(message.get(key))
        view.events.append(message)
    return list(views.values())
