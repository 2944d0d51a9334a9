"""The demo's callers: a steady Poisson flow of known and unknown callers through the example IVR flows.

Known callers are recognised by their number and pick support (1) or sales (2) in the main menu;
unknown callers type an account number that is not on file, then pick support. Simulated agents pick
up after a few seconds (now and then one lets it ring out); the phone of the person trying the demo
rings longer, so the screen-pop is there to read, and is then picked up by the simulator too (a real
agent answers on their desk phone, not in the browser).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from callcenter.pbxsim.call import Call
from callcenter.pbxsim.pbx import Pbx
from callcenter.pbxsim.queues import QueueMember
from callcenter.pbxsim.truth import CallSpec

HUMAN_RING_SECONDS = 8.0
UNKNOWN_SHARE = 0.2


class DemoTraffic:
    """Originates demo calls on a simulated Asterisk and answers its simulated agents' phones."""

    def __init__(
        self,
        pbx: Pbx,
        *,
        callers: Sequence[str],
        human_interfaces: Sequence[str],
        calls_per_minute: float = 8.0,
        seed: int = 7,
    ) -> None:
        self.pbx = pbx
        self.callers = list(callers)
        self.human = set(human_interfaces)
        self.rate = calls_per_minute / 60.0
        self.rng = random.Random(seed)
        self.started = 0
        self._task: asyncio.Task[None] | None = None
        pbx.agent_policy = self.agent_answers

    def agent_answers(self, call: Call, member: QueueMember) -> float | None:
        """Seconds of ringing before the member picks up, or None when it rings out."""
        if member.agent.interface in self.human:
            return HUMAN_RING_SECONDS
        if self.rng.random() < 0.1:
            return None
        return self.rng.uniform(2.0, 5.0)

    def next_call(self) -> CallSpec:
        """The next caller: mostly demo customers, sometimes an unknown number."""
        rng = self.rng
        talk = rng.uniform(25.0, 75.0)
        if rng.random() < UNKNOWN_SHARE or not self.callers:
            number = f"+1555020{rng.randrange(10**4):04d}"
            # Asked for an account number, they type one that is not on file, then pick support.
            return CallSpec(caller_num=number, choice="1", account="0000", hold=900.0, talk=talk, answers_prompts=True)
        number = rng.choice(self.callers)
        choice = "1" if rng.random() < 0.7 else "2"
        return CallSpec(caller_num=number, choice=choice, account="", hold=900.0, talk=talk, answers_prompts=True)

    async def run(self) -> None:
        """Call in for ever: the first call at once, then on average ``calls_per_minute``."""
        while True:
            self.pbx.originate(self.next_call())
            self.started += 1
            await self.pbx.clock.sleep(self.rng.expovariate(self.rate))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="demo traffic")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
