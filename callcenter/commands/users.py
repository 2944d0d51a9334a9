"""`callcenter users`: manage the people who sign in, from the command line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.config import Settings
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.errors import ServiceError
from callcenter.users import repository, service
from callcenter.users.models import Role
from callcenter.users.schemas import UserCreate

T = TypeVar("T")

app = typer.Typer(help="Users: agents, supervisors and admins.", no_args_is_help=True)


async def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(Settings().database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


@app.command()
def create(
    username: str,
    role: Role = typer.Option(..., help="agent, supervisor or admin"),
    display_name: str = typer.Option(None, "--name", help="Shown to others (default: the username)"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="CALLCENTER_NEW_USER_PASSWORD"
    ),
    interface: str = typer.Option(None, help="Agent's queue member interface, e.g. PJSIP/1001"),
    queue: list[str] = typer.Option([], "--queue", help="Queue the agent works (repeatable)"),
) -> None:
    """Create a user who can sign in."""
    try:
        data = UserCreate(
            username=username,
            display_name=display_name or username,
            role=role,
            password=password,
            interface=interface,
            queues=queue,
        )
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"error: {'.'.join(map(str, error['loc']))}: {error['msg']}", err=True)
        raise typer.Exit(1) from None
    try:
        user = asyncio.run(_run(lambda session: service.create_user(session, data=data)))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created {user.role.value} {user.username} (id {user.id})")


@app.command("list")
def list_users() -> None:
    """List users with their role and interface."""
    for user in asyncio.run(_run(repository.list_users)):
        state = "" if user.active else " (inactive)"
        typer.echo(f"{user.id}\t{user.username}\t{user.role.value}\t{user.interface or '-'}{state}")
