"""The PBX simulator with call traffic in an event loop of its own thread, beside a live server and a browser."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from callcenter.pbxsim.clock import accelerated
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.pbxsim.traffic import TrafficGenerator, TrafficProfile


class PbxThread:
    """``with PbxThread(profile, speed=5) as pbx:`` then point the service's AMI settings at ``pbx.ami_port``."""

    def __init__(self, profile: TrafficProfile, *, speed: float, seed: int = 7) -> None:
        self.profile = profile
        self.speed = speed
        self.seed = seed
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="pbxsim", daemon=True)
        self.sim: PbxSimulator | None = None
        self.traffic: TrafficGenerator | None = None
        self.stopped = False

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        """Run ``coroutine`` in the simulator's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @property
    def ami_port(self) -> int:
        assert self.sim is not None
        return self.sim.ami_port

    async def _start(self) -> None:
        self.sim = PbxSimulator(clock=accelerated(self.speed))
        await self.sim.start()

    def start_traffic(self) -> None:
        """Start originating calls."""

        async def start() -> None:
            assert self.sim is not None
            self.traffic = TrafficGenerator(self.sim.pbx, self.profile, seed=self.seed)
            self.traffic.start()

        self.run(start())

    def stop(self) -> None:
        """Stop the traffic and the simulated Asterisk (its AMI clients see the link go down)."""
        if self.stopped:
            return
        self.stopped = True

        async def stop() -> None:
            if self.traffic is not None:
                await self.traffic.stop()
            assert self.sim is not None
            await self.sim.stop()

        self.run(stop())

    def __enter__(self) -> PbxThread:
        self.thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.stop()
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()
