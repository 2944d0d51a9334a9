"""Supervisor alerts: raised when a condition starts, cleared when it ends, acknowledged by a person.

An alert is keyed by its kind and subject (``("longest_wait", "support")``); while it is open, the
same condition does not raise it again. Conditions watched:

* ``service_level_low``: today's service level of a queue under its target, once enough calls
  were offered for the figure to mean something;
* ``longest_wait``: a caller waiting longer than the threshold;
* ``no_agent_ready``: callers waiting and no agent of the queue ready or ringing;
* ``low_survey``: a post-call survey scored low (an event: only acknowledging closes it);
* ``case_overdue``: a case past its reply deadline (cleared when it is answered or re-dated);
* ``ami_down``: the link to an Asterisk server is down.

Every raise, clear and acknowledgement is returned as an ``AlertChange`` for whoever pushes them
live; nothing here stores or sends anything.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class AlertKind(enum.StrEnum):
    SERVICE_LEVEL_LOW = "service_level_low"
    LONGEST_WAIT = "longest_wait"
    NO_AGENT_READY = "no_agent_ready"
    LOW_SURVEY = "low_survey"
    CASE_OVERDUE = "case_overdue"
    AMI_DOWN = "ami_down"


@dataclass(slots=True)
class Alert:
    id: int
    kind: AlertKind
    subject: str
    message: str
    raised_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    cleared_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Still open: the condition holds, or an event alert nobody acknowledged yet."""
        return self.cleared_at is None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "subject": self.subject,
            "message": self.message,
            "raised_at": self.raised_at.isoformat(),
            "cleared_at": self.cleared_at.isoformat() if self.cleared_at else None,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at.isoformat() if self.acknowledged_at else None,
            "active": self.active,
            "data": dict(self.data),
        }


@dataclass(frozen=True, slots=True)
class AlertChange:
    """One alert raised, cleared or acknowledged."""

    action: str
    alert: Alert


@dataclass(frozen=True, slots=True)
class OverdueCase:
    """A case whose reply deadline passed."""

    case_id: int
    subject: str
    owner: str | None
    reply_due_at: datetime


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    longest_wait_seconds: float = 120.0
    min_offered_for_service_level: int = 5


class UnknownAlert(LookupError):
    """No alert has that id."""


class AlreadyAcknowledged(ValueError):
    """Someone acknowledged the alert before."""


# Kinds that are events rather than conditions: they stay open until acknowledged.
EVENT_KINDS = frozenset({AlertKind.LOW_SURVEY})
KEEP_CLOSED = 500


class AlertBook:
    """Open alerts and the most recent closed ones."""

    def __init__(self, thresholds: AlertThresholds | None = None) -> None:
        self.thresholds = thresholds or AlertThresholds()
        self.alerts: dict[int, Alert] = {}
        self._open: dict[tuple[AlertKind, str], Alert] = {}
        self._ids = itertools.count(1)

    # -- raising and clearing -------------------------------------------------------

    def _raise(
        self, kind: AlertKind, subject: str, message: str, at: datetime, data: dict[str, Any], out: list[AlertChange]
    ) -> None:
        current = self._open.get((kind, subject))
        if current is not None:
            current.data.update(data)
            return
        alert = Alert(next(self._ids), kind, subject, message, at, dict(data))
        self.alerts[alert.id] = self._open[(kind, subject)] = alert
        out.append(AlertChange("raised", alert))
        self._prune()

    def _clear(self, kind: AlertKind, subject: str, at: datetime, out: list[AlertChange]) -> None:
        alert = self._open.pop((kind, subject), None)
        if alert is not None:
            alert.cleared_at = at
            out.append(AlertChange("cleared", alert))

    def _set(
        self, on: bool, kind: AlertKind, subject: str, message: str, at: datetime, data: dict[str, Any], out: list
    ) -> None:
        if on:
            self._raise(kind, subject, message, at, data, out)
        else:
            self._clear(kind, subject, at, out)

    def _prune(self) -> None:
        closed = [a.id for a in self.alerts.values() if not a.active and a.acknowledged_at is not None]
        for alert_id in closed[: max(0, len(closed) - KEEP_CLOSED)]:
            del self.alerts[alert_id]

    # -- conditions -----------------------------------------------------------------

    def observe_queues(self, queues: Iterable[Mapping[str, Any]], at: datetime) -> list[AlertChange]:
        """Check the queue conditions against live queue figures (``LiveMetrics.snapshot()['queues']``)."""
        out: list[AlertChange] = []
        limit = self.thresholds.longest_wait_seconds
        for q in queues:
            name = q["queue"]
            sl, target = q["service_level"], q["service_level_target"]
            low = sl is not None and sl < target and q["offered"] >= self.thresholds.min_offered_for_service_level
            self._set(
                low,
                AlertKind.SERVICE_LEVEL_LOW,
                name,
                f"{name}: service level {sl}% is under the {target}% target",
                at,
                {"service_level": sl, "target": target},
                out,
            )
            wait = q["longest_wait_seconds"]
            self._set(
                q["calls_waiting"] > 0 and wait > limit,
                AlertKind.LONGEST_WAIT,
                name,
                f"{name}: a caller has waited more than {limit:g} s",
                at,
                {"longest_wait_seconds": wait},
                out,
            )
            agents = q["agents"]
            self._set(
                q["calls_waiting"] > 0 and agents["ready"] + agents["ringing"] == 0,
                AlertKind.NO_AGENT_READY,
                name,
                f"{name}: callers are waiting and no agent is ready",
                at,
                {"calls_waiting": q["calls_waiting"]},
                out,
            )
        return out

    def ami_link(self, server: str, up: bool, at: datetime) -> list[AlertChange]:
        """The AMI link to ``server`` went up or down."""
        out: list[AlertChange] = []
        self._set(not up, AlertKind.AMI_DOWN, server, f"the AMI link to {server} is down", at, {}, out)
        return out

    def survey(
        self, *, low: bool, scores: Mapping[str, int | None], caller: str, linkedid: str | None, at: datetime
    ) -> list[AlertChange]:
        """A post-call survey finished; a low one raises an alert to call the customer back."""
        out: list[AlertChange] = []
        if low:
            subject = linkedid or f"{caller}@{at.isoformat()}"
            message = f"low survey score from {caller}: call the customer back"
            self._raise(AlertKind.LOW_SURVEY, subject, message, at, {"scores": dict(scores), "caller": caller}, out)
        return out

    def overdue_cases(self, cases: Iterable[OverdueCase], at: datetime) -> list[AlertChange]:
        """The complete list of cases past their reply deadline now; others clear."""
        out: list[AlertChange] = []
        overdue = {str(c.case_id): c for c in cases}
        for kind, subject in [k for k in self._open if k[0] is AlertKind.CASE_OVERDUE and k[1] not in overdue]:
            self._clear(kind, subject, at, out)
        for subject, case in overdue.items():
            data = {"case_id": case.case_id, "owner": case.owner, "reply_due_at": case.reply_due_at.isoformat()}
            message = f"case {case.case_id} ({case.subject}) is past its reply deadline"
            self._raise(AlertKind.CASE_OVERDUE, subject, message, at, data, out)
        return out

    # -- people ---------------------------------------------------------------------

    def acknowledge(self, alert_id: int, by: str, at: datetime) -> AlertChange:
        """``by`` (a supervisor's name) has seen the alert; an event alert closes with it."""
        alert = self.alerts.get(alert_id)
        if alert is None:
            raise UnknownAlert(f"no alert {alert_id}")
        if alert.acknowledged_at is not None:
            raise AlreadyAcknowledged(f"alert {alert_id} was acknowledged by {alert.acknowledged_by}")
        alert.acknowledged_by, alert.acknowledged_at = by, at
        if alert.kind in EVENT_KINDS and alert.active:
            self._open.pop((alert.kind, alert.subject), None)
            alert.cleared_at = at
        return AlertChange("acknowledged", alert)

    def listing(self, *, include_closed: bool = False) -> list[Alert]:
        """Open alerts (and closed ones when asked), newest first."""
        alerts = [a for a in self.alerts.values() if include_closed or a.active]
        return sorted(alerts, key=lambda a: a.id, reverse=True)
