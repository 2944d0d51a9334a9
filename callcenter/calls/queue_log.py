"""Asterisk's queue_log: its durable record of every queue call, read line by line.

Format: ``<epoch>|<call id>|<queue>|<agent>|<EVENT>|<data1>|...`` (the realtime
``queue_log`` table has the same columns). The call id is the caller channel's Uniqueid;
``NONE``/``MANAGER`` lines are about members, not calls. With ``log_membername_as_agent``
the agent column is the member name (PENALTY logs the interface).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from callcenter.calls.legs import MAX_DURATION, MAX_EPOCH

MEMBER_CALL_IDS = frozenset({"NONE", "MANAGER"})


class QueueLogError(ValueError):
    """A line that is not a queue_log record."""


@dataclass(frozen=True, slots=True)
class QueueLogRecord:
    time: int
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    @property
    def is_call(self) -> bool:
        """True for lines about a caller (not a member or the queue engine)."""
        return self.callid not in MEMBER_CALL_IDS

    def field(self, index: int, default: str = "") -> str:
        """Data field ``index`` (0-based; negative counts from the end), or ``default`` when absent."""
        try:
            return self.data[index]
        except IndexError:
            return default

    def number(self, index: int) -> int:
        """Data field ``index`` as a whole number of seconds or ms (0 when absent, not a number or absurd)."""
        value = self.field(index)
        number = int(value) if value.isdigit() and len(value) <= 12 else 0
        return number if number <= MAX_DURATION * 1000 else 0


def parse_line(line: str) -> QueueLogRecord:
    """One queue_log line; raises QueueLogError saying what is wrong."""
    parts = line.rstrip("\r\n").split("|")
    if len(parts) < 5:
        raise QueueLogError(f"expected at least 5 `|`-separated fields, got {len(parts)}")
    time, callid, queue, agent, event, *data = parts
    if not time.isdigit() or int(time) > MAX_EPOCH:
        raise QueueLogError(f"time {time!r} is not epoch seconds")
    if not event:
        raise QueueLogError("empty event name")
    return QueueLogRecord(int(time), callid, queue, agent, event, tuple(data))


@dataclass
class ParsedQueueLog:
    records: list[QueueLogRecord]
    errors: list[tuple[int, str]]


def parse_queue_log(lines: Iterable[str]) -> ParsedQueueLog:
    """Every record of ``lines``; bad lines are reported as (line number, reason) and skipped."""
    result = ParsedQueueLog([], [])
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            result.records.append(parse_line(line))
        except QueueLogError as exc:
            result.errors.append((number, str(exc)))
    return result


def split_at_restart(records: list[QueueLogRecord]) -> tuple[list[QueueLogRecord], list[QueueLogRecord]]:
    """(older, latest): the records before the last restart (``QUEUESTART``) and those after it.

    Uniqueids restart with Asterisk, so the two parts belong to different boots. Without a
    restart among ``records`` all of them are the latest.
    """
    for index in range(len(records) - 1, -1, -1):
        if records[index].event == "QUEUESTART":
            return records[:index], records[index + 1 :]
    return [], records
