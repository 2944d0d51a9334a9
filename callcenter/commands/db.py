"""`callcenter db`: migrate the repository named by CALLCENTER_DATABASE_URL."""

from __future__ import annotations

import asyncio

import typer

from callcenter import migrate
from callcenter.config import Settings
from callcenter.db import create_engine

app = typer.Typer(help="Database schema: upgrade, downgrade, current revision.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    url = Settings().database_url
    migrate.upgrade(url, revision)
    typer.echo(f"database at {migrate.head_revision() if revision == 'head' else revision}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or `base` to drop everything.")) -> None:
    """Revert migrations down to REVISION."""
    migrate.downgrade(Settings().database_url, revision)
    typer.echo(f"database at {revision}")


@app.command()
def current() -> None:
    """Print the revision the database is at and the newest one."""

    async def read() -> str | None:
        engine = create_engine(Settings().database_url)
        try:
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    typer.echo(f"current: {asyncio.run(read())}  head: {migrate.head_revision()}")
