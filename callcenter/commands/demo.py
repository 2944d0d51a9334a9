"""`callcenter demo`: try the whole product on one machine, no Asterisk needed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from callcenter.logs import configure_logging


def demo(
    host: str = typer.Option("127.0.0.1", help="Address the service listens on."),
    port: int = typer.Option(8080, help="HTTP port of the service."),
    data_dir: Path = typer.Option(Path("var/demo"), help="Where the demo's SQLite file and secret live."),
    rate: float = typer.Option(8.0, help="Calls per minute from the simulated callers."),
) -> None:
    """The service on SQLite with a simulated Asterisk calling in through the example IVR flows."""
    from callcenter.demo.run import run_demo

    if rate <= 0:
        raise typer.BadParameter("must be positive", param_hint="--rate")
    data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging("WARNING")
    asyncio.run(run_demo(data_dir, host, port, rate, typer.echo))
