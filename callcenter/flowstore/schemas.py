"""Request and response bodies of the flow store API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from callcenter.contacts.schemas import UtcDatetime
from callcenter.flowstore.models import PublicationKind


class DraftIn(BaseModel):
    source: str = Field(min_length=1, max_length=200_000, description="The flow as YAML")
    message: str = Field(min_length=1, max_length=500, description="What this version changes, for the history")
    based_on: int | None = Field(None, description="The version number this text was edited from")


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    flow_name: str
    number: int
    message: str
    author_id: int | None
    based_on: int | None
    created_at: UtcDatetime
    live: bool = False


class VersionDetail(VersionOut):
    source: str


class DiffOut(BaseModel):
    flow_name: str
    from_number: int | None
    to_number: int
    changes: list[str]


class PublicationOut(BaseModel):
    flow_name: str
    number: int
    kind: PublicationKind
    published_by_id: int | None
    published_at: UtcDatetime


class FlowSummary(BaseModel):
    flow_name: str
    latest: int
    live: int | None
