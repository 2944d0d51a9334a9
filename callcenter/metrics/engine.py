"""The one engine behind live figures and interval reports: call events in, tallies per interval out.

Feed it the typed call events of the tracker in order (``apply``) and, when a call is over, its
``HandledCall``. It tallies every queue visit in the interval in which the visit started and every
answer in the interval of the answer (per agent). Live metrics keep day intervals; reports keep
15-minute, hour or day intervals; the counting is the same code.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from callcenter.calls.events import (
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallEvent,
    CallKey,
    CallQueued,
    CallTransferred,
)
from callcenter.calls.summary import CallSummary
from callcenter.metrics.definitions import Interval, MetricsRules, floor_to, next_start
from callcenter.metrics.figures import AgentTally, QueueTally

# Answered visits waiting for their call's HandledCall; a call whose record never comes is forgotten
# after this many newer answers.
PENDING_HANDLED = 20_000


@dataclass(frozen=True, slots=True)
class HandledCall:
    """The handle times of a finished, answered call (from the tracker's summary or the stored contact)."""

    key: CallKey
    queue: str | None
    agent_interface: str | None
    agent_name: str | None
    answered_at: datetime
    talk_seconds: float
    hold_seconds: float
    wrapup_seconds: float

    @classmethod
    def from_summary(cls, summary: CallSummary) -> HandledCall | None:
        """The record of a finished call, or None when nobody answered it."""
        if summary.answered_at is None:
            return None
        return cls(
            key=summary.key,
            queue=summary.queue,
            agent_interface=summary.agent_interface,
            agent_name=summary.agent_name,
            answered_at=summary.answered_at,
            talk_seconds=summary.talk_seconds or 0.0,
            hold_seconds=summary.hold_seconds or 0.0,
            wrapup_seconds=summary.wrapup_seconds or 0.0,
        )


@dataclass(slots=True)
class Visit:
    """A caller in a queue, from joining until answered, abandoned or gone."""

    queue: str
    joined: datetime
    bucket: datetime


class CallFigures:
    """Tallies per (interval start, queue) and per (interval start, agent interface)."""

    def __init__(self, rules: MetricsRules, interval: Interval) -> None:
        self.rules = rules
        self.interval = interval
        self.zone = rules.zone
        self.queues: dict[tuple[datetime, str], QueueTally] = {}
        self.agents: dict[tuple[datetime, str], AgentTally] = {}
        self.waiting: dict[str, dict[CallKey, datetime]] = {}
        self._visits: dict[CallKey, Visit] = {}
        self._answered: OrderedDict[CallKey, tuple[datetime, str]] = OrderedDict()
        self._current = (datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC))
        self._handlers: dict[type, Callable[[CallEvent], None]] = {
            CallQueued: self._queued,  # type: ignore[dict-item]
            CallConnected: self._connected,  # type: ignore[dict-item]
            CallAbandoned: self._abandoned,  # type: ignore[dict-item]
            CallTransferred: self._gone,
            CallEnded: self._gone,
        }

    # -- input ------------------------------------------------------------------------

    def apply(self, event: CallEvent) -> bool:
        """Count one call event; True when it changed a figure."""
        handler = self._handlers.get(type(event))
        if handler is None:
            return False
        handler(event)
        return True

    def handled(self, call: HandledCall) -> None:
        """Count the talk, hold and wrap-up time of an answered call."""
        pending = self._answered.pop(call.key, None)
        if pending is not None:
            bucket, queue = pending
        else:
            bucket, queue = self.bucket(call.answered_at), call.queue or ""
        tally = self.queue_tally(bucket, queue)
        tally.handled += 1
        tally.talk_seconds += call.talk_seconds
        tally.hold_seconds += call.hold_seconds
        tally.wrapup_seconds += call.wrapup_seconds
        if call.agent_interface:
            agent = self.agent_tally(self.bucket(call.answered_at), call.agent_interface, call.agent_name)
            agent.handled += 1
            agent.talk_seconds += call.talk_seconds
            agent.hold_seconds += call.hold_seconds
            agent.wrapup_seconds += call.wrapup_seconds

    # -- tallies ----------------------------------------------------------------------

    def bucket(self, at: datetime) -> datetime:
        """The start of the interval holding ``at``."""
        # Nearly every event falls in the interval of the one before it: compare before converting zones.
        if self._current[0] <= at < self._current[1]:
            return self._current[0]
        start = floor_to(at, self.interval, self.zone)
        self._current = (start, next_start(start, self.interval, self.zone))
        return start

    def queue_tally(self, bucket: datetime, queue: str) -> QueueTally:
        """The tally of ``queue`` for the interval starting at ``bucket`` (created empty)."""
        tally = self.queues.get((bucket, queue))
        if tally is None:
            tally = self.queues[(bucket, queue)] = QueueTally()
        return tally

    def agent_tally(self, bucket: datetime, interface: str, name: str | None = None) -> AgentTally:
        """The tally of an agent for the interval starting at ``bucket`` (created empty)."""
        tally = self.agents.get((bucket, interface))
        if tally is None:
            tally = self.agents[(bucket, interface)] = AgentTally(name=name)
        elif name:
            tally.name = name
        return tally

    def drop_before(self, bucket: datetime) -> None:
        """Forget the tallies of intervals that started before ``bucket``."""
        for table in (self.queues, self.agents):
            for key in [k for k in table if k[0] < bucket]:
                del table[key]

    # -- events -----------------------------------------------------------------------

    def _open(self, key: CallKey, queue: str, joined: datetime) -> Visit:
        visit = self._visits[key] = Visit(queue, joined, self.bucket(joined))
        self.waiting.setdefault(queue, {})[key] = joined
        return visit

    def _close(self, key: CallKey) -> tuple[Visit, QueueTally] | None:
        visit = self._visits.pop(key, None)
        if visit is None:
            return None
        return self._count_offered(key, visit)

    def _resolve(self, key: CallKey, queue: str, at: datetime, wait: float) -> tuple[Visit, QueueTally]:
        """End the caller's visit with an answer or an abandon (opened from the wait if never seen)."""
        visit = self._visits.pop(key, None)
        if visit is None:
            # Seen only from here on (adopted after a reconnect): the wait says when it joined.
            visit = Visit(queue, at - timedelta(seconds=wait), self.bucket(at - timedelta(seconds=wait)))
        return self._count_offered(key, visit)

    def _count_offered(self, key: CallKey, visit: Visit) -> tuple[Visit, QueueTally]:
        self.waiting.get(visit.queue, {}).pop(key, None)
        tally = self.queue_tally(visit.bucket, visit.queue)
        tally.offered += 1
        return visit, tally

    def _waited(self, tally: QueueTally, wait: float) -> None:
        tally.wait_seconds += wait
        tally.max_wait_seconds = max(tally.max_wait_seconds, wait)

    def _queued(self, event: CallQueued) -> None:
        self._left(event.key, event.at)
        self._open(event.key, event.queue, event.at)

    def _connected(self, event: CallConnected) -> None:
        visit, tally = self._resolve(event.key, event.queue, event.at, event.wait_seconds)
        wait = event.wait_seconds
        tally.answered += 1
        tally.answered_wait_seconds += wait
        self._waited(tally, wait)
        if wait <= self.rules.for_queue(visit.queue).service_level_seconds:
            tally.answered_within += 1
        self._answered[event.key] = (visit.bucket, visit.queue)
        self._answered.move_to_end(event.key)
        if len(self._answered) > PENDING_HANDLED:
            self._answered.popitem(last=False)
        self.agent_tally(self.bucket(event.at), event.agent_interface, event.agent_name).answered += 1

    def _abandoned(self, event: CallAbandoned) -> None:
        visit, tally = self._resolve(event.key, event.queue, event.at, event.wait_seconds)
        rules = self.rules.for_queue(visit.queue)
        wait = event.wait_seconds
        tally.abandoned += 1
        tally.abandoned_wait_seconds += wait
        self._waited(tally, wait)
        if wait < rules.short_abandon_seconds:
            tally.short_abandoned += 1
        if wait <= rules.service_level_seconds:
            tally.abandoned_within += 1

    def _left(self, key: CallKey, at: datetime) -> None:
        """A visit that ends with no answer and no abandon (timeout, transfer away, unreported hang-up)."""
        closed = self._close(key)
        if closed is not None:
            visit, tally = closed
            tally.left += 1
            self._waited(tally, max(0.0, (at - visit.joined).total_seconds()))

    def _gone(self, event: CallEvent) -> None:
        self._left(event.key, event.at)
