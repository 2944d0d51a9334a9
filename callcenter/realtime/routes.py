"""Websocket endpoints: ``/ws/agent`` (the user's own ``agent:<id>`` stream) and ``/ws/supervisor``.

Handshake checks, in order, each refused with an HTTP answer before the upgrade:

1. Origin: a browser's ``Origin`` must be the service's own (scheme and ``Host`` of the request) or in
   ``CALLCENTER_REALTIME__ALLOWED_ORIGINS``; otherwise 403. This stops other sites from riding on the
   session cookie (cross-site websocket hijacking). Clients that send no Origin (not browsers) pass.
2. Credentials, as for the REST API: ``Authorization: Bearer <token>``, else the session cookie, else
   ``?token=<bearer token>`` for clients that can set neither (a browser page without the cookie).
   The query form puts the token in URLs, which proxies and access logs record (this service masks it
   in uvicorn's lines, see :func:`mask_tokens_in_server_logs`; a proxy in front will not): prefer the
   cookie in browsers, keep tokens short-lived, or turn it off with
   ``CALLCENTER_REALTIME__TOKEN_IN_QUERY=false``.
   Missing or invalid: 401.
3. Role: ``/ws/supervisor`` needs supervisor or admin (403 for agents).
4. ``?since=<seq>`` (optional, an integer): the last seq the client holds, to resume.

Then the client receives the replay or a snapshot and the live messages (see :mod:`callcenter.realtime`).
"""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse

from callcenter.api.deps import NotSignedIn, authenticate
from callcenter.db import unit_of_work
from callcenter.realtime.connection import Connection
from callcenter.realtime.wire import SUPERVISORS, agent_stream
from callcenter.runtime import Runtime
from callcenter.users.models import Role
from callcenter.users.tokens import SESSION_COOKIE

router = APIRouter(tags=["realtime"])

_SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)
_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s\"]+")


class _MaskTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


def mask_tokens_in_server_logs() -> None:
    """Hide ``?token=`` values in the lines uvicorn logs for each websocket handshake."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _MaskTokens) for f in logger.filters):
        logger.addFilter(_MaskTokens())


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket) -> None:
    """The signed-in user's own calls and state."""
    await _serve(websocket, supervisors=False)


@router.websocket("/ws/supervisor")
async def supervisor_socket(websocket: WebSocket) -> None:
    """Queue and agent updates for supervisors and admins."""
    await _serve(websocket, supervisors=True)


async def _deny(websocket: WebSocket, status: int, detail: str) -> None:
    await websocket.send_denial_response(JSONResponse({"detail": detail}, status_code=status))


def _origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    origin = origin.rstrip("/").lower()
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    own = f"{scheme}://{websocket.headers.get('host', '')}".lower()
    return origin == own or origin in {o.rstrip("/").lower() for o in allowed}


def _bearer(websocket: WebSocket, *, query_allowed: bool) -> str | None:
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return websocket.query_params.get("token") if query_allowed else None


async def _sign_in(parts: Runtime, websocket: WebSocket) -> tuple[int, Role]:
    """The user id and role behind the handshake's credentials (the ORM object is not kept for the connection)."""
    async with unit_of_work(parts.sessions) as session:
        user = await authenticate(
            parts,
            session,
            bearer=_bearer(websocket, query_allowed=parts.settings.realtime.token_in_query),
            cookie=websocket.cookies.get(SESSION_COOKIE),
        )
        return user.id, user.role


async def _serve(websocket: WebSocket, *, supervisors: bool) -> None:
    parts: Runtime = websocket.app.state.runtime
    settings = parts.settings.realtime
    if not _origin_allowed(websocket, settings.allowed_origins):
        return await _deny(websocket, 403, f"origin {websocket.headers.get('origin')} is not allowed")
    since_text = websocket.query_params.get("since")
    if since_text is not None and not since_text.isdigit():
        return await _deny(websocket, 400, "since must be the last seq you received (a non-negative integer)")
    try:
        user_id, role = await _sign_in(parts, websocket)
    except NotSignedIn as exc:
        return await _deny(websocket, 401, str(exc))
    if supervisors and role not in _SUPERVISOR_ROLES:
        return await _deny(websocket, 403, f"the supervisors' stream is for supervisors and admins; you are {role}")
    await websocket.accept()
    stream = SUPERVISORS if supervisors else agent_stream(user_id)
    connection = Connection(websocket, stream=stream, user_id=user_id, send_queue_limit=settings.send_queue_limit)
    await parts.hub.serve(connection, int(since_text) if since_text is not None else None)
