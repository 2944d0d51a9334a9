"""`PbxSimulator`: a simulated Asterisk (call model + AMI listener) started and stopped as one."""

from __future__ import annotations

from pathlib import Path

from callcenter.pbxsim.ami_server import AmiServer
from callcenter.pbxsim.clock import Clock
from callcenter.pbxsim.config import PbxConfig
from callcenter.pbxsim.ivr import IvrRunner
from callcenter.pbxsim.pbx import AgentPolicy, Pbx
from callcenter.pbxsim.queue_log import QueueLog


class PbxSimulator:
    """The Asterisk stand-in: `async with PbxSimulator(...) as sim:` then point an AMI client at `sim.ami_port`."""

    def __init__(
        self,
        config: PbxConfig | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        ami_port: int = 0,
        queue_log_path: str | Path | None = None,
        ivr: IvrRunner | None = None,
        agent_policy: AgentPolicy | None = None,
    ) -> None:
        self.queue_log = QueueLog(queue_log_path)
        self.pbx = Pbx(config, clock=clock, queue_log=self.queue_log, ivr=ivr, agent_policy=agent_policy)
        self.ami = AmiServer(self.pbx, host=host, port=ami_port)

    @property
    def ami_port(self) -> int:
        """The AMI port actually listened on."""
        return self.ami.port

    async def start(self) -> None:
        """Start listening for AMI clients."""
        await self.ami.start()

    async def stop(self) -> None:
        """End every call, close every connection and the queue_log."""
        await self.pbx.shutdown_calls()
        await self.ami.stop()
        self.queue_log.close()

    async def restart(self, downtime: float | None = None) -> None:
        """Restart the simulated Asterisk (Shutdown, reconnect needed, fresh counters)."""
        await self.ami.restart(downtime)

    async def __aenter__(self) -> PbxSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
