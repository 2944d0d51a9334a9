"""Shapes of users and sign-in in the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from callcenter.users.models import Role


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(min_length=8, max_length=200)
    interface: str | None = Field(None, max_length=200, examples=["PJSIP/1001"])
    queues: list[str] = Field(default_factory=list, max_length=100)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    display_name: str | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None
    password: str | None = Field(None, min_length=8, max_length=200)
    interface: str | None = Field(None, max_length=200)
    queues: list[str] | None = Field(None, max_length=100)
    active: bool | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    interface: str | None
    queues: list[str]
    active: bool
    created_at: datetime


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LoginResult(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <token>` from API clients.")
    token_type: str = "bearer"
    expires_in: int
    user: UserOut
