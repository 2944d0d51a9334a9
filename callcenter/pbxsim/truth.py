"""Ground truth: what the simulator chose and what happened to every call it ran."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class CallSpec:
    """How the simulated caller behaves (the Originate's variables, or the traffic generator's draw).

    `hold` mirrors the lab dialplan: seconds the caller stays after keying the account number; the lab's
    caller keys its digits at fixed moments, while with `answers_prompts` it keys the choice at a menu and
    the account when asked for digits, whatever the IVR's order (the traffic generator's callers).
    `patience` (seconds in queue before giving up) and `caller_talk` (seconds of talk before the caller
    hangs up) are the generator's finer controls; `talk` is when the agent hangs up.
    """

    caller_num: str
    caller_name: str = ""
    choice: str = "1"
    account: str = "1234"
    hold: float | None = 30.0
    mode: str = "normal"
    talk: float | None = None
    ring_seconds: float | None = None
    patience: float | None = None
    caller_talk: float | None = None
    transfer_after: float | None = None
    transfer_to: str = "2000"
    answers_prompts: bool = False
    variables: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CallTruth:
    """The outcome of one simulated call, in the vocabulary of `callcenter ami replay`."""

    linkedid: str
    caller_number: str
    caller_name: str
    started: float
    ended: float | None = None
    outcome: str = ""
    queue: str | None = None
    agent_interface: str | None = None
    agent_name: str | None = None
    wait_seconds: float = 0.0
    talk_seconds: float = 0.0
    ring_attempts: int = 0
    hangup_by: str = ""
    position: int | None = None
    ivr_choice: str = ""
    ivr_account: str = ""
    transferred_to: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain dict (JSON-ready)."""
        return asdict(self)
