"""Interval reports: the stored events and records of finished calls run through the live engine.

A report is asked for a range of the centre's local days and an interval length. Each stored call
gives back the typed events the tracker emitted for it (the contact timeline) and its handle times
(the contact row); ``CallFigures`` counts them exactly as it counts live traffic.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from callcenter.calls.events import (
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallEvent,
    CallKey,
    CallQueued,
    CallTransferred,
    HangupBy,
    TransferKind,
)
from callcenter.metrics.agents import AgentBoard
from callcenter.metrics.definitions import Interval, MetricsRules, next_start
from callcenter.metrics.engine import CallFigures, HandledCall
from callcenter.metrics.figures import AgentTally, QueueTally

MAX_INTERVALS = 10_000
MAX_DAYS = 366


class ReportRangeError(ValueError):
    """A report range that is empty, reversed or too long for its interval."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One row of a contact's timeline."""

    type: str
    at: datetime
    data: Mapping[str, Any]


@dataclass(slots=True)
class StoredCall:
    """A finished call as the contact repository keeps it."""

    key: CallKey
    queue: str | None
    agent_name: str | None
    answered_at: datetime | None
    talk_seconds: float | None
    hold_seconds: float | None
    wrapup_seconds: float | None
    events: list[StoredEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StoredAgentChange:
    """One row of the agent state log."""

    server: str
    interface: str
    name: str | None
    state: str
    reason: str | None
    queue: str | None
    at: datetime

    def event(self) -> AgentStateChanged | None:
        """The agent event the row was written from; None for a state this version does not know."""
        try:
            state = AgentState(self.state)
        except ValueError:
            return None
        return AgentStateChanged(
            self.server, self.interface, self.name, None, self.at, state=state, previous=None,
            reason=self.reason, queue=self.queue,
        )  # fmt: skip


def key_of(source: str, external_id: str, contact_id: int) -> CallKey:
    """The call key of a stored contact: ``server:boot:linkedid`` for Asterisk calls, else the contact id."""
    parts = external_id.split(":", 2)
    if source == "asterisk" and len(parts) == 3:
        return CallKey(*parts)
    return CallKey(source, "contact", str(contact_id))


def event_from_record(key: CallKey, record: StoredEvent) -> CallEvent | None:
    """The typed event a timeline row was written from; None for the types figures do not read."""
    d, at = record.data, record.at
    try:
        if record.type == "call.queued":
            return CallQueued(key, at, queue=d["queue"], position=int(d.get("position") or 0))
        if record.type == "call.connected":
            return CallConnected(
                key,
                at,
                queue=d["queue"],
                agent_interface=d["agent_interface"],
                agent_name=d.get("agent_name"),
                wait_seconds=float(d["wait_seconds"]),
                ring_seconds=float(d.get("ring_seconds") or 0.0),
            )
        if record.type == "call.abandoned":
            return CallAbandoned(
                key,
                at,
                queue=d["queue"],
                position=int(d.get("position") or 0),
                original_position=int(d.get("original_position") or 0),
                wait_seconds=float(d["wait_seconds"]),
            )
        if record.type == "call.transferred":
            return CallTransferred(
                key, at, kind=TransferKind(d["kind"]), target=d.get("target"), agent_interface=d.get("agent_interface")
            )
        if record.type == "call.ended":
            return CallEnded(
                key,
                at,
                hangup_by=HangupBy(d["hangup_by"]),
                cause=d.get("cause"),
                outcome=d["outcome"],
                reconstructed=bool(d.get("reconstructed")),
            )
    except (KeyError, TypeError, ValueError):
        return None  # a hand-written or damaged timeline row: counted as if it were absent
    return None


def feed_stored(figures: CallFigures, call: StoredCall) -> None:
    """Count one stored call: its timeline events in order, then its handle times."""
    agent_interface = None
    for record in sorted(call.events, key=lambda r: r.at):
        event = event_from_record(call.key, record)
        if event is None:
            continue
        if isinstance(event, CallConnected):
            agent_interface = event.agent_interface
        figures.apply(event)
    if call.answered_at is not None:
        figures.handled(
            HandledCall(
                key=call.key,
                queue=call.queue,
                agent_interface=agent_interface,
                agent_name=call.agent_name,
                answered_at=call.answered_at,
                talk_seconds=call.talk_seconds or 0.0,
                hold_seconds=call.hold_seconds or 0.0,
                wrapup_seconds=call.wrapup_seconds or 0.0,
            )
        )


def report_window(first: date, last: date, rules: MetricsRules) -> tuple[datetime, datetime]:
    """The UTC instants bounding local days ``first``..``last`` (both included)."""
    if last < first:
        raise ReportRangeError("the range ends before it starts")
    if (last - first).days >= MAX_DAYS:
        raise ReportRangeError(f"a report covers at most {MAX_DAYS} days; ask for a shorter range")
    zone = rules.zone
    start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    end = next_start(datetime(last.year, last.month, last.day, tzinfo=zone).astimezone(UTC), Interval.DAY, zone)
    return start, end


def interval_starts(start: datetime, end: datetime, interval: Interval, rules: MetricsRules) -> list[datetime]:
    """Every interval start in ``start``..``end``."""
    out: list[datetime] = []
    at = start
    while at < end:
        out.append(at)
        if len(out) > MAX_INTERVALS:
            raise ReportRangeError(f"more than {MAX_INTERVALS} intervals; ask for a shorter range or a longer interval")
        at = next_start(at, interval, rules.zone)
    return out


@dataclass
class IntervalReport:
    """Per-queue and per-agent figures of every interval of a range."""

    rules: MetricsRules
    interval: Interval
    starts: list[datetime]
    figures: CallFigures

    def _local(self, at: datetime) -> str:
        return at.astimezone(self.rules.zone).isoformat()

    def queue_rows(self, queues: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """One row per interval and queue (queues with no call in the range are left out)."""
        wanted = set(queues) if queues else {q for _, q in self.figures.queues}
        rows = []
        for queue in sorted(wanted):
            rules = self.rules.for_queue(queue)
            for start in self.starts:
                tally = self.figures.queues.get((start, queue)) or QueueTally()
                rows.append({"interval_start": self._local(start), "queue": queue, **tally.figures(rules)})
        return rows

    def agent_rows(self, agents: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """One row per interval and agent interface."""
        wanted = set(agents) if agents else {a for _, a in self.figures.agents}
        names = {a: t.name for (_, a), t in self.figures.agents.items() if t.name}
        rows = []
        for agent in sorted(wanted):
            for start in self.starts:
                tally = self.figures.agents.get((start, agent)) or AgentTally(name=names.get(agent))
                rows.append({"interval_start": self._local(start), "agent_interface": agent, **tally.figures()})
        return rows


def build_report(
    calls: Iterable[StoredCall],
    rules: MetricsRules,
    interval: Interval,
    first: date,
    last: date,
    *,
    agent_changes: Iterable[StoredAgentChange] = (),
    until: datetime | None = None,
) -> IntervalReport:
    """Count ``calls`` and the agent state log into the intervals of local days ``first``..``last``.

    Agent states last until their next change; the last one is counted up to the end of the range,
    or up to ``until`` (now) when the range reaches into the future.
    """
    start, end = report_window(first, last, rules)
    starts = interval_starts(start, end, interval, rules)
    figures = CallFigures(rules, interval)
    for call in calls:
        feed_stored(figures, call)
    board = AgentBoard(figures)
    for change in sorted(agent_changes, key=lambda c: c.at):
        event = change.event()
        if event is not None:
            board.apply(event)
    board.close_all(min(end, until) if until is not None else end)
    figures.drop_before(start)
    for table in (figures.queues, figures.agents):
        for key in [k for k in table if k[0] >= end]:
            del table[key]
    return IntervalReport(rules, interval, starts, figures)


def rows_to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV with a header line; nested values (pause reasons) as ``key=value;...``."""
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: ";".join(f"{a}={b}" for a, b in v.items()) if isinstance(v, dict) else ("" if v is None else v)
                for k, v in row.items()
            }
        )
    return out.getvalue()
