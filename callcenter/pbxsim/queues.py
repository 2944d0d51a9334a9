"""Queues, members and the agents behind them, with the counters QueueStatus/QueueSummary report.

An agent (one interface such as `Local/agent1001@agents/n`) may be a member of several queues; its
device state is shared, its pause state, penalty and call counters are per queue, as in app_queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS_NOT_INUSE = 1
STATUS_INUSE = 2

STRATEGIES = ("ringall", "rrmemory")


@dataclass
class MemberConfig:
    """A static member line of queues.conf (`member => interface,penalty,name`)."""

    interface: str
    name: str
    penalty: int = 0


@dataclass
class QueueConfig:
    """One queue of queues.conf."""

    name: str
    strategy: str = "ringall"
    timeout: float = 15.0
    retry: float = 2.0
    wrapuptime: float = 5.0
    servicelevel: int = 20
    max_wait: float = 300.0
    members: list[MemberConfig] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"queue {self.name}: strategy {self.strategy!r} is not one of {', '.join(STRATEGIES)}")


@dataclass(eq=False)
class Agent:
    """The device behind an interface: ringing or on a call, and when its wrap-up ends."""

    interface: str
    name: str
    state_interface: str
    busy: bool = False
    wrapup_until: float = 0.0

    @property
    def status(self) -> int:
        """Device status as QueueMember events report it (1 not in use, 2 in use)."""
        return STATUS_INUSE if self.busy else STATUS_NOT_INUSE

    @property
    def device(self) -> str:
        """Device name as DeviceStateChange reports it (no `/n` option suffix)."""
        return self.interface.removesuffix("/n")


@dataclass(eq=False)
class QueueMember:
    """An agent's membership in one queue."""

    queue: Queue
    agent: Agent
    penalty: int
    dynamic: bool
    login_time: int
    paused: bool = False
    paused_reason: str = ""
    last_pause: int = 0
    calls_taken: int = 0
    last_call: int = 0
    in_call: bool = False

    def fields(self, *, name_key: str = "MemberName", location_key: str = "Interface") -> list[tuple[str, str]]:
        """The member block shared by QueueMember* events and the QueueStatus list."""
        return [
            (name_key, self.agent.name),
            (location_key, self.agent.interface),
            ("StateInterface", self.agent.state_interface),
            ("Membership", "dynamic" if self.dynamic else "static"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if self.in_call else "0"),
            ("Status", str(self.agent.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason),
        ]

    def event_fields(self) -> list[tuple[str, str]]:
        """Fields of QueueMemberStatus/Pause/Added/Removed/Penalty after `Queue:`."""
        return [("Queue", self.queue.name), *self.fields(), ("Ringinuse", "0"), ("Wrapuptime", "0")]

    def available(self, now: float) -> bool:
        """Free to be rung for this queue now."""
        return not self.paused and not self.agent.busy and now >= self.agent.wrapup_until


@dataclass(eq=False)
class Queue:
    """A queue: its members in configuration order, its waiting callers and its statistics."""

    config: QueueConfig
    members: list[QueueMember] = field(default_factory=list)
    callers: list[object] = field(default_factory=list)
    completed: int = 0
    abandoned: int = 0
    holdtime_total: float = 0.0
    talktime_total: float = 0.0
    answered_within_sl: int = 0
    rr_next: int = 0

    @property
    def name(self) -> str:
        """Queue name."""
        return self.config.name

    def member(self, interface: str) -> QueueMember | None:
        """The membership of `interface`, if any."""
        for member in self.members:
            if member.agent.interface == interface:
                return member
        return None

    def avg_holdtime(self) -> int:
        """Average hold time of completed calls, rounded as app_queue does."""
        return round(self.holdtime_total / self.completed) if self.completed else 0

    def avg_talktime(self) -> int:
        """Average talk time of completed calls."""
        return round(self.talktime_total / self.completed) if self.completed else 0

    def service_level_perf(self) -> str:
        """Share of answered calls within the service level, one decimal."""
        return f"{100.0 * self.answered_within_sl / self.completed:.1f}" if self.completed else "0.0"

    def params(self) -> list[tuple[str, str]]:
        """The QueueParams block of QueueStatus."""
        perf = self.service_level_perf()
        return [
            ("Queue", self.name),
            ("Max", "0"),
            ("Strategy", self.config.strategy),
            ("Calls", str(len(self.callers))),
            ("Holdtime", str(self.avg_holdtime())),
            ("TalkTime", str(self.avg_talktime())),
            ("Completed", str(self.completed)),
            ("Abandoned", str(self.abandoned)),
            ("ServiceLevel", str(self.config.servicelevel)),
            ("ServicelevelPerf", perf),
            ("ServicelevelPerf2", perf),
            ("Weight", "0"),
        ]

    def pick_members(self, now: float) -> list[QueueMember]:
        """Members to ring for the next caller, by the queue's strategy (empty when nobody is free)."""
        free = [m for m in self.members if m.available(now)]
        if not free:
            return []
        best = min(m.penalty for m in free)
        free = [m for m in free if m.penalty == best]
        if self.config.strategy == "ringall":
            return free
        # rrmemory: the first free member at or after the position that follows the last one rung
        count = len(self.members)
        for step in range(count):
            candidate = self.members[(self.rr_next + step) % count]
            if candidate in free:
                self.rr_next = (self.members.index(candidate) + 1) % count
                return [candidate]
        return []
