"""Runs the demo: migrate and seed the SQLite file, start pbxsim, the service and the traffic in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
from collections.abc import Callable
from pathlib import Path

import uvicorn

from callcenter import migrate
from callcenter.app import create_app
from callcenter.config import AmiServerSettings, ConsoleSettings, Settings
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.demo.seed import DEMO_CUSTOMERS, DEMO_USERS, seed_customers, seed_users
from callcenter.demo.traffic import DemoTraffic
from callcenter.pbxsim.config import PbxConfig, numbered_agents
from callcenter.pbxsim.fastagi_ivr import FastAgiIvr
from callcenter.pbxsim.simulator import PbxSimulator

AMI_USER, AMI_SECRET = "callcenter", "lab-secret"


def business_hours_clock() -> Callable[[], dt.datetime]:
    """The IVR's clock: today's wall time moved onto a Tuesday, 10:00-18:00 New York, so the lines are open."""
    start = dt.datetime.now(dt.UTC)
    opening = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in New York
    return lambda: opening + (dt.datetime.now(dt.UTC) - start) % dt.timedelta(hours=8)


def demo_settings(data_dir: Path, host: str, port: int, ami_port: int) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'demo.db'}",
        http_host=host,
        http_port=port,
        ami_servers=[AmiServerSettings(name="pbxsim", port=ami_port, username=AMI_USER, secret=AMI_SECRET)],
        agi={"host": "127.0.0.1", "port": 0},
        ivr={"flows_dir": Path("ivr_flows")},
        console=ConsoleSettings(serve_fastagi=True, disposition_queues=["support"]),
    )


async def seed(settings: Settings) -> int:
    """Users and customers (only the missing ones); how many customers were new."""
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            ids = await seed_users(session)
            agent = ids["lee"]
            return await seed_customers(session, region="US", agent_id=agent, now=dt.datetime.now(dt.UTC))
    finally:
        await engine.dispose()


async def run_demo(data_dir: Path, host: str, port: int, calls_per_minute: float, echo: Callable[[str], None]) -> None:
    """Everything until Ctrl-C (``data_dir`` exists)."""
    agents = [u for u in DEMO_USERS if u.extension]
    config = PbxConfig(queues=numbered_agents(len(agents), ["support", "sales"]))
    ivr = FastAgiIvr("127.0.0.1", 0)
    sim = PbxSimulator(config, ivr=ivr)
    await sim.start()
    settings = demo_settings(data_dir, host, port, sim.ami_port)
    await asyncio.to_thread(migrate.upgrade, settings.database_url)
    new = await seed(settings)
    app = create_app(settings, ivr_clock=business_hours_clock())
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=host, port=port, ws="websockets-sansio", ws_per_message_deflate=False, log_level="warning"
        )
    )
    serving = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if serving.done():
            await sim.stop()
            serving.result()
            raise SystemExit(f"the service could not start on {host}:{port}")
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]  # the one picked, when asked for port 0
    agi = app.state.telephony.agi
    ivr.port = agi.port
    sim.pbx.agi_url = f"agi://127.0.0.1:{agi.port}"
    human = [u.interface for u in agents if not u.answered_by_simulator and u.interface]
    traffic = DemoTraffic(
        sim.pbx, callers=[c.phone for c in DEMO_CUSTOMERS], human_interfaces=human, calls_per_minute=calls_per_minute
    )
    traffic.start()
    _banner(echo, host, port, sim.ami_port, agi.port, settings, new, calls_per_minute)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    waiting = loop.create_task(stop.wait())
    await asyncio.wait([waiting, serving], return_when=asyncio.FIRST_COMPLETED)
    await traffic.stop()
    server.should_exit = True
    await serving
    waiting.cancel()
    await sim.stop()
    echo(f"demo stopped after {traffic.started} calls")


def _banner(
    echo: Callable[[str], None],
    host: str,
    port: int,
    ami_port: int,
    agi_port: int,
    settings: Settings,
    new_customers: int,
    rate: float,
) -> None:
    url = f"http://{host}:{port}"
    echo(f"callcenter demo listening on {url}")
    echo(f"  agent console: {url}/agent      API docs: {url}/docs")
    echo(f"  wallboard (supervisor): {url}/wallboard      reports: {url}/reports")
    echo(f"  database: {settings.database_url} ({new_customers} demo customers added this time)")
    echo(f"  simulated Asterisk: AMI 127.0.0.1:{ami_port} ({AMI_USER}/{AMI_SECRET}), IVR over FastAGI :{agi_port}")
    echo(f"  calls: about {rate:g} a minute through the main-menu IVR into the support and sales queues")
    echo("logins:")
    for user in DEMO_USERS:
        phone = f"phone {user.extension}" if user.extension else ""
        who = "" if user.answered_by_simulator or not user.extension else "  <- sign in as this one"
        echo(f"  {user.username:<11} {user.password:<16} {user.role.value:<10} {phone}{who}")
    echo("The simulator answers the other agents' phones; yours rings a few seconds longer, then picks up.")
    echo("Press Ctrl-C to stop.")
