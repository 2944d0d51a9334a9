"""The PBX simulator in-process (no socket), its AMI events decoded and fed to a tracker and live metrics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from callcenter.calls import CallSummary, CallTracker
from callcenter.calls.events import TrackerEvent
from callcenter.metrics import LiveMetrics, MetricsRules
from callcenter.pbxsim.clock import accelerated
from callcenter.pbxsim.pbx import Pbx
from callcenter.pbxsim.truth import CallSpec
from callcenter.telephony.ami.codec import AmiDecoder

# Simulated seconds per real second: a minute of traffic takes 3 s (slow enough that scheduling
# jitter on a busy machine stays well under the half second Asterisk rounds its waits by).
SPEED = 20.0
START = 1795438652.0  # 2026-11-23 12:57:32 UTC, the lab run's epoch


class SimulatedCentre:
    """Asterisk stand-in -> AMI bytes -> decoder -> tracker -> live metrics (and every output kept)."""

    def __init__(self, rules: MetricsRules, *, wrapup: dict[str, float] | None = None) -> None:
        self.pbx = Pbx(clock=accelerated(SPEED, start=START))
        self.tracker = CallTracker("sim", wrapup_seconds=wrapup or {})
        self.live = LiveMetrics(rules)
        self.events: list[TrackerEvent] = []
        self.summaries: list[CallSummary] = []
        self._decoder = AmiDecoder(expect_banner=False)
        self.pbx.bus.subscribe(self)

    def deliver(self, category: str, name: str, data: bytes) -> None:
        """Every event the simulated Asterisk emits, as its AMI bytes."""
        for msg in self._decoder.feed(data):
            for event in self.tracker.feed(msg, self.pbx.clock.now()):
                self.events.append(event)
                self.live.apply(event)
            for summary in self.tracker.pop_finished():
                self.summaries.append(summary)
                self.live.apply(summary)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.pbx.clock.now(), UTC)

    async def call(self, spec: CallSpec) -> None:
        """Originate one call; return when the simulator has finished it."""
        done = len(self.pbx.finished) + 1
        self.pbx.originate(spec)
        await self.until(lambda: len(self.pbx.finished) >= done)

    async def until(self, predicate, within: float = 20.0) -> None:
        for _ in range(int(within / 0.005)):
            if predicate():
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the simulated traffic did not get there in time")

    async def sleep(self, simulated_seconds: float) -> None:
        await self.pbx.clock.sleep(simulated_seconds)

    def tick(self) -> None:
        """Let the tracker end wrap-ups that are over by now."""
        for event in self.tracker.tick(self.pbx.clock.now()):
            self.events.append(event)
            self.live.apply(event)

    def queue(self, name: str) -> dict:
        return next(q for q in self.live.snapshot(self.now())["queues"] if q["queue"] == name)

    def agent(self, interface: str) -> dict:
        return next(a for a in self.live.snapshot(self.now())["agents"] if a["interface"] == interface)

    async def close(self) -> None:
        await self.pbx.shutdown_calls()
