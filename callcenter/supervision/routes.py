"""Supervisor endpoints: live figures, interval reports (JSON or CSV), alerts; and ``/metrics``."""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from callcenter.api.deps import SessionDep, SupervisorUser
from callcenter.errors import Conflict, InvalidInput, NotFound
from callcenter.metrics.alerts import AlreadyAcknowledged, UnknownAlert
from callcenter.metrics.definitions import Interval
from callcenter.metrics.reports import (
    IntervalReport,
    ReportRangeError,
    build_report,
    interval_starts,
    report_window,
    rows_to_csv,
)
from callcenter.supervision import repository
from callcenter.supervision.service import Supervision

router = APIRouter(tags=["supervision"])


class ReportFormat(enum.StrEnum):
    JSON = "json"
    CSV = "csv"


def supervision(request: Request) -> Supervision:
    return request.app.state.runtime.supervision


async def _report(request: Request, session: Any, start: date, end: date, interval: Interval) -> IntervalReport:
    parts = supervision(request)
    rules = parts.rules
    try:
        window_start, window_end = report_window(start, end, rules)
        interval_starts(window_start, window_end, interval, rules)  # a too long range fails before any read
        calls = await repository.calls_between(session, window_start, window_end)
        changes = await repository.agent_changes_between(session, window_start, window_end)
        return build_report(calls, rules, interval, start, end, agent_changes=changes, until=parts.clock())
    except ReportRangeError as exc:
        raise InvalidInput(str(exc)) from exc


def _answer(
    rows: list[dict[str, Any]],
    fmt: ReportFormat,
    kind: str,
    report: IntervalReport,
    start: date,
    end: date,
    interval: Interval,
) -> Any:
    """The rows as a CSV download or as JSON with the range they cover."""
    if fmt is ReportFormat.CSV:
        name = f"{kind}-{start}-{end}-{interval.value}"
        return Response(
            rows_to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "interval": interval.value,
        "timezone": report.rules.timezone,
        "rows": rows,
    }


StartQuery = Annotated[date, Query(description="First local day of the range (YYYY-MM-DD).")]
EndQuery = Annotated[date, Query(description="Last local day of the range, included.")]
IntervalQuery = Annotated[Interval, Query(description="Interval length: 15m, hour or day.")]
FormatQuery = Annotated[ReportFormat, Query(description="json (default) or csv.")]


@router.get("/api/reports/queues")
async def queue_report(
    request: Request,
    _user: SupervisorUser,
    session: SessionDep,
    start: StartQuery,
    end: EndQuery,
    interval: IntervalQuery = Interval.HOUR,
    queue: Annotated[list[str] | None, Query(description="Only these queues (repeat the parameter).")] = None,
    format: FormatQuery = ReportFormat.JSON,
) -> Any:
    """Per-queue figures of every interval of local days ``start``..``end``."""
    report = await _report(request, session, start, end, interval)
    return _answer(report.queue_rows(queue), format, "queues", report, start, end, interval)


@router.get("/api/reports/agents")
async def agent_report(
    request: Request,
    _user: SupervisorUser,
    session: SessionDep,
    start: StartQuery,
    end: EndQuery,
    interval: IntervalQuery = Interval.HOUR,
    agent: Annotated[list[str] | None, Query(description="Only these member interfaces.")] = None,
    format: FormatQuery = ReportFormat.JSON,
) -> Any:
    """Per-agent figures of every interval of local days ``start``..``end``."""
    report = await _report(request, session, start, end, interval)
    return _answer(report.agent_rows(agent), format, "agents", report, start, end, interval)


@router.get("/api/metrics/live")
async def live_figures(request: Request, _user: SupervisorUser) -> dict[str, Any]:
    """Today's queue and agent figures as they are now."""
    parts = supervision(request)
    return parts.live.snapshot(parts.clock())


@router.get("/api/alerts")
async def list_alerts(
    request: Request,
    _user: SupervisorUser,
    include_closed: Annotated[bool, Query(description="Also the recently closed alerts.")] = False,
) -> dict[str, Any]:
    """Open alerts, newest first."""
    alerts = supervision(request).alerts.listing(include_closed=include_closed)
    return {"alerts": [a.to_json() for a in alerts]}


@router.post("/api/alerts/{alert_id}/acknowledge")
async def acknowledge_alert(
    request: Request, alert_id: int, user: SupervisorUser, session: SessionDep
) -> dict[str, Any]:
    """The signed-in supervisor has seen the alert; written to the audit trail."""
    try:
        change = supervision(request).acknowledge(alert_id, user.display_name)
    except UnknownAlert as exc:
        raise NotFound(str(exc)) from exc
    except AlreadyAcknowledged as exc:
        raise Conflict(str(exc)) from exc
    await repository.record_acknowledgement(session, alert=change.alert, user_id=user.id)
    return change.alert.to_json()


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus text exposition of this app's registry."""
    return Response(generate_latest(supervision(request).prometheus.registry), media_type=CONTENT_TYPE_LATEST)
