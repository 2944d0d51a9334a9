"""Live call ingest: one Asterisk's AMI events through the call tracker into the contact repository.

Plug ``consume`` in as the AMI client's consumer and ``on_connect`` as its connect hook. Each event
is stamped with its receive time and fed to the tracker; finished calls are recorded at once (one
unit of work per batch). After every login, before the new connection's first event, the tracker
resynchronises from CoreShowChannels and QueueStatus, and the calls of the blind window are
backfilled from the queue_log when one is readable, so a call that began and ended while the
service was not listening still becomes a contact, and one seen live is never stored twice.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

import structlog

from callcenter.calls.agents import AgentUser
from callcenter.calls.backfill import plan_backfill
from callcenter.calls.events import CallKey, TrackerEvent
from callcenter.calls.legs import AmiEventLike
from callcenter.calls.queue_log import QueueLogRecord, parse_queue_log, split_at_restart
from callcenter.calls.resync import RESYNC_EVENTS, mark, reconcile
from callcenter.calls.summary import CallSummary
from callcenter.calls.tracker import TRACKED_EVENTS, CallTracker
from callcenter.contacts.call_recorder import CallRecorder, RecordedCall
from callcenter.telephony.ami.client import AmiClient
from callcenter.telephony.ami.errors import AmiError

log = structlog.get_logger(__name__)

# What the AMI client must deliver (its ``only_events``): the tracker's events and the resync lists.
INGEST_EVENTS = TRACKED_EVENTS | RESYNC_EVENTS
# queue_log lines are stamped in whole seconds and the link may have died a little before we noticed.
BACKFILL_MARGIN_SECONDS = 5
# How far back the queue_log is read so a call that ended in the blind window is seen from its start.
LOOKBACK_SECONDS = 4 * 3600


class QueueLogSource(Protocol):
    """Where Asterisk's queue_log can be read (the file beside Asterisk, or its realtime table)."""

    def read_since(self, since: int) -> list[QueueLogRecord]: ...


class QueueLogFile:
    """The queue_log file of an Asterisk running on the same machine."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read_since(self, since: int) -> list[QueueLogRecord]:
        """Records stamped at or after ``since``; bad lines are logged and skipped."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            log.warning("queue_log unreadable", path=str(self.path), error=str(exc))
            return []
        parsed = parse_queue_log(text.splitlines())
        for number, reason in parsed.errors:
            log.warning("queue_log line skipped", path=str(self.path), line=number, reason=reason)
        return [r for r in parsed.records if r.time >= since]


class CallIngest:
    """Tracker + recorder for one Asterisk server, fed by an ``AmiClient``."""

    def __init__(
        self,
        recorder: CallRecorder,
        *,
        server: str,
        agent_users: Mapping[str, AgentUser] | None = None,
        wrapup_seconds: Mapping[str, float] | None = None,
        queue_log: QueueLogSource | None = None,
        publish: Callable[[TrackerEvent], None] | None = None,
        clock: Callable[[], float] = time.time,
        resume_from: float | None = None,
    ) -> None:
        """``resume_from``: when the service last listened (e.g. its newest recorded call), so the
        first connection backfills the calls that came and went while it was down."""
        self.recorder = recorder
        self.tracker = CallTracker(server, agent_users=agent_users, wrapup_seconds=wrapup_seconds)
        self.queue_log = queue_log
        self.publish = publish
        self.clock = clock
        self.recorded_total = 0
        self.last_recorded: deque[RecordedCall] = deque(maxlen=1000)
        self.last_event_at: float | None = resume_from
        self._boot_number: int | None = None
        self._unrecorded: list[CallSummary] = []

    async def consume(self, msg: AmiEventLike) -> None:
        """The AMI client's consumer: one event in, typed events out, finished calls recorded."""
        now = self.clock()
        self.last_event_at = now
        try:
            events = self.tracker.feed(msg, now)
        except Exception:
            # One event the tracker cannot take must not stop the stream of every call after it.
            log.exception("AMI event skipped", server=self.tracker.server, event=msg.name)
            return
        if self.publish is not None:
            for event in events:
                self.publish(event)
        finished = self.tracker.pop_finished()
        if finished:
            await self._record(finished)

    async def on_connect(self, client: AmiClient) -> None:
        """After each login: resync with what is up, then backfill what ended unseen."""
        previous_boot = self.tracker.boot
        boot = self._boot_of(client)
        blind_since = self.last_event_at
        before = mark(self.tracker)
        try:
            channels = await client.action("CoreShowChannels")
            status = await client.action("QueueStatus")
        except AmiError as exc:
            log.warning("resync failed", server=client.name, error=str(exc))
            self.tracker.boot = boot
            return
        result = reconcile(self.tracker, channels.events, status.events, self.clock(), boot=boot, since=before)
        closed = {s.linkedid: s for s in self.tracker.pop_finished()}
        log.info(
            "resynced",
            server=client.name,
            boot=boot,
            ended_while_blind=len(closed),
            continued=len(result.continued),
            adopted=len(result.adopted),
        )
        summaries = self._backfill(blind_since, previous_boot, boot, closed) if blind_since is not None else []
        backfilled = {s.linkedid for s in summaries}
        summaries += [s for linkedid, s in closed.items() if linkedid not in backfilled]
        if summaries:
            await self._record(summaries)

    def _boot_of(self, client: AmiClient) -> str:
        # The client numbers boots; the key uses the boot's start second, as the capture replay does,
        # so the same call gets the same key here, in a replay and in a backfill.
        boot = client.boot
        if boot is None:
            return self.tracker.boot
        if boot.number == self._boot_number:
            return self.tracker.boot
        first = self._boot_number is None
        self._boot_number = boot.number
        if boot.started_at is None:
            return str(boot.number)
        started = int(boot.started_at)
        if not first and self.tracker.boot.isdigit() and started <= int(self.tracker.boot):
            # A new boot always gets a new id, even when the start estimate lands on the old second.
            started = int(self.tracker.boot) + 1
        return str(started)

    def _backfill(
        self, since: float, previous_boot: str, boot: str, closed: dict[str, CallSummary]
    ) -> list[CallSummary]:
        if self.queue_log is None:
            return []
        window_start = int(since) - BACKFILL_MARGIN_SECONDS
        records = self.queue_log.read_since(window_start - LOOKBACK_SECONDS)
        if previous_boot != boot:
            older, latest = split_at_restart(records)
        else:
            older, latest = [], records
        # Calls still up finish live; calls that ended live are recorded already (checked by Linkedid alone,
        # which carries its epoch second, so a boot misjudged as new cannot make a second contact).
        tracker = self.tracker
        skip = {r.callid for r in records if r.callid in tracker.calls or tracker.finished_recently(r.callid)}
        skip -= closed.keys()
        server = self.tracker.server
        summaries = plan_backfill(
            older,
            lambda callid: CallKey(server, previous_boot, callid),
            skip=skip,
            closed_blind=closed,
            since=window_start,
        )
        summaries += plan_backfill(latest, self.tracker.key, skip=skip, closed_blind=closed, since=window_start)
        return summaries

    async def _record(self, summaries: list[CallSummary]) -> None:
        batch, self._unrecorded = self._unrecorded + summaries, []
        try:
            recorded = await self.recorder.record(batch)
        except Exception:
            # A database hiccup must not stop the AMI stream: keep the calls and retry with the next batch.
            log.exception("recording calls failed", count=len(batch))
            self._unrecorded = batch
            return
        self.recorded_total += len(recorded)
        self.last_recorded.extend(recorded)
