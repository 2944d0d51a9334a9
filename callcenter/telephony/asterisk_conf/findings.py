"""What ``callcenter asterisk check`` reports, and the service facts the configuration is compared with.

The checker is handed plain facts (the service's FastAGI address, its AMI logins, the queues,
transfers and mailboxes each flow can send a caller to, with the flow file line that names them)
so this adapter never imports the IVR room; the command builds them from settings and flows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.telephony.asterisk_conf.parser import Origin


@dataclass(frozen=True, order=True)
class Finding:
    """One disagreement, at the exact line that causes it (line 0: the file as a whole)."""

    origin: Origin
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.origin}: {'warning: ' if self.warning else ''}{self.message}"


@dataclass(frozen=True)
class AmiLogin:
    """How the service logs in to one Asterisk's AMI (one ``CALLCENTER_AMI_SERVERS`` entry)."""

    server: str
    host: str
    port: int
    username: str
    secret: str
    events: str | None


@dataclass(frozen=True)
class FlowTarget:
    """Something a flow can send a caller to, with the flow-file line naming it.

    ``kind`` is ``queue`` (a queue or callback node's queue), ``transfer`` (``value`` is the
    extension, ``context`` its context) or ``mailbox`` (``box@context``).
    """

    kind: str
    value: str
    origin: Origin
    node: str
    context: str | None = None


@dataclass
class FlowFacts:
    """One flow: its name (the script in ``agi://host:port/<name>``) and its targets."""

    name: str
    file: str
    targets: list[FlowTarget] = field(default_factory=list)


@dataclass
class ServiceFacts:
    """What the service is configured to do, which the Asterisk configuration must agree with."""

    agi_host: str
    agi_port: int
    ami_logins: list[AmiLogin]
    flows: list[FlowFacts]
    flows_dir: str
    known_queues: list[str] = field(default_factory=list)
