"""The `callcenter` command."""

from __future__ import annotations

import typer
import uvicorn

from callcenter.commands import ami, asterisk, db, demo, flows, pbxsim, users
from callcenter.config import Settings
from callcenter.logs import configure_logging

app = typer.Typer(help="Contact handling for call centres that run Asterisk.", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(ami.app, name="ami")
app.add_typer(flows.app, name="flows")
app.add_typer(asterisk.app, name="asterisk")
app.command("pbxsim")(pbxsim.pbxsim)
app.command("demo")(demo.demo)


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default CALLCENTER_HTTP_HOST)."),
    port: int | None = typer.Option(None, help="HTTP port (default CALLCENTER_HTTP_PORT)."),
) -> None:
    """Run the service for a real Asterisk, on the settings from CALLCENTER_* variables."""
    from callcenter.app import create_app

    settings = Settings()
    if host is not None:
        settings.http_host = host
    if port is not None:
        settings.http_port = port
    configure_logging(settings.log_level)
    typer.echo(f"callcenter listening on http://{settings.http_host}:{settings.http_port}")
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        log_level=settings.log_level.lower(),
    )


def main() -> None:
    app()
