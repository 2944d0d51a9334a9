"""The shipped dialplan acts on every outcome the IVR hands back (ivr_flows/README.md, "What the dialplan reads")."""

from __future__ import annotations

from callcenter.telephony.asterisk_conf.dialplan import read_dialplan
from callcenter.telephony.asterisk_conf.parser import load_config
from tests.asterisk_conf.confkit import SHIPPED

IVR_ACTIONS = ("queue", "transfer", "voicemail", "continue", "error")


def test_every_ivr_action_has_a_route() -> None:
    plan = read_dialplan(load_config(SHIPPED / "extensions.conf"))
    for action in IVR_ACTIONS:
        assert plan.has_extension("callcenter-route", action), action
    # An action the dialplan does not know, and a service that never answered, both fall back.
    assert plan.has_extension("callcenter-route", "i")
    assert plan.has_extension("callcenter-route", "fallback")


def test_queue_route_resumes_the_flow_and_offers_the_survey() -> None:
    plan = read_dialplan(load_config(SHIPPED / "extensions.conf"))
    queue = [step for step in plan.contexts["callcenter-route"] if step.exten == "queue"]
    apps = [step.app for step in queue]
    assert apps.index("Queue") < apps.index("AGI")
    [queue_step] = [step for step in queue if step.app == "Queue"]
    # Option c: the caller stays in the dialplan when the agent hangs up first (the survey).
    assert queue_step.arguments() == ["${IVR_QUEUE}", "c", "", "", "${IVR_QUEUE_TIMEOUT}"]
    [resume] = [step for step in queue if step.app == "AGI"]
    assert resume.arguments() == ["${CALLCENTER_AGI}/${IVR_FLOW}", "resume=${RESUME_AT}"]
    survey = [step for step in plan.contexts["callcenter-survey"] if step.app == "AGI"]
    assert [step.arguments()[0] for step in survey] == ["${CALLCENTER_AGI}/post-call-survey"]
