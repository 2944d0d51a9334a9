"""Channels as Asterisk reports them: the standard snapshot headers and per-boot identifiers.

Uniqueids are `<epoch>.<counter>` and Local channel names carry an 8-hex-digit suffix; both counters
start at 0 when Asterisk (re)starts, so they are unique only within one boot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.telephony.ami.codec import encode_message

STATE_DOWN = 0
STATE_RING = 4
STATE_RINGING = 5
STATE_UP = 6
STATE_DESC = {STATE_DOWN: "Down", STATE_RING: "Ring", STATE_RINGING: "Ringing", STATE_UP: "Up"}
UNKNOWN = "<unknown>"

CAUSE_TEXT = {
    0: "Unknown",
    16: "Normal Clearing",
    17: "User busy",
    19: "No user responding",
    26: "Answered elsewhere",
    32: "Circuit/channel congestion",
}


class BootIds:
    """Identifier counters of one Asterisk boot."""

    def __init__(self) -> None:
        self._unique = 0
        self._local = 0

    def uniqueid(self, now: float) -> str:
        """Next Uniqueid, stamped with the current epoch second."""
        value = f"{int(now)}.{self._unique}"
        self._unique += 1
        return value

    def local_suffix(self) -> str:
        """Next Local channel suffix (`00000000`, `00000001`, ...)."""
        value = f"{self._local:08x}"
        self._local += 1
        return value


@dataclass(eq=False)
class Channel:
    """One channel (one half of a Local pair) with the fields every channel event carries."""

    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    priority: int = 1
    state: int = STATE_DOWN
    cid_num: str = ""
    cid_name: str = ""
    conn_num: str = ""
    conn_name: str = ""
    created: float = 0.0
    application: str = ""
    app_data: str = ""
    bridge_id: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    alive: bool = True
    _encoded: dict[str, tuple[tuple[object, ...], bytes]] = field(default_factory=dict, repr=False)

    def snapshot(self, prefix: str = "") -> list[tuple[str, str]]:
        """The channel snapshot block (`Channel` ... `Linkedid`), optionally prefixed (`Dest`, `LocalOne`)."""
        return [
            (prefix + "Channel", self.name),
            (prefix + "ChannelState", str(self.state)),
            (prefix + "ChannelStateDesc", STATE_DESC[self.state]),
            (prefix + "CallerIDNum", self.cid_num or UNKNOWN),
            (prefix + "CallerIDName", self.cid_name or UNKNOWN),
            (prefix + "ConnectedLineNum", self.conn_num or UNKNOWN),
            (prefix + "ConnectedLineName", self.conn_name or UNKNOWN),
            (prefix + "Language", "en"),
            (prefix + "AccountCode", ""),
            (prefix + "Context", self.context),
            (prefix + "Exten", self.exten),
            (prefix + "Priority", str(self.priority)),
            (prefix + "Uniqueid", self.uniqueid),
            (prefix + "Linkedid", self.linkedid),
        ]

    def snapshot_lines(self, prefix: str = "") -> bytes:
        """The snapshot block encoded as header lines, re-encoded only when the channel changed."""
        key = (self.state, self.cid_num, self.cid_name, self.conn_num, self.conn_name, self.context, self.exten,
               self.priority)  # fmt: skip
        cached = self._encoded.get(prefix)
        if cached is not None and cached[0] == key:
            return cached[1]
        lines = encode_message(self.snapshot(prefix))[:-2]
        self._encoded[prefix] = (key, lines)
        return lines

    def goto(self, context: str, exten: str, priority: int) -> None:
        """Move the channel to a dialplan location."""
        self.context, self.exten, self.priority = context, exten, priority


@dataclass(eq=False)
class LocalPair:
    """The two halves of a Local channel: `;1` faces the dialler, `;2` runs the dialplan."""

    one: Channel
    two: Channel

    @property
    def base(self) -> str:
        """Name without the `;1`/`;2` half marker."""
        return self.one.name[:-2]


def make_local_pair(
    ids: BootIds, now: float, target: str, *, linkedid: str | None, context: str, exten: str
) -> LocalPair:
    """Create `Local/<target>-XXXXXXXX;1` and `;2` the way Asterisk numbers them."""
    suffix = ids.local_suffix()
    base = f"Local/{target}-{suffix}"
    uid_one = ids.uniqueid(now)
    uid_two = ids.uniqueid(now)
    link = linkedid or uid_one
    one = Channel(base + ";1", uid_one, link, context, exten, state=STATE_DOWN, created=now)
    two = Channel(base + ";2", uid_two, link, context, exten, state=STATE_RING, created=now)
    return LocalPair(one, two)
