"""Configuration of the simulated Asterisk: AMI users, queues, where the IVR's FastAGI server is.

The defaults reproduce the lab configuration the traces were recorded with (manager.conf,
queues.conf, extensions.conf in tests/data/asterisk-traces/conf/).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.pbxsim.queues import MemberConfig, QueueConfig

EVENT_CLASSES = frozenset(
    {"system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf", "reporting", "cdr",
     "dialplan", "originate", "agi", "cc", "aoc", "test", "security", "message"}
)  # fmt: skip


def parse_classes(value: str) -> frozenset[str]:
    """`read=`/`write=` value -> set of classes (`all` expands to every class)."""
    names = {part.strip().lower() for part in value.split(",") if part.strip()}
    if "all" in names:
        return EVENT_CLASSES
    return frozenset(names & EVENT_CLASSES)


@dataclass(frozen=True)
class AmiUser:
    """A manager.conf account."""

    username: str
    secret: str
    read: frozenset[str] = EVENT_CLASSES
    write: frozenset[str] = EVENT_CLASSES


def lab_queues() -> list[QueueConfig]:
    """The `support` (rrmemory, agents 1001-1003) and `sales` (ringall, 1003-1004) queues of the lab."""
    return [
        QueueConfig(
            "support",
            strategy="rrmemory",
            servicelevel=20,
            members=[MemberConfig(f"Local/agent{n}@agents/n", f"Agent {n}") for n in (1001, 1002, 1003)],
        ),
        QueueConfig(
            "sales",
            strategy="ringall",
            servicelevel=30,
            members=[MemberConfig(f"Local/agent{n}@agents/n", f"Agent {n}") for n in (1003, 1004)],
        ),
    ]


def lab_users() -> list[AmiUser]:
    """`callcenter` (read/write all) and the read-only `reporting` account of the lab."""
    return [
        AmiUser("callcenter", "lab-secret"),
        AmiUser(
            "reporting",
            "lab-reporting",
            read=parse_classes("system,call,agent,user"),
            write=parse_classes("reporting"),
        ),
    ]


def numbered_agents(count: int, queues: list[str], *, first: int = 1001) -> list[QueueConfig]:
    """`count` agents `Local/agentNNNN@agents/n` in every queue of `queues` (rrmemory and ringall alternate)."""
    members = [MemberConfig(f"Local/agent{n}@agents/n", f"Agent {n}") for n in range(first, first + count)]
    return [
        QueueConfig(name, strategy="rrmemory" if i % 2 == 0 else "ringall", members=list(members))
        for i, name in enumerate(queues)
    ]


@dataclass
class PbxConfig:
    """Everything that shapes the simulated Asterisk."""

    users: list[AmiUser] = field(default_factory=lab_users)
    queues: list[QueueConfig] = field(default_factory=lab_queues)
    agi_url: str = "agi://127.0.0.1:4573"
    transfer_queues: dict[str, str] = field(default_factory=lambda: {"2000": "sales"})
    version: str = "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-23 12:45:10 UTC"
    login_failure_delay: float = 1.0
    restart_downtime: float = 0.5
    max_client_buffer: int = 8 << 20
    slow_client_timeout: float = 5.0
    socket_send_buffer: int = 256 << 10
