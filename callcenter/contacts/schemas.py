"""Pydantic shapes of the repository's API: what comes in (validated) and what goes out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from callcenter.contacts.models import CallbackStatus, CaseStatus, Channel, Direction, IdentityKind

T = TypeVar("T")

# Any offset is accepted; everything is stored and answered in UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda value: value.astimezone(UTC))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last.")


class IdentityIn(Strict):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)


class IdentityOut(Out):
    id: int
    kind: IdentityKind
    value: str


class CustomerCreate(Strict):
    display_name: str = Field(min_length=1, max_length=200)
    segment: str | None = Field(None, max_length=50)
    value_score: int = Field(0, ge=0, le=1_000_000)
    language: str | None = Field(None, max_length=16)
    consents: dict[str, bool] = Field(default_factory=dict)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=50)


class CustomerUpdate(Strict):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    segment: str | None = Field(None, max_length=50)
    value_score: int | None = Field(None, ge=0, le=1_000_000)
    language: str | None = Field(None, max_length=16)
    consents: dict[str, bool] | None = None


class CustomerOut(Out):
    id: int
    display_name: str
    segment: str | None
    value_score: int
    language: str | None
    consents: dict[str, Any]
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime
    identities: list[IdentityOut] = Field(default_factory=list)


class MergeRequest(Strict):
    source_id: int = Field(description="The customer that disappears into the target.")


class MergeResult(BaseModel):
    target: CustomerOut
    moved: dict[str, int]


class ContactEventIn(Strict):
    at: UtcDatetime
    type: str = Field(min_length=1, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict)


class ContactEventOut(Out):
    id: int
    at: datetime
    type: str
    data: dict[str, Any]


class ContactCreate(Strict):
    """A contact reported by any channel; (source, external_id) makes logging it twice harmless."""

    channel: Channel
    direction: Direction = Direction.INBOUND
    source: str = Field(min_length=1, max_length=64, examples=["web-form"])
    external_id: str = Field(min_length=1, max_length=255, examples=["submission-8812"])
    customer_id: int | None = Field(None, description="Known customer; else matched by `identity` or created.")
    identity: IdentityIn | None = Field(None, description="Phone, e-mail or account to match the customer by.")
    customer_name: str | None = Field(None, max_length=200, description="Name for a customer created here.")
    address: str | None = Field(None, max_length=320)
    started_at: UtcDatetime | None = None
    answered_at: UtcDatetime | None = None
    ended_at: UtcDatetime | None = None
    queue: str | None = Field(None, max_length=80)
    agent_id: int | None = None
    agent_name: str | None = Field(None, max_length=200)
    outcome: str | None = Field(None, max_length=32)
    disposition: str | None = Field(None, max_length=80)
    subject: str | None = Field(None, max_length=300)
    summary: str | None = Field(None, max_length=20_000)
    ivr_path: list[Any] = Field(default_factory=list)
    ivr_inputs: dict[str, Any] = Field(default_factory=dict)
    recording_ref: str | None = Field(None, max_length=500)
    wait_seconds: float | None = Field(None, ge=0)
    talk_seconds: float | None = Field(None, ge=0)
    hold_seconds: float | None = Field(None, ge=0)
    wrapup_seconds: float | None = Field(None, ge=0)
    hangup_by: str | None = Field(None, max_length=16)
    hangup_cause: str | None = Field(None, max_length=64)
    reconstructed: bool = False
    events: list[ContactEventIn] = Field(default_factory=list, max_length=10_000)

    @model_validator(mode="after")
    def _times_in_order(self) -> ContactCreate:
        if self.started_at and self.ended_at and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


class ContactUpdate(Strict):
    disposition: str | None = Field(None, max_length=80)
    summary: str | None = Field(None, max_length=20_000)
    subject: str | None = Field(None, max_length=300)
    outcome: str | None = Field(None, max_length=32)


class NoteCreate(Strict):
    body: str = Field(min_length=1, max_length=10_000)
    private: bool = False


class NoteOut(Out):
    id: int
    customer_id: int
    contact_id: int | None
    author_id: int | None
    body: str
    private: bool
    created_at: datetime


class ContactOut(Out):
    id: int
    customer_id: int
    channel: Channel
    direction: Direction
    source: str
    external_id: str
    address: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    queue: str | None
    agent_id: int | None
    agent_name: str | None
    outcome: str | None
    disposition: str | None
    subject: str | None
    summary: str | None
    ivr_path: list[Any]
    ivr_inputs: dict[str, Any]
    recording_ref: str | None
    wait_seconds: float | None
    talk_seconds: float | None
    hold_seconds: float | None
    wrapup_seconds: float | None
    hangup_by: str | None
    hangup_cause: str | None
    reconstructed: bool
    created_at: datetime
    updated_at: datetime


class LoggedContact(BaseModel):
    contact: ContactOut
    created: bool = Field(description="False when the same (source, external_id) was already stored.")


class ContactWithNotes(ContactOut):
    notes: list[NoteOut] = Field(default_factory=list)


class CaseCreate(Strict):
    customer_id: int
    subject: str = Field(min_length=1, max_length=300)
    owner_id: int | None = Field(None, description="Defaults to the agent who creates the case.")
    reply_due_at: UtcDatetime | None = None
    priority: int = Field(3, ge=1, le=5)
    contact_ids: list[int] = Field(default_factory=list, max_length=100)


class CaseUpdate(Strict):
    subject: str | None = Field(None, min_length=1, max_length=300)
    status: CaseStatus | None = None
    owner_id: int | None = None
    reply_due_at: UtcDatetime | None = None
    priority: int | None = Field(None, ge=1, le=5)


class CaseLink(Strict):
    contact_id: int


class CaseOut(Out):
    id: int
    customer_id: int
    subject: str
    status: CaseStatus
    priority: int
    owner_id: int | None
    reply_due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    contact_ids: list[int] = Field(default_factory=list)


class CallbackCreate(Strict):
    customer_id: int
    number: str = Field(min_length=3, max_length=40)
    window_start: UtcDatetime
    window_end: UtcDatetime
    assigned_agent_id: int | None = None
    queue: str | None = Field(None, max_length=80)
    reason: str | None = Field(None, max_length=300)
    contact_id: int | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> CallbackCreate:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


class CallbackUpdate(Strict):
    status: CallbackStatus | None = None
    assigned_agent_id: int | None = None
    window_start: UtcDatetime | None = None
    window_end: UtcDatetime | None = None


class CallbackOut(Out):
    id: int
    customer_id: int
    number: str
    window_start: datetime
    window_end: datetime
    status: CallbackStatus
    assigned_agent_id: int | None
    queue: str | None
    reason: str | None
    contact_id: int | None
    created_at: datetime
    updated_at: datetime


class CustomerHistory(BaseModel):
    """Everything the agent needs when this customer calls, in one answer."""

    customer: CustomerOut
    contacts: list[ContactWithNotes]
    customer_notes: list[NoteOut]
    open_cases: list[CaseOut]
    pending_callbacks: list[CallbackOut]
    next_cursor: str | None
