"""The pages: sign-in and the agent console. Their data comes from the REST API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from callcenter.api.deps import SessionDep, current_user
from callcenter.users.models import User

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


async def _browser_user(request: Request, session: SessionDep) -> User | None:
    """The user of the session cookie, or None: pages send strangers to the sign-in form."""
    try:
        return await current_user(request, session, None)
    except HTTPException:
        return None


@router.get("/")
async def home() -> Response:
    return RedirectResponse("/agent", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"title": "Sign in"})


@router.get("/agent", response_class=HTMLResponse)
async def agent_console(request: Request, session: SessionDep) -> Response:
    user = await _browser_user(request, session)
    if user is None:
        return RedirectResponse("/login?next=/agent", status_code=303)
    reasons = request.app.state.runtime.settings.console.pause_reasons
    context = {"title": "Agent console", "user": user, "pause_reasons": reasons}
    return templates.TemplateResponse(request, "agent.html", context)
