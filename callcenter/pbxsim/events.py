"""The event bus of the simulated Asterisk and builders for the channel, dial and bridge events.

Every event is encoded once and the same bytes go to every AMI session whose read permission and
`Events:` filter accept its class (`call`, `dialplan`, `agent`, `agi`, `dtmf`, `system`, `security`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from callcenter.pbxsim.channels import CAUSE_TEXT, Channel, LocalPair
from callcenter.telephony.ami.codec import encode_message

Headers = list[tuple[str, str]]


def header_lines(headers: Headers) -> bytes:
    """`Key: Value` lines without the empty line that ends a message (CR/LF in a value is refused)."""
    return encode_message(headers)[:-2] if headers else b""


class EventSubscriber(Protocol):
    """Anything that receives encoded events (an AMI session, a test recorder)."""

    def wants(self, category: str) -> bool: ...

    def deliver(self, category: str, name: str, data: bytes) -> None: ...


class EventBus:
    """Fan-out of encoded events to subscribers."""

    def __init__(self) -> None:
        self._subscribers: list[EventSubscriber] = []
        self._heads: dict[tuple[str, str], bytes] = {}

    def subscribe(self, subscriber: EventSubscriber) -> None:
        """Start delivering events to `subscriber`."""
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: EventSubscriber) -> None:
        """Stop delivering events to `subscriber` (no error when unknown)."""
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def emit(self, name: str, category: str, headers: Iterable[tuple[str, str]]) -> None:
        """Publish `Event: name` with `Privilege: category,all` and `headers`."""
        self.emit_parts(name, category, [list(headers)])

    def emit_parts(self, name: str, category: str, parts: list[bytes | Headers]) -> None:
        """Publish an event whose headers come as parts: encoded header lines (cached snapshots) or pairs."""
        targets = [subscriber for subscriber in self._subscribers if subscriber.wants(category)]
        if not targets:
            return
        head = self._heads.get((name, category))
        if head is None:
            head = self._heads[(name, category)] = header_lines([("Event", name), ("Privilege", f"{category},all")])
        chunks = [head]
        chunks += [part if isinstance(part, bytes) else header_lines(part) for part in parts]
        chunks.append(b"\r\n")
        data = b"".join(chunks)
        for subscriber in targets:
            subscriber.deliver(category, name, data)


@dataclass(eq=False)
class Bridge:
    """A basic two-party bridge."""

    id: str
    channels: list[Channel]

    def headers(self) -> Headers:
        """The bridge snapshot block."""
        return [
            ("BridgeUniqueid", self.id),
            ("BridgeType", "basic"),
            ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"),
            ("BridgeName", "<unknown>"),
            ("BridgeNumChannels", str(len(self.channels))),
            ("BridgeVideoSourceMode", "none"),
        ]


class ChannelEvents:
    """Builders for the events that describe channels, dialling and bridges."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def newchannel(self, ch: Channel) -> None:
        """A channel was created."""
        self.bus.emit_parts("Newchannel", "call", [ch.snapshot_lines()])

    def newstate(self, ch: Channel, state: int) -> None:
        """The channel changed state (Ringing, Up)."""
        ch.state = state
        self.bus.emit_parts("Newstate", "call", [ch.snapshot_lines()])

    def newexten(self, ch: Channel, priority: int, app: str, data: str = "") -> None:
        """The channel runs dialplan application `app` at `priority` of its extension."""
        ch.priority = priority
        ch.application, ch.app_data = app, data
        self.bus.emit_parts(
            "Newexten",
            "dialplan",
            [ch.snapshot_lines(), [("Extension", ch.exten), ("Application", app), ("AppData", data)]],
        )

    def varset(self, ch: Channel, variable: str, value: str) -> None:
        """A channel variable was set."""
        ch.variables[variable] = value
        self.bus.emit_parts("VarSet", "dialplan", [ch.snapshot_lines(), [("Variable", variable), ("Value", value)]])

    def newcallerid(self, ch: Channel, num: str, name: str) -> None:
        """The channel's caller id changed."""
        ch.cid_num, ch.cid_name = num, name
        self.bus.emit(
            "NewCallerid", "call", [*ch.snapshot(), ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")]
        )

    def newconnectedline(self, ch: Channel, num: str, name: str) -> None:
        """The channel's connected line changed."""
        ch.conn_num, ch.conn_name = num, name
        self.bus.emit_parts("NewConnectedLine", "call", [ch.snapshot_lines()])

    def local_bridge(self, pair: LocalPair, context: str, exten: str) -> None:
        """The two halves of a Local channel were joined."""
        self.bus.emit(
            "LocalBridge",
            "call",
            [
                *pair.one.snapshot("LocalOne"),
                *pair.two.snapshot("LocalTwo"),
                ("Context", context),
                ("Exten", exten),
                ("LocalOptimization", "Yes"),
            ],
        )

    def dial_begin(self, caller: Channel | None, dest: Channel, dialstring: str) -> None:
        """Dialling `dest` started (an Originate has no calling channel)."""
        caller_part = caller.snapshot_lines() if caller else b""
        self.bus.emit_parts(
            "DialBegin", "call", [caller_part, dest.snapshot_lines("Dest"), [("DialString", dialstring)]]
        )

    def dial_state(self, caller: Channel, dest: Channel, status: str) -> None:
        """The dialled channel reported progress (RINGING)."""
        self.bus.emit_parts(
            "DialState", "call", [caller.snapshot_lines(), dest.snapshot_lines("Dest"), [("DialStatus", status)]]
        )

    def dial_end(self, caller: Channel | None, dest: Channel, status: str) -> None:
        """Dialling ended with `status` (ANSWER, CANCEL, NOANSWER)."""
        caller_part = caller.snapshot_lines() if caller else b""
        self.bus.emit_parts("DialEnd", "call", [caller_part, dest.snapshot_lines("Dest"), [("DialStatus", status)]])

    def device_state(self, device: str, state: str) -> None:
        """A device changed state (INUSE, NOT_INUSE, RINGING ...)."""
        self.bus.emit("DeviceStateChange", "call", [("Device", device), ("State", state)])

    def soft_hangup_request(self, ch: Channel, cause: int) -> None:
        """Something asked the channel to hang up."""
        self.bus.emit_parts("SoftHangupRequest", "call", [ch.snapshot_lines(), [("Cause", str(cause))]])

    def hangup_request(self, ch: Channel, cause: int) -> None:
        """The channel's peer asked it to hang up."""
        self.bus.emit_parts("HangupRequest", "call", [ch.snapshot_lines(), [("Cause", str(cause))]])

    def hangup(self, ch: Channel, cause: int) -> None:
        """The channel is gone."""
        ch.alive = False
        cause_fields = [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))]
        self.bus.emit_parts("Hangup", "call", [ch.snapshot_lines(), cause_fields])

    def moh(self, ch: Channel, start: bool) -> None:
        """Music on hold started or stopped on the channel."""
        if start:
            self.bus.emit("MusicOnHoldStart", "call", [*ch.snapshot(), ("Class", "default")])
        else:
            self.bus.emit("MusicOnHoldStop", "call", ch.snapshot())

    def dtmf(self, ch: Channel, digit: str) -> None:
        """One received DTMF digit (begin and end)."""
        snapshot = ch.snapshot_lines()
        self.bus.emit_parts("DTMFBegin", "dtmf", [snapshot, [("Digit", digit), ("Direction", "Received")]])
        self.bus.emit_parts(
            "DTMFEnd", "dtmf", [snapshot, [("Digit", digit), ("DurationMs", "100"), ("Direction", "Received")]]
        )

    def bridge_create(self) -> Bridge:
        """Create a basic bridge."""
        bridge = Bridge(str(uuid.uuid4()), [])
        self.bus.emit("BridgeCreate", "call", bridge.headers())
        return bridge

    def bridge_enter(self, bridge: Bridge, ch: Channel) -> None:
        """`ch` joined the bridge."""
        bridge.channels.append(ch)
        ch.bridge_id = bridge.id
        self.bus.emit("BridgeEnter", "call", [*bridge.headers(), *ch.snapshot()])

    def bridge_leave(self, bridge: Bridge, ch: Channel) -> None:
        """`ch` left the bridge."""
        if ch in bridge.channels:
            bridge.channels.remove(ch)
        ch.bridge_id = ""
        self.bus.emit("BridgeLeave", "call", [*bridge.headers(), *ch.snapshot()])

    def bridge_destroy(self, bridge: Bridge) -> None:
        """The bridge is gone."""
        self.bus.emit("BridgeDestroy", "call", bridge.headers())
