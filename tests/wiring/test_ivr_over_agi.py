"""The IVR call port over FastAGI, driven by the pbxsim client (Asterisk's stand-in) over real TCP."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.engine import IvrEngine, SessionResult
from callcenter.ivr.port import CallerHungUp, CallPort
from callcenter.ivr.services import IvrServices
from callcenter.ivr.simulate import FixedClock, FixtureCustomers
from callcenter.pbxsim.agi_caller import R_511, CallerScript
from callcenter.pbxsim.agi_client import AgiCall, AgiCallReport, ScaledClock, run_agi_call
from callcenter.telephony.agi import AgiServer, AgiSession, ApplicationNotAllowed
from callcenter.wiring.ivr_over_agi import IvrCallOverAgi, flow_handlers, ivr_session_handler, resume_argument

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
TUESDAY_10AM_NEW_YORK = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
CUSTOMERS = [
    {"id": 1, "name": "Alice Vance", "phone": "+15551230001", "account": "4321", "segment": "vip"},
    {"id": 2, "name": "Bob Stone", "phone": "+15551230002", "account": "5678", "segment": "standard"},
]


async def place_call(
    handlers: Any, caller: str | CallerScript = "", speedup: float = 200, **call_fields: Any
) -> AgiCallReport:
    script = CallerScript.parse(caller) if isinstance(caller, str) else caller
    async with AgiServer(handlers, host="127.0.0.1", port=0) as server:
        clock = ScaledClock(speedup)
        return await run_agi_call(
            "127.0.0.1", server.port, AgiCall(caller=script, **call_fields), clock=clock, idle_timeout_s=5
        )


async def with_port(
    body: Any, caller: str | CallerScript = "", speedup: float = 200, **call_fields: Any
) -> AgiCallReport:
    async def run(port: CallPort, session: AgiSession) -> None:
        await body(port)

    return await place_call({"main-menu": ivr_session_handler(run)}, caller, speedup, **call_fields)


async def test_port_identity_comes_from_the_environment_and_linkedid() -> None:
    seen: list[Any] = []

    async def body(port: CallPort) -> None:
        seen.extend([port.caller_number, port.caller_name, port.channel, port.linkedid])

    report = await with_port(body, linkedid="1795438650.0")
    assert seen == ["+15551230001", "Alice", "Local/s@customer-00000000;1", "1795438650.0"]
    assert report.commands == ["GET VARIABLE CHANNEL(linkedid)"]


async def test_play_collect_wait_and_variables() -> None:
    seen: list[Any] = []

    async def body(port: CallPort) -> None:
        seen.append(await port.play("vm-options", "123"))
        seen.append(await port.collect("agent-pass", max_digits=4, timeout_s=5))
        seen.append(await port.collect("agent-pass", max_digits=4, timeout_s=5))  # nothing typed
        seen.append(await port.collect("agent-pass", max_digits=4, timeout_s=5))  # only '#'
        seen.append(await port.wait_digit(2.5))
        seen.append(await port.play("vm-goodbye"))
        await port.set_variable("IVR_QUEUE", "support")
        seen.append(await port.get_variable("IVR_QUEUE"))
        seen.append(await port.get_variable("NOT_SET"))

    report = await with_port(body, "2,4321,-,#,7,9")
    assert seen == ["2", "4321", None, "", "7", None, "support", None]
    assert "GET DATA agent-pass 5000 4" in report.commands
    assert "WAIT FOR DIGIT 2500" in report.commands
    assert report.variables_set == {"IVR_QUEUE": "support"}


async def test_say_maps_each_kind_to_its_agi_command() -> None:
    async def body(port: CallPort) -> None:
        await port.say("digits", "4321")
        await port.say("number", "42")
        await port.say("alpha", "abc")
        await port.say("date", "2026-11-24")
        await port.say("time", "14:30")
        await port.say("datetime", "2026-11-24T14:30:00-05:00")

    report = await with_port(body)
    assert report.commands[1:] == [
        'SAY DIGITS 4321 ""',
        'SAY NUMBER 42 ""',
        'SAY ALPHA abc ""',
        'SAY DATETIME 1795478400 "" "ABdY" UTC',  # 2026-11-24 00:00 wall clock
        'SAY DATETIME 946737000 "" "IMp" UTC',  # 14:30 wall clock
        'SAY DATETIME 1795530600 "" "ABdY \'digits/at\' IMp" UTC',  # 14:30 as written, not converted
    ]


async def test_run_application_is_limited_to_the_allow_list() -> None:
    seen: list[Any] = []

    async def body(port: CallPort) -> None:
        seen.append(await port.run_application("Playback", "tt-monkeys"))
        with pytest.raises(ApplicationNotAllowed):
            await port.run_application("System", "id")

    report = await with_port(body)
    assert seen == ["0"]
    assert report.applications == [("Playback", "tt-monkeys")]


@pytest.mark.parametrize(
    ("script", "method"),
    [("H1", "play"), ("43H4", "collect"), ("H0.5", "wait_digit"), ("H0.2", "say")],
)
async def test_hangup_at_any_command_raises_caller_hung_up(script: str, method: str) -> None:
    outcome: list[Any] = []

    async def body(port: CallPort) -> None:
        call = {
            "play": lambda: port.play("vm-options", "123"),
            "collect": lambda: port.collect("agent-pass", max_digits=4, timeout_s=5),
            "wait_digit": lambda: port.wait_digit(5),
            "say": lambda: port.say("digits", "1234567"),
        }[method]
        try:
            await call()
        except CallerHungUp:
            outcome.append("hung up")
            await port.set_variable("IVR_RESULT", "caller_hangup")  # still reaches the dialplan
            await ensure_notice(port)
            with pytest.raises(CallerHungUp):
                await port.play("vm-goodbye")  # after the HANGUP notice: refused without a round trip

    report = await with_port(body, script)
    assert outcome == ["hung up"]
    assert report.hangup_by == "caller"
    assert report.variables_set == {"IVR_RESULT": "caller_hangup"}
    assert 'STREAM FILE vm-goodbye ""' not in report.commands
    assert R_511 not in [line for _, _, line in report.transcript]


async def ensure_notice(port: CallPort) -> None:
    assert isinstance(port, IvrCallOverAgi)
    await port.session.wait_hangup()


async def test_a_511_also_becomes_caller_hung_up() -> None:
    outcome: list[Any] = []

    async def body(port: CallPort) -> None:
        assert isinstance(port, IvrCallOverAgi)
        await port.hangup()  # the IVR hangs up; Asterisk answers 511 to channel commands from then on
        assert not port.session.hung_up  # its HANGUP notice comes later (1 s here)
        try:
            await port.play("vm-goodbye")
        except CallerHungUp:
            outcome.append("hung up")

    report = await with_port(body, speedup=1, hangup_notice_delay_s=1.0)
    assert outcome == ["hung up"]
    assert report.hangup_by == "ivr"
    assert R_511 in [line for _, _, line in report.transcript]


def engine() -> tuple[IvrEngine, list[Any]]:
    events: list[Any] = []
    services = IvrServices(
        customers=FixtureCustomers(CUSTOMERS), clock=FixedClock(TUESDAY_10AM_NEW_YORK), on_event=events.append
    )
    return IvrEngine(FlowCatalog.from_directory(FLOWS), services), events


async def run_flow(caller: str, digits: str, **call_fields: Any) -> tuple[SessionResult, AgiCallReport]:
    ivr, _ = engine()
    results: list[SessionResult] = []

    async def run(port: CallPort, session: AgiSession) -> None:
        results.append(await ivr.run(port, session.environment.script))

    report = await place_call({"main-menu": ivr_session_handler(run)}, digits, caller_number=caller, **call_fields)
    assert len(results) == 1
    return results[0], report


async def test_main_menu_flow_queues_a_known_caller_to_support() -> None:
    channel = {"QUEUE_WAITING_COUNT(support)": "2", "QUEUEHOLDTIME": "120"}
    result, report = await run_flow("+15551230002", "1", variables=channel)
    assert result.outcome.as_dict()["action"] == "queue"
    assert result.outcome.details["queue"] == "support"
    assert report.variables_set["IVR_ACTION"] == "queue"
    assert report.variables_set["IVR_QUEUE"] == "support"
    assert result.path[-3:] == ["menu", "support", "support-queue/queue"]
    assert 'STREAM FILE vm-options "0123456789*#"' in report.commands
    assert 'SAY NUMBER 2 ""' in report.commands  # "there are 2 calls waiting", read from the channel
    # the saved state (JSON with quotes) crosses the AGI quoting intact
    assert json.loads(report.variables_set["IVR_STATE"])["customer"]["name"] == "Bob Stone"


async def test_main_menu_flow_records_the_path_when_the_caller_hangs_up_in_the_menu() -> None:
    result, report = await run_flow("+15551230002", "H0.5")
    assert result.outcome.action == "caller_hangup"
    assert result.path[-2:] == ["route", "menu"]
    assert report.hangup_by == "caller"


async def test_main_menu_flow_goodbye_hangs_up_from_the_ivr() -> None:
    result, report = await run_flow("+15551230002", "3")
    assert result.outcome.action == "hangup"
    assert report.hangup_by == "ivr"
    assert report.commands[-2:] == ['STREAM FILE vm-goodbye ""', "HANGUP"]


async def test_flow_lookup_serves_published_flows_only() -> None:
    ivr, _ = engine()
    lookup = flow_handlers(ivr)
    assert lookup("main-menu") is not None
    assert lookup("no-such-flow") is None
    report = await place_call(lookup, "1", caller_number="+15551230002", script="support-queue")
    assert report.variables_set.get("IVR_ACTION") == "queue"


async def test_resume_after_queue_comes_from_the_agi_argument() -> None:
    resumed: list[str | None] = []

    async def run(port: CallPort, session: AgiSession) -> None:
        resumed.append(resume_argument(session))

    await place_call({"main-menu": ivr_session_handler(run)}, arguments=("inbound",))
    await place_call({"main-menu": ivr_session_handler(run)}, arguments=("inbound", "resume=support-queue/queue"))
    assert resumed == [None, "support-queue/queue"]


async def test_flow_resumes_after_the_dialplan_queue_timed_out() -> None:
    ivr, _ = engine()
    handlers = flow_handlers(ivr)
    first = await place_call(handlers, "1", caller_number="+15551230002")
    assert first.variables_set["IVR_RESUME"] == "support-queue/queue"
    # the dialplan ran Queue(), which timed out, and calls the flow again with the resume point
    channel = {"IVR_STATE": first.variables_set["IVR_STATE"], "QUEUESTATUS": "TIMEOUT"}
    again = await place_call(
        handlers,
        "-",
        caller_number="+15551230002",
        arguments=("inbound", "resume=support-queue/queue"),
        variables=channel,
    )
    assert again.commands[1:5] == [
        "GET VARIABLE IVR_STATE",
        "GET VARIABLE QUEUESTATUS",
        'STREAM FILE custom/callback-offer "0123456789*#"',
        "WAIT FOR DIGIT 5000",
    ]
    assert again.variables_set["IVR_QUEUE"] == "support"
    assert again.variables_set["QUEUE_PRIO"] == "1"  # declined the callback: back in the queue, higher priority
