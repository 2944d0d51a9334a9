"""Call traffic for the simulator: Poisson arrivals, IVR choices, agent answers, talk, patience, transfers.

Every random draw of call number N comes from a generator seeded with (seed, N), and every ring
attempt's answer from (seed, N, member, attempt), so the same seed gives every call the same caller,
choices and behaviour however the run's timing interleaves the calls. What each call then did (outcome,
queue, agent, wait, talk) is its ground truth, in `Pbx.finished`.
"""

from __future__ import annotations

import asyncio
import random
import weakref
from dataclasses import dataclass, field

from callcenter.pbxsim.call import Call
from callcenter.pbxsim.pbx import Pbx
from callcenter.pbxsim.queues import QueueMember
from callcenter.pbxsim.truth import CallSpec, CallTruth

FIRST_NAMES = ("Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Karl", "Lena")


@dataclass
class TrafficProfile:
    """What the callers and agents do, on average."""

    calls_per_minute: float = 6.0
    max_calls: int | None = None
    menu_choices: dict[str, float] = field(default_factory=lambda: {"1": 0.55, "2": 0.35, "3": 0.05, "": 0.05})
    hangup_in_menu: float = 0.02
    answer_probability: float = 0.9
    ring_seconds: tuple[float, float] = (1.0, 6.0)
    talk_seconds: float = 120.0
    caller_ends_talk: float = 0.5
    patience_seconds: float = 90.0
    transfer_probability: float = 0.05

    def __post_init__(self) -> None:
        if self.calls_per_minute <= 0:
            raise ValueError("calls_per_minute must be positive")
        if not 0 <= self.answer_probability <= 1:
            raise ValueError("answer_probability must be between 0 and 1")


@dataclass
class PlannedCall:
    """The draw for call number `index` and, once it started, its Linkedid."""

    index: int
    spec: CallSpec
    truth: CallTruth


class TrafficGenerator:
    """Originates calls on a `Pbx` and answers its agents' phones, deterministically for a seed."""

    def __init__(self, pbx: Pbx, profile: TrafficProfile | None = None, *, seed: int = 1) -> None:
        self.pbx = pbx
        self.profile = profile or TrafficProfile()
        self.seed = seed
        self.planned: list[PlannedCall] = []
        self._attempts: dict[tuple[int, str], int] = {}
        self._index: weakref.WeakKeyDictionary[Call, int] = weakref.WeakKeyDictionary()
        self._task: asyncio.Task[None] | None = None
        self._other_calls = pbx.agent_policy  # calls originated over AMI keep the dialplan's agents
        pbx.agent_policy = self.agent_answers

    def plan(self, index: int) -> CallSpec:
        """The caller of call number `index` (the same for the same seed)."""
        rng = random.Random(f"{self.seed}/{index}")
        p = self.profile
        choices, weights = zip(*p.menu_choices.items(), strict=True)
        choice = rng.choices(choices, weights)[0]
        talk = max(5.0, rng.expovariate(1 / p.talk_seconds))
        caller_ends = rng.random() < p.caller_ends_talk
        transfer = rng.random() < p.transfer_probability
        name = rng.choice(FIRST_NAMES)
        account = f"{rng.randrange(10**4):04d}" if choice else ""
        return CallSpec(
            caller_num=f"+1555{rng.randrange(10**7):07d}",
            caller_name=name,
            choice=choice,
            account=account,
            hold=None,
            mode="hangup-mid-prompt" if rng.random() < p.hangup_in_menu else "normal",
            talk=talk + 3600 if caller_ends else talk,
            patience=max(1.0, rng.expovariate(1 / p.patience_seconds)),
            caller_talk=talk if caller_ends else None,
            transfer_after=talk / 2 if transfer else None,
            variables=[("CHOICE", choice), ("ACCOUNT", account)],
            answers_prompts=True,
        )

    def start_call(self) -> Call:
        """Originate the next planned call now."""
        index = len(self.planned)
        spec = self.plan(index)
        call = self.pbx.originate(spec)
        self.planned.append(PlannedCall(index, spec, call.truth))
        self._index[call] = index
        return call

    def agent_answers(self, call: Call, member: QueueMember) -> float | None:
        """Seconds of ringing before `member` answers `call`, or None when it rings out."""
        index = self._index.get(call)
        if index is None:
            return self._other_calls(call, member)
        key = (index, member.agent.interface)
        attempt = self._attempts.get(key, 0)
        self._attempts[key] = attempt + 1
        rng = random.Random(f"{self.seed}/{index}/{member.agent.interface}/{attempt}")
        if rng.random() >= self.profile.answer_probability:
            return None
        low, high = self.profile.ring_seconds
        return rng.uniform(low, high)

    async def run(self) -> None:
        """Originate calls at the profile's rate until `max_calls` (or for ever)."""
        rng = random.Random(f"{self.seed}/arrivals")
        rate = self.profile.calls_per_minute / 60.0
        while self.profile.max_calls is None or len(self.planned) < self.profile.max_calls:
            self.start_call()
            await self.pbx.clock.sleep(rng.expovariate(rate))

    def start(self) -> None:
        """Run in the background."""
        self._task = asyncio.create_task(self.run(), name="pbxsim traffic")

    async def stop(self) -> None:
        """Stop originating (calls in progress carry on)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def truth(self) -> list[CallTruth]:
        """Ground truth of every call started, in start order (`ended` is None while it is in progress)."""
        return [planned.truth for planned in self.planned]
