"""REST endpoints of the signed-in agent's own desk: state, ready, pause, call, transfer, hang up, wrap-up.

Every action answers 202 once Asterisk accepted it; the new state arrives on the agent's websocket
stream when Asterisk reports it. Refusals: 409 (not possible now, e.g. no call to transfer), 422 (bad
number or reason), 502 (Asterisk refused; its message is in ``detail``), 503 (Asterisk unreachable).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from callcenter.agents.actions import AgentActions
from callcenter.agents.desk import DeskBook
from callcenter.api.deps import CurrentUser, SessionDep
from callcenter.contacts import repository, service
from callcenter.contacts.schemas import ContactUpdate
from callcenter.errors import Conflict, InvalidInput, ServiceError
from callcenter.realtime.wire import agent_stream

router = APIRouter(prefix="/api/agent", tags=["agent desk"])


class TelephonyOff(ServiceError):
    status_code = 503


@dataclass(frozen=True)
class DeskServices:
    """What these routes need; the composition root puts one on ``app.state.desk_services``."""

    desks: DeskBook
    actions: AgentActions


def _desk_services(request: Request) -> DeskServices:
    parts = getattr(request.app.state, "desk_services", None)
    if parts is None:
        raise TelephonyOff("the live console is not running in this service")
    return parts


TelephonyDep = Annotated[DeskServices, Depends(_desk_services)]


class PauseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=40)


class CallIn(BaseModel):
    number: str = Field(min_length=1, max_length=40)


class TransferIn(BaseModel):
    target: str = Field(min_length=1, max_length=40)


class WrapUpIn(BaseModel):
    disposition: str | None = Field(None, max_length=80)
    summary: str | None = Field(None, max_length=20_000)


ACCEPTED: dict[str, Any] = {"status_code": status.HTTP_202_ACCEPTED}


@router.get("/state")
async def my_state(user: CurrentUser, parts: TelephonyDep) -> dict[str, Any]:
    """The desk as the console draws it (the same document as the websocket snapshot)."""
    return {**parts.desks.desk(user.id).snapshot(), "pause_reasons": parts.actions.pause_reasons}


@router.post("/ready", **ACCEPTED)
async def ready(user: CurrentUser, parts: TelephonyDep) -> dict[str, str]:
    await parts.actions.ready(parts.desks.desk(user.id), user.interface)
    return {"status": "asked Asterisk to unpause you"}


@router.post("/pause", **ACCEPTED)
async def pause(body: PauseIn, user: CurrentUser, parts: TelephonyDep) -> dict[str, str]:
    await parts.actions.pause(parts.desks.desk(user.id), user.interface, body.reason)
    return {"status": f"asked Asterisk to pause you ({body.reason.strip()})"}


@router.post("/call", **ACCEPTED)
async def click_to_call(body: CallIn, user: CurrentUser, parts: TelephonyDep) -> dict[str, str]:
    await parts.actions.call(parts.desks.desk(user.id), user.interface, body.number)
    return {"status": "your phone rings first, then the number is dialled"}


@router.post("/transfer", **ACCEPTED)
async def transfer(body: TransferIn, user: CurrentUser, parts: TelephonyDep) -> dict[str, str]:
    await parts.actions.transfer(parts.desks.desk(user.id), body.target)
    return {"status": f"caller sent to {body.target}"}


@router.post("/hangup", **ACCEPTED)
async def hangup(user: CurrentUser, parts: TelephonyDep) -> dict[str, str]:
    await parts.actions.hangup(parts.desks.desk(user.id))
    return {"status": "hanging up"}


@router.post("/wrap-up")
async def wrap_up(
    body: WrapUpIn, request: Request, user: CurrentUser, session: SessionDep, parts: TelephonyDep
) -> dict[str, Any]:
    """Finish the wrap-up of the last call: store the disposition on its contact, release the agent."""
    desk = parts.desks.desk(user.id)
    pending = desk.wrap_up
    if pending is None:
        raise Conflict("you have no call to wrap up")
    if pending.disposition_required and not (body.disposition or "").strip():
        raise InvalidInput("this queue needs a disposition before you take the next call")
    contact = await repository.contact_by_key(session, pending.contact_source, pending.contact_external_id)
    if contact is None:
        raise Conflict("the call is still being recorded; try again in a moment")
    written = {name: value for name, value in body.model_dump().items() if value}
    if written:
        await service.update_contact(session, contact_id=contact.id, data=ContactUpdate(**written))
    if pending.paused_for_it:
        await parts.actions.wrap_up_pause(desk, user.interface, False)
    hub = request.app.state.runtime.hub
    for user_id, type_, data in parts.desks.wrapped_up(user.id, datetime.now(UTC)):
        await hub.publish(agent_stream(user_id), type_, data)
    return {"contact_id": contact.id, "customer_id": contact.customer_id}
