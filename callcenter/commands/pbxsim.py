"""`callcenter pbxsim`: run the Asterisk stand-in on its own (AMI server, FastAGI client, call traffic)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from pathlib import Path

import typer

from callcenter.pbxsim.clock import Clock
from callcenter.pbxsim.config import AmiUser, PbxConfig, lab_users, numbered_agents
from callcenter.pbxsim.fastagi_ivr import FastAgiIvr
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.pbxsim.traffic import TrafficGenerator, TrafficProfile


def _agi_target(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise typer.BadParameter(f"expected HOST:PORT, got {value!r}", param_hint="--agi")
    return host, int(port)


def pbxsim(
    ami_host: str = typer.Option("127.0.0.1", help="Address the AMI server listens on."),
    ami_port: int = typer.Option(5038, help="AMI port (0 picks a free one)."),
    agi: str | None = typer.Option(
        None, help="FastAGI server for the IVR, HOST:PORT (the service's). Without it a built-in menu runs."
    ),
    user: str = typer.Option("callcenter", help="AMI user (read/write all)."),
    secret: str = typer.Option("lab-secret", help="Its secret."),
    rate: float = typer.Option(6.0, help="Calls per minute (0: no traffic, originate over AMI yourself)."),
    agents: int = typer.Option(0, help="Agents in queues support and sales (0: the lab's 4 agents)."),
    seed: int = typer.Option(1, help="Seed of the traffic (same seed, same callers)."),
    max_calls: int | None = typer.Option(None, help="Stop originating after this many calls."),
    answer: float = typer.Option(0.9, help="Probability that a rung agent answers."),
    talk: float = typer.Option(120.0, help="Mean talk time, seconds."),
    patience: float = typer.Option(90.0, help="Mean caller patience in queue, seconds."),
    queue_log: Path | None = typer.Option(None, help="Append Asterisk-style queue_log lines to this file."),
    speed: float = typer.Option(1.0, help="Clock speed (10: ten simulated seconds per real second)."),
    truth: Path | None = typer.Option(None, help="Write the ground truth of every finished call here (JSON lines)."),
) -> None:
    """Run a simulated Asterisk 22 that any AMI tool (or the service) can connect to."""
    users = [AmiUser(user, secret), *[u for u in lab_users() if u.username != user]]
    config = PbxConfig(users=users)
    if agents:
        config.queues = numbered_agents(agents, ["support", "sales"])
    ivr = None
    if agi:
        host, port = _agi_target(agi)
        config.agi_url = f"agi://{host}:{port}"
        ivr = FastAgiIvr(host, port)
    if speed <= 0:
        raise typer.BadParameter("must be positive", param_hint="--speed")
    profile = TrafficProfile(
        calls_per_minute=rate or 1.0, max_calls=max_calls, answer_probability=answer,
        talk_seconds=talk, patience_seconds=patience,
    )  # fmt: skip
    asyncio.run(_run(config, ami_host, ami_port, ivr, profile if rate > 0 else None, seed, queue_log, speed, truth))


async def _run(
    config: PbxConfig,
    host: str,
    port: int,
    ivr: FastAgiIvr | None,
    profile: TrafficProfile | None,
    seed: int,
    queue_log: Path | None,
    speed: float,
    truth: Path | None,
) -> None:
    sim = PbxSimulator(config, clock=Clock(speed=speed), host=host, ami_port=port, queue_log_path=queue_log, ivr=ivr)
    try:
        await sim.start()
    except OSError as exc:
        typer.echo(f"pbxsim: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc
    truth_file = truth.open("a", encoding="utf-8") if truth else None
    if truth_file is not None:
        sim.pbx.on_call_finished.append(lambda t: truth_file.write(json.dumps(t.as_dict()) + "\n"))
    generator = TrafficGenerator(sim.pbx, profile, seed=seed) if profile else None
    typer.echo(f"pbxsim AMI listening on {host}:{sim.ami_port} (users: {', '.join(u.username for u in config.users)})")
    typer.echo(f"pbxsim IVR: {config.agi_url if ivr else 'built-in main menu'}")
    if generator is not None:
        typer.echo(f"pbxsim traffic: {profile.calls_per_minute:g} calls/min, seed {seed}")
    if queue_log:
        typer.echo(f"pbxsim queue_log: {queue_log}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if generator is not None:
        generator.start()
    try:
        await stop.wait()
    finally:
        if generator is not None:
            await generator.stop()
        await sim.stop()
        if truth_file is not None:
            truth_file.close()
        typer.echo(f"pbxsim stopped after {len(sim.pbx.finished)} calls")
