"""The supervisor's live state in one place: live metrics, alerts and the Prometheus instruments.

``apply(event)`` is the entry point call events take until the event bus delivers them; ``check``
re-evaluates the queue alerts (the app calls it every second).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from callcenter.calls.events import AgentStateChanged
from callcenter.calls.summary import CallSummary
from callcenter.config import MetricsSettings, QueueMetricsSettings
from callcenter.contacts.call_recorder import CallRecorder, RecordedCall
from callcenter.ivr.services import SurveyResult
from callcenter.metrics.alerts import AlertBook, AlertChange, AlertThresholds, OverdueCase
from callcenter.metrics.definitions import MetricsRules, QueueRules
from callcenter.metrics.live import LiveInput, LiveMetrics
from callcenter.supervision.prometheus import PrometheusMetrics


def _queue_rules(settings: QueueMetricsSettings) -> QueueRules:
    return QueueRules(
        service_level_seconds=settings.service_level_seconds,
        short_abandon_seconds=settings.short_abandon_seconds,
        exclude_short_abandons=settings.exclude_short_abandons,
        service_level_target=settings.service_level_target,
    )


AGENT_LOG_BACKLOG = 100_000


def rules_from_settings(settings: MetricsSettings) -> MetricsRules:
    """The domain rules the settings describe."""
    return MetricsRules(
        timezone=settings.timezone,
        default=_queue_rules(settings.default),
        queues={name: _queue_rules(q) for name, q in settings.queues.items()},
    )


class Supervision:
    """Live metrics, alerts and Prometheus instruments of one app."""

    def __init__(self, settings: MetricsSettings, *, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or _utcnow
        self.rules = rules_from_settings(settings)
        self.live = LiveMetrics(self.rules)
        self.alerts = AlertBook(
            AlertThresholds(
                longest_wait_seconds=settings.longest_wait_alert_seconds,
                min_offered_for_service_level=settings.min_offered_for_service_level_alert,
            )
        )
        self.prometheus = PrometheusMetrics(self.live, lambda: self.clock())
        # Agent state changes waiting to be written to the agent state log (the oldest are dropped
        # when the database stays away that long).
        self.agent_log: deque[AgentStateChanged] = deque(maxlen=AGENT_LOG_BACKLOG)
        self._alert_listeners: list[Callable[[AlertChange], None]] = []

    def on_alert(self, listener: Callable[[AlertChange], None]) -> None:
        """Call ``listener`` with every alert raised, cleared or acknowledged (to push it to supervisors)."""
        self._alert_listeners.append(listener)

    def _publish(self, changes: list[AlertChange]) -> list[AlertChange]:
        for change in changes:
            for listener in self._alert_listeners:
                listener(change)
        return changes

    def apply(self, item: LiveInput) -> bool:
        """Count one call event, agent event or finished call."""
        if isinstance(item, AgentStateChanged):
            self.agent_log.append(item)
        return self.live.apply(item)

    def check(self, now: datetime | None = None) -> list[AlertChange]:
        """Re-evaluate the queue alerts against the live figures."""
        now = now or self.clock()
        return self._publish(self.alerts.observe_queues(self.live.snapshot(now)["queues"], now))

    def overdue_cases(self, cases: list[OverdueCase], now: datetime | None = None) -> list[AlertChange]:
        """The cases past their reply deadline now (the others' alerts clear)."""
        return self._publish(self.alerts.overdue_cases(cases, now or self.clock()))

    def acknowledge(self, alert_id: int, by: str) -> AlertChange:
        """``by`` has seen alert ``alert_id`` (UnknownAlert, AlreadyAcknowledged otherwise)."""
        change = self.alerts.acknowledge(alert_id, by, self.clock())
        self._publish([change])
        return change

    async def record_survey(self, result: SurveyResult) -> None:
        """The IVR's survey port: a low score raises the call-back alert."""
        self._publish(
            self.alerts.survey(
                low=result.low,
                scores=result.scores,
                caller=result.caller_number,
                linkedid=result.linkedid,
                at=result.answered_at,
            )
        )

    def ami_link(self, server: str, up: bool, now: datetime | None = None) -> list[AlertChange]:
        """Record the AMI link state of ``server`` (gauge and alert)."""
        self.prometheus.ami_connected.labels(server=server).set(1 if up else 0)
        return self._publish(self.alerts.ami_link(server, up, now or self.clock()))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class MeteredRecorder:
    """A call recorder that first counts each finished call in the live figures, then stores it.

    Give it to the ingest in place of the plain recorder: finished calls (with their talk, hold and
    wrap-up times, and the events of calls that ended while the link was down) reach the live metrics
    the moment the tracker closes them, whatever the database is doing.
    """

    def __init__(self, recorder: CallRecorder, supervision: Supervision) -> None:
        self.recorder = recorder
        self.supervision = supervision

    async def record(self, summaries: Sequence[CallSummary]) -> list[RecordedCall]:
        """Count the calls (live metrics count a call once however often it comes), then record them."""
        for summary in summaries:
            self.supervision.apply(summary)
        recorded = await self.recorder.record(summaries)
        created = sum(1 for r in recorded if r.created)
        if created:
            self.supervision.prometheus.contacts_recorded.labels(channel="voice").inc(created)
        return recorded
