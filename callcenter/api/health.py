"""Liveness (`/health`) and readiness (`/ready`: database reachable, migrations at head)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from callcenter.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    engine = request.app.state.runtime.engine
    head = head_revision()
    try:
        current = await current_revision(engine)
    except Exception as exc:  # any driver error means "not ready", with the reason
        return JSONResponse({"status": "unavailable", "database": f"unreachable: {exc}"}, status_code=503)
    if current != head:
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "reachable",
                "migration": current,
                "head": head,
                "hint": "run `callcenter db upgrade`",
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready", "database": "reachable", "migration": current})
