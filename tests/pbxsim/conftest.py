"""Fixtures: a simulator on an ephemeral port running on virtual time, and a raw AMI client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from callcenter.pbxsim.clock import VirtualClock
from callcenter.pbxsim.simulator import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient
from tests.pbxsim.views import TRACES


def action_blocks(name: str) -> list[bytes]:
    """The actions of a capture's `.actions.txt`, each as the exact bytes sent."""
    data = (TRACES / name).read_bytes()
    return [block + b"\r\n\r\n" for block in data.split(b"\r\n\r\n") if block.strip()]


async def eventually(predicate: Callable[[], bool], within: float = 20.0) -> None:
    """Wait (polling every 5 ms) until `predicate()` holds; fail after `within` seconds."""
    for _ in range(int(within / 0.005)):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached in time")


@pytest.fixture
async def sim(tmp_path) -> AsyncIterator[PbxSimulator]:
    """A simulator on virtual time (independent of machine load) starting at the epoch of the lab run."""
    simulator = PbxSimulator(clock=VirtualClock(start=1795438652.0), queue_log_path=tmp_path / "queue_log")
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def client(sim: PbxSimulator) -> AsyncIterator[RawAmiClient]:
    """A raw AMI client connected to `sim` (not logged in)."""
    connection = await RawAmiClient().connect(sim.ami_port)
    yield connection
    await connection.close()
