"""`callcenter ami`: tools for Asterisk Manager Interface traffic (replay of raw captures)."""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from callcenter import migrate
from callcenter.calls.clock import CLOCK_EVENTS
from callcenter.calls.replay import replay as replay_messages
from callcenter.calls.summary import CallSummary
from callcenter.calls.tracker import TRACKED_EVENTS, CallTracker
from callcenter.config import Settings
from callcenter.contacts.call_recorder import CallRecorder, RecordedCall, agent_users
from callcenter.db import create_engine, create_sessionmaker
from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage

app = typer.Typer(help="Asterisk Manager Interface tools.", no_args_is_help=True)

BANNER_PREFIX = b"Asterisk Call Manager/"


class CaptureError(Exception):
    """The bytes are not an AMI capture this command can read."""


@dataclass
class ReplayedCall:
    summary: CallSummary
    recorded: RecordedCall | None  # None: no customer contact (a call between two agents)

    def to_json(self, *, timeline: bool = False) -> dict[str, object]:
        recorded = self.recorded
        return {
            **self.summary.to_json(timeline=timeline),
            "contact_id": recorded.contact_id if recorded else None,
            "customer_id": recorded.customer_id if recorded else None,
            "created": recorded.created if recorded else False,
        }


def decode_capture(data: bytes) -> list[AmiMessage]:
    """Every message of a raw capture (bytes as received on the socket, banner optional)."""
    decoder = AmiDecoder(expect_banner=data.startswith(BANNER_PREFIX), only_events=TRACKED_EVENTS | CLOCK_EVENTS)
    messages = decoder.feed(data)
    if not messages:
        raise CaptureError("no AMI message found (expected CRLF-framed `Key: Value` blocks)")
    return messages


def parse_wrapup(values: list[str]) -> dict[str, float]:
    """``QUEUE=SECONDS`` options as a mapping."""
    out: dict[str, float] = {}
    for value in values:
        queue, sep, seconds = value.partition("=")
        try:
            out[queue.strip()] = float(seconds)
        except ValueError:
            raise typer.BadParameter(f"{value!r}: expected QUEUE=SECONDS, e.g. support=5") from None
        if not sep or not queue.strip():
            raise typer.BadParameter(f"{value!r}: expected QUEUE=SECONDS, e.g. support=5")
    return out


async def replay_into(
    messages: list[AmiMessage], database_url: str, *, server: str, wrapup: dict[str, float], region: str
) -> list[ReplayedCall]:
    """Track ``messages`` and record every finished call into the repository at ``database_url``."""
    engine = create_engine(database_url)
    try:
        sessions = create_sessionmaker(engine)
        async with sessions() as session:
            users = await agent_users(session)
        tracker = CallTracker(server, agent_users=users, wrapup_seconds=wrapup)
        replay_messages(messages, tracker)
        summaries = tracker.pop_finished()
        recorded = await CallRecorder(sessions, region=region).record(summaries)
    finally:
        await engine.dispose()
    by_call = {r.linkedid: r for r in recorded}
    return [ReplayedCall(s, by_call.get(s.linkedid)) for s in summaries]


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _table(calls: list[ReplayedCall]) -> Table:
    table = Table(title=f"{len(calls)} finished call(s)")
    for column in ("linkedid", "caller", "queue", "agent", "outcome", "wait s", "talk s", "rings", "hangup by"):
        table.add_column(column, justify="right" if column.endswith((" s", "rings")) else "left", no_wrap=True)
    for call in calls:
        s = call.summary
        table.add_row(
            s.linkedid,
            s.caller_number or "",
            s.queue or "",
            s.agent_name or s.agent_interface or "",
            s.outcome.value,
            _seconds(s.wait_seconds),
            _seconds(s.talk_seconds),
            str(s.ring_attempts),
            s.hangup_by.value,
        )
    return table


@app.command()
def replay(
    file: Path = typer.Argument(..., help="Raw AMI capture: the bytes received on one manager connection."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per finished call instead of a table."),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Record into this (migrated) repository; default: a throwaway SQLite file."
    ),
    server: str = typer.Option("asterisk", help="Name of the Asterisk the capture came from (part of each key)."),
    wrapup: list[str] = typer.Option([], "--wrapup", help="Wrap-up seconds of a queue, QUEUE=SECONDS; repeatable."),
    timeline: bool = typer.Option(False, "--timeline", help="With --json: include each call's event timeline."),
) -> None:
    """Run a raw AMI capture through the codec, the call tracker and the recorder; print the calls."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    try:
        messages = decode_capture(data)
    except CaptureError as exc:
        typer.echo(f"error: {file} is not an AMI capture: {exc}", err=True)
        raise typer.Exit(1) from None
    settings = Settings()
    queues = parse_wrapup(wrapup)
    with tempfile.TemporaryDirectory(prefix="callcenter-replay-") as tmp:
        url = database_url
        if url is None:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'replay.db'}"
            migrate.upgrade(url)
        try:
            calls = asyncio.run(
                replay_into(messages, url, server=server, wrapup=queues, region=settings.default_region)
            )
        except (SQLAlchemyError, OSError) as exc:
            reason = str(exc.orig if isinstance(exc, DBAPIError) else exc).splitlines()[0]
            typer.echo(
                f"error: cannot record into {make_url(url).render_as_string()}: {reason} "
                "(is it reachable and migrated? `callcenter db upgrade`)",
                err=True,
            )
            raise typer.Exit(1) from None
    if as_json:
        for call in calls:
            typer.echo(json.dumps(call.to_json(timeline=timeline), ensure_ascii=False))
    else:
        console = Console()
        if not console.is_terminal:
            # Piped output keeps whole ids and numbers instead of folding to 80 columns.
            console.width = 200
        console.print(_table(calls))
