"""Alert rules: each condition raises once, clears when it ends, and an acknowledgement names the person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callcenter.config import MetricsSettings
from callcenter.ivr.services import SurveyResult
from callcenter.metrics.alerts import AlertBook, AlertKind, AlertThresholds, AlreadyAcknowledged, OverdueCase
from callcenter.supervision.service import Supervision

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def queue(name="support", *, offered=10, sl=90.0, target=80.0, waiting=0, longest=0.0, ready=1, ringing=0) -> dict:
    return {
        "queue": name,
        "offered": offered,
        "service_level": sl,
        "service_level_target": target,
        "calls_waiting": waiting,
        "longest_wait_seconds": longest,
        "agents": {"ready": ready, "ringing": ringing},
    }


def kinds(changes) -> list[tuple[str, str, str]]:
    return [(c.action, c.alert.kind.value, c.alert.subject) for c in changes]


def test_service_level_under_target_needs_enough_calls_and_clears_when_back() -> None:
    book = AlertBook(AlertThresholds(min_offered_for_service_level=5))
    assert book.observe_queues([queue(offered=4, sl=50.0)], T0) == []  # too few calls to judge
    assert kinds(book.observe_queues([queue(offered=5, sl=60.0)], T0)) == [("raised", "service_level_low", "support")]
    assert book.observe_queues([queue(offered=6, sl=66.0)], T0) == []  # still low: no second alert
    assert kinds(book.observe_queues([queue(offered=7, sl=85.0)], T0)) == [("cleared", "service_level_low", "support")]


def test_longest_wait_and_no_agent_ready() -> None:
    book = AlertBook(AlertThresholds(longest_wait_seconds=60))
    assert book.observe_queues([queue(waiting=2, longest=60.0)], T0) == []  # at the threshold is not over it
    changes = book.observe_queues([queue(waiting=2, longest=61.0, ready=0)], T0 + timedelta(seconds=1))
    assert kinds(changes) == [("raised", "longest_wait", "support"), ("raised", "no_agent_ready", "support")]
    # An agent ringing for the caller is on the way: no longer "no agent".
    assert kinds(book.observe_queues([queue(waiting=1, longest=62.0, ready=0, ringing=1)], T0)) == [
        ("cleared", "no_agent_ready", "support")
    ]
    cleared = book.observe_queues([queue(waiting=0)], T0 + timedelta(seconds=5))
    assert kinds(cleared) == [("cleared", "longest_wait", "support")]
    assert cleared[0].alert.cleared_at == T0 + timedelta(seconds=5)
    assert book.listing() == []
    assert len(book.listing(include_closed=True)) == 2


def test_ami_link_down_and_up() -> None:
    book = AlertBook()
    assert kinds(book.ami_link("pbx1", False, T0)) == [("raised", "ami_down", "pbx1")]
    assert book.ami_link("pbx1", False, T0) == []
    assert kinds(book.ami_link("pbx1", True, T0)) == [("cleared", "ami_down", "pbx1")]
    assert book.ami_link("pbx2", True, T0) == []


def test_low_survey_stays_until_a_supervisor_acknowledges_it() -> None:
    book = AlertBook()
    assert book.survey(low=False, scores={"agent": 5}, caller="+15550001", linkedid="1.1", at=T0) == []
    (raised,) = book.survey(low=True, scores={"agent": 1}, caller="+15550002", linkedid="1.2", at=T0)
    assert raised.alert.kind is AlertKind.LOW_SURVEY and "+15550002" in raised.alert.message
    change = book.acknowledge(raised.alert.id, "Sue", T0 + timedelta(minutes=2))
    assert change.alert.acknowledged_by == "Sue"
    assert change.alert.acknowledged_at == T0 + timedelta(minutes=2)
    assert not change.alert.active
    with pytest.raises(AlreadyAcknowledged, match="Sue"):
        book.acknowledge(raised.alert.id, "Ada", T0)


def test_overdue_cases_raise_and_clear_with_the_list() -> None:
    book = AlertBook()
    late = OverdueCase(7, "Broken router", "Alice", T0 - timedelta(hours=1))
    assert kinds(book.overdue_cases([late], T0)) == [("raised", "case_overdue", "7")]
    assert book.overdue_cases([late], T0) == []
    # Acknowledging a condition alert does not close it: the case is still late.
    book.acknowledge(book.listing()[0].id, "Sue", T0)
    assert book.listing()[0].active
    assert kinds(book.overdue_cases([], T0 + timedelta(minutes=1))) == [("cleared", "case_overdue", "7")]


async def test_the_ivr_survey_port_raises_the_low_score_alert() -> None:
    supervision = Supervision(MetricsSettings(), clock=lambda: T0)
    await supervision.record_survey(
        SurveyResult({"resolved": 1, "agent": 4}, True, "+15550003", None, "post-call-survey", "9.9", T0)
    )
    (alert,) = supervision.alerts.listing()
    assert (alert.kind, alert.subject, alert.data["scores"]) == (
        AlertKind.LOW_SURVEY,
        "9.9",
        {"resolved": 1, "agent": 4},
    )
