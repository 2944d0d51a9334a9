"""What the engine needs besides the call: customer lookups, callback booking, survey storage, events.

These are ports: the domain code states what it needs, the composition root plugs in the repository,
and the simulator plugs in fixtures. Nothing here touches SQL or sockets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Customer = dict[str, Any]


class CustomerDirectory(Protocol):
    """Finds a customer by phone number or account number; returns a plain mapping or None."""

    async def find_by_phone(self, number: str) -> Customer | None:
        """The customer with this phone number, if any."""
        ...

    async def find_by_account(self, account: str) -> Customer | None:
        """The customer with this account number, if any."""
        ...


@dataclass(frozen=True)
class CallbackRequest:
    """A caller asked to be called back instead of waiting."""

    number: str
    caller_number: str
    queue: str | None
    customer_id: str | None
    flow: str
    linkedid: str | None
    requested_at: dt.datetime


class CallbackRefused(Exception):
    """The number cannot be called back (not a phone number, barred ...); ``str()`` says why."""


class CallbackBooker(Protocol):
    """Stores a callback request (the repository in production)."""

    async def book_callback(self, request: CallbackRequest) -> None:
        """Record the request so an agent calls back; raise CallbackRefused for a number that cannot be."""
        ...


@dataclass(frozen=True)
class SurveyResult:
    """Answers of a post-call survey; ``low`` when any score is at or under the flow's threshold."""

    scores: dict[str, int | None]
    low: bool
    caller_number: str
    customer_id: str | None
    flow: str
    linkedid: str | None
    answered_at: dt.datetime


class SurveyRecorder(Protocol):
    """Stores survey answers on the contact and raises the low-score alert."""

    async def record_survey(self, result: SurveyResult) -> None:
        """Record the answers."""
        ...


EventKind = Literal["ivr_started", "node_entered", "input_collected", "node_warning", "ivr_ended"]


@dataclass(frozen=True)
class IvrEvent:
    """Something that happened in one IVR session; the call tracker joins it to the call by ``linkedid``."""

    kind: EventKind
    session_id: str
    flow: str
    linkedid: str | None
    channel: str | None
    caller_number: str
    at: dt.datetime
    node: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


EventSink = Callable[[IvrEvent], Awaitable[None] | None]


class NoCustomers:
    """A directory that knows nobody (no repository configured)."""

    async def find_by_phone(self, number: str) -> Customer | None:
        """Nobody."""
        return None

    async def find_by_account(self, account: str) -> Customer | None:
        """Nobody."""
        return None


class KeptCallbacks:
    """Keeps callback requests in memory (simulation, tests)."""

    def __init__(self) -> None:
        self.requests: list[CallbackRequest] = []

    async def book_callback(self, request: CallbackRequest) -> None:
        """Keep the request."""
        self.requests.append(request)


class KeptSurveys:
    """Keeps survey results in memory (simulation, tests)."""

    def __init__(self) -> None:
        self.results: list[SurveyResult] = []

    async def record_survey(self, result: SurveyResult) -> None:
        """Keep the result."""
        self.results.append(result)


def utc_now() -> dt.datetime:
    """The current time, timezone-aware."""
    return dt.datetime.now(dt.UTC)


@dataclass
class IvrServices:
    """Everything the engine calls besides the call itself."""

    customers: CustomerDirectory = field(default_factory=NoCustomers)
    callbacks: CallbackBooker = field(default_factory=KeptCallbacks)
    surveys: SurveyRecorder = field(default_factory=KeptSurveys)
    clock: Callable[[], dt.datetime] = utc_now
    on_event: EventSink | None = None
    timezone: str = "UTC"
