"""The wallboard and report pages, and the supervisor's agent actions (written to the audit trail).

``POST /api/supervisor/agents/pause`` ``{"interface", "reason"}``, ``.../unpause`` ``{"interface"}`` and
``.../logoff`` ``{"interface"}``: 200 ``{"interface", "server", "action", "queues"}`` once Asterisk accepted
the action; 502 with Asterisk's message when it refused, 503 when the AMI link is down (nothing changed),
404 for an agent the live board does not know, 422 for a malformed interface or reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.api.deps import SessionDep, SupervisorUser, current_user
from callcenter.contacts.repository import record_audit
from callcenter.db import unit_of_work
from callcenter.errors import Conflict, NotFound
from callcenter.runtime import Runtime
from callcenter.users.models import Role
from callcenter.wallboard.actions import PartlyLoggedOff, SupervisorActions, check_interface
from callcenter.web.routes import templates

pages = APIRouter(include_in_schema=False)
router = APIRouter(prefix="/api/supervisor", tags=["supervision"])

_SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)


async def _page(request: Request, session: SessionDep, template: str, title: str) -> Response:
    try:
        user = await current_user(request, session, None)
    except HTTPException:
        user = None
    if user is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if user.role not in _SUPERVISORS:
        return templates.TemplateResponse(request, "forbidden.html", {"title": title, "user": user}, status_code=403)
    limit = _runtime(request).settings.metrics.longest_wait_alert_seconds
    return templates.TemplateResponse(request, template, {"title": title, "user": user, "longest_wait_alert": limit})


@pages.get("/wallboard", response_class=HTMLResponse)
async def wallboard_page(request: Request, session: SessionDep) -> Response:
    return await _page(request, session, "wallboard.html", "Wallboard")


@pages.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, session: SessionDep) -> Response:
    return await _page(request, session, "reports.html", "Reports")


class AgentTarget(BaseModel):
    interface: str = Field(description="The agent's queue member interface, as the wallboard lists it.")


class PauseRequest(AgentTarget):
    reason: str = Field("supervisor", description="Pause reason Asterisk reports (1-40 characters).")


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _agent(parts: Runtime, interface: str) -> tuple[str, list[str]]:
    """The agent's Asterisk server and queues, from the live board."""
    check_interface(interface)
    agent = parts.supervision.live.board.agents.get(interface)
    if agent is None:
        raise NotFound(f"no agent {interface} on the live board")
    feed = parts.wallboard
    server = SupervisorActions(parts.ami).server_for(feed.servers.get(interface) if feed else None)
    # The board learns a queue from a state change in it; the tracker knows every membership Asterisk listed.
    queues = set(agent.queues) | (parts.ami_links.memberships(server, interface) if parts.ami_links else set())
    return server, sorted(queues)


async def _done(session: AsyncSession, user_id: int, action: str, server: str, interface: str, **data: Any) -> dict:
    await record_audit(
        session, actor_id=user_id, action=f"agent.{action}", target=f"agent:{interface}"[:128],
        data={"server": server, **data},
    )  # fmt: skip
    return {"interface": interface, "server": server, "action": action, **data}


@router.post("/agents/pause")
async def pause_agent(request: Request, body: PauseRequest, user: SupervisorUser, session: SessionDep) -> dict:
    """Pause the agent in all their queues."""
    parts = _runtime(request)
    server, queues = _agent(parts, body.interface)
    await SupervisorActions(parts.ami).pause(server, body.interface, body.reason)
    return await _done(session, user.id, "pause", server, body.interface, reason=body.reason.strip(), queues=queues)


@router.post("/agents/unpause")
async def unpause_agent(request: Request, body: AgentTarget, user: SupervisorUser, session: SessionDep) -> dict:
    """Make the agent available again in all their queues."""
    parts = _runtime(request)
    server, queues = _agent(parts, body.interface)
    await SupervisorActions(parts.ami).unpause(server, body.interface)
    return await _done(session, user.id, "unpause", server, body.interface, queues=queues)


@router.post("/agents/logoff")
async def log_off_agent(request: Request, body: AgentTarget, user: SupervisorUser, session: SessionDep) -> dict:
    """Remove the agent from every queue they are a member of."""
    parts = _runtime(request)
    server, queues = _agent(parts, body.interface)
    if not queues:
        raise Conflict(f"{body.interface} is in no queue: already logged off")
    try:
        removed = await SupervisorActions(parts.ami).log_off(server, body.interface, queues)
    except PartlyLoggedOff as exc:
        # What Asterisk did is on the record even though the request fails (its own transaction).
        async with unit_of_work(parts.sessions) as audit:
            await _done(audit, user.id, "logoff", server, body.interface, queues=exc.removed, partial=True)
        raise
    return await _done(session, user.id, "logoff", server, body.interface, queues=removed)
