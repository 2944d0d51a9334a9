"""The pbxsim FastAGI client (Asterisk's stand-in) against the server, over real TCP sockets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from callcenter.pbxsim.agi_caller import R_511, CallerScript, HangUp, Press, Silence
from callcenter.pbxsim.agi_client import AgiCall, AgiCallReport, ScaledClock, run_agi_call
from callcenter.telephony.agi import (
    AgiCommandError,
    AgiHangup,
    AgiLimits,
    AgiSession,
    GetDataResult,
    SessionHandler,
    StreamFileResult,
)
from callcenter.telephony.agi.protocol import encode_environment
from tests.telephony.agi.agi_support import raw_bytes, running_server


async def call(
    handler: SessionHandler, caller: str | CallerScript = "", limits: AgiLimits | None = None, **call_fields: Any
) -> AgiCallReport:
    script = CallerScript.parse(caller) if isinstance(caller, str) else caller
    async with running_server({"main-menu": handler}, limits=limits) as server:
        return await run_agi_call(
            "127.0.0.1", server.port, AgiCall(caller=script, **call_fields), clock=ScaledClock(200), idle_timeout_s=5
        )


async def main_menu(session: AgiSession, seen: list[Any]) -> None:
    """The IVR of the captures: answer, menu, account, queue."""
    await session.answer()
    seen.append(await session.get_variable("CALLERID(num)"))
    choice = await session.stream_file("vm-options", "123")
    seen.append(choice)
    if choice.digit is None:
        seen.append(await session.wait_for_digit(5000))
    account = await session.get_data("agent-pass", 5000, 4)
    seen.append(account)
    await session.set_variable("IVR_ACCOUNT", account.digits)
    await session.set_variable("IVR_QUEUE", {"1": "support", "2": "sales"}.get(choice.digit or "", "none"))


def recorder(seen: list[Any]) -> SessionHandler:
    async def handler(session: AgiSession) -> None:
        try:
            await main_menu(session, seen)
        except AgiHangup:
            seen.append("hangup")
            await asyncio.wait_for(session.wait_hangup(), 5)  # Asterisk's HANGUP line ~40 ms after the -1
            await session.set_variable("IVR_QUEUE", "none")

    return handler


def test_client_environment_block_is_asterisks() -> None:
    call = AgiCall(arguments=("inbound", "+15551230001"))
    data = raw_bytes("agi-01-main-menu", "from-asterisk")
    assert encode_environment(call.environment()) == data[: data.index(b"\n\n") + 2]


async def test_menu_choice_and_account_like_agi_01() -> None:
    seen: list[Any] = []
    report = await call(recorder(seen), "1,4321")
    assert seen == ["+15551230001", StreamFileResult("1", 4000), GetDataResult("4321", False)]
    assert report.variables_set == {"IVR_ACCOUNT": "4321", "IVR_QUEUE": "support"}
    assert report.commands[:3] == ["ANSWER", "GET VARIABLE CALLERID(num)", 'STREAM FILE vm-options "123"']
    assert report.server_half_closed and report.hangup_by is None
    assert report.transcript[-1][1:] == ("A>", "HANGUP")  # Asterisk's HANGUP after the half-close


async def test_typed_ahead_digits_and_hash_terminator() -> None:
    seen: list[Any] = []
    report = await call(recorder(seen), CallerScript([Press("2987#")]))
    assert seen[1:] == [StreamFileResult("2", 4000), GetDataResult("987", False)]
    assert report.variables_set["IVR_QUEUE"] == "sales"


async def test_no_input_times_out_like_agi_06() -> None:
    seen: list[Any] = []
    report = await call(recorder(seen), "-,-,-", prompt_seconds={"vm-options": 16.38})
    assert seen == ["+15551230001", StreamFileResult(None, 131040), None, GetDataResult("", True)]
    assert "WAIT FOR DIGIT 5000" in report.commands
    assert report.variables_set == {"IVR_ACCOUNT": "", "IVR_QUEUE": "none"}


async def test_partial_input_then_timeout() -> None:
    seen: list[Any] = []
    await call(recorder(seen), "1,43")
    assert seen[-1] == GetDataResult("43", True)


async def test_hangup_during_prompt_ends_handler_and_511_follows() -> None:
    seen: list[Any] = []
    after: list[Any] = []

    async def handler(session: AgiSession) -> None:
        await recorder(seen)(session)
        after.append(session.hung_up)
        with pytest.raises(AgiHangup):
            await session.stream_file("vm-goodbye")
        await session.verbose("caller left", 1)  # still accepted on a dead channel

    report = await call(handler, "H1.0")
    assert seen == ["+15551230001", "hangup"]
    assert after == [True]
    assert report.hangup_by == "caller"
    assert report.variables_set == {"IVR_QUEUE": "none"}  # SET VARIABLE still answers 200 after hang-up
    replies = [line for _, who, line in report.transcript if who == "A>" and not line.startswith("agi_")]
    assert replies[3:] == [
        "200 result=-1 endpos=8000",
        "HANGUP",
        "200 result=1",
        "511 Command Not Permitted on a dead channel or intercept routine",
        "200 result=1",
        "HANGUP",
    ]


async def test_hangup_during_digit_collection() -> None:
    seen: list[Any] = []
    report = await call(recorder(seen), "1,43H4")
    # the caller typed 4 and 3 during the prompt, then hung up before the timeout: GET DATA got -1
    assert seen == ["+15551230001", StreamFileResult("1", 4000), "hangup"]
    assert report.hangup_by == "caller"
    assert "GET DATA agent-pass 5000 4" in report.commands


async def test_hangup_while_the_server_is_between_commands() -> None:
    noticed = asyncio.Event()

    async def handler(session: AgiSession) -> None:
        await session.answer()
        await asyncio.wait_for(session.wait_hangup(), 5)  # the IVR is busy elsewhere (e.g. a database lookup)
        noticed.set()
        with pytest.raises(AgiHangup):
            await session.stream_file("vm-options")

    report = await call(handler, CallerScript([], hangup_at_s=40.0))  # 0.2 s real: well after the ANSWER
    assert noticed.is_set()
    assert report.hangup_by == "caller"
    replies = [line for _, who, line in report.transcript if who == "A>"]
    assert replies[-4:] == ["200 result=0", "HANGUP", R_511, "HANGUP"]  # notice, 511, HANGUP after half-close


async def test_ivr_hangs_up_like_agi_04() -> None:
    async def handler(session: AgiSession) -> None:
        await session.answer()
        await session.stream_file("vm-goodbye")
        await session.hangup()
        await session.wait_hangup()
        await session.set_variable("IVR_QUEUE", "none")

    report = await call(handler)
    assert report.hangup_by == "ivr"
    assert [line for _, who, line in report.transcript if who == "A>"][-4:] == [
        "200 result=1",
        "HANGUP",
        "200 result=1",
        "HANGUP",
    ]


async def test_510_and_520_raise_command_errors_and_the_session_goes_on() -> None:
    errors: list[AgiCommandError] = []

    async def handler(session: AgiSession) -> None:
        for verb, args in (("FOOBAR", ("baz",)), ("STREAM FILE", ()), ("GET DATA", ())):
            try:
                await session.command(verb, *args)
            except AgiCommandError as error:
                errors.append(error)
        await session.noop("errors-done")

    report = await call(handler)
    assert [error.reply.code for error in errors] == [510, 520, 520]
    assert errors[1].reply.lines[0] == "520-Invalid command syntax.  Proper usage follows:"
    assert errors[1].reply.lines[-1] == "520 End of proper usage."
    assert report.commands == ["FOOBAR baz", "STREAM FILE", "GET DATA", "NOOP errors-done"]


async def test_say_variables_and_allowed_application() -> None:
    results: list[Any] = []

    async def handler(session: AgiSession) -> None:
        results.append(await session.say_digits("4321"))
        results.append(await session.say_number(42, "#"))
        results.append(await session.say_alpha("abc"))
        results.append(await session.say_datetime(1795438657, "", "ABdY", "Europe/Paris"))
        results.append(await session.get_variable("NOT_SET"))
        await session.set_variable("GREETING", 'say "hello world"')
        results.append(await session.get_variable("GREETING"))
        results.append(await session.exec_("Playback", "tt-monkeys&beep"))
        with pytest.raises(AgiCommandError):
            await session.exec_("CustomGreeting")  # allowed here, but missing in Asterisk: result -2
        results.append(await session.get_variable("CHANNEL(linkedid)"))

    limits = AgiLimits(allowed_applications=("Playback", "CustomGreeting"))
    report = await call(handler, "-,#", limits, linkedid="1795438657.0")
    assert results == [None, "#", None, None, None, 'say "hello world"', 0, "1795438657.0"]
    assert report.prompts == ["say:4321", "say:42", "say:abc", "say:1795438657"]
    assert report.applications == [("Playback", "tt-monkeys&beep"), ("CustomGreeting", "")]
    assert 'SAY DATETIME 1795438657 "" "ABdY" Europe/Paris' in report.commands


def test_caller_script_format() -> None:
    script = CallerScript.parse("1,4321#,-,,H2.5,h,43H3")
    assert script.steps == (
        Press("1"),
        Press("4321#"),
        Silence(),
        Silence(),
        HangUp(2.5),
        HangUp(),
        Press("43", hangup_after_s=3.0),
    )
    with pytest.raises(ValueError, match="bad caller step"):
        CallerScript.parse("1,x")


def test_server_and_client_run_on_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop")  # uvicorn[standard] installs it; the service may run on it
    seen: list[Any] = []

    async def scenario() -> AgiCallReport:
        return await call(recorder(seen), "2,3141")

    report = uvloop.run(scenario())
    assert seen[1:] == [StreamFileResult("2", 4000), GetDataResult("3141", False)]
    assert report.variables_set == {"IVR_ACCOUNT": "3141", "IVR_QUEUE": "sales"}
    assert report.server_half_closed


async def test_client_gives_up_on_a_silent_server() -> None:
    async def silent(session: AgiSession) -> None:
        await asyncio.sleep(10)

    async with running_server({"main-menu": silent}) as server:
        report = await run_agi_call("127.0.0.1", server.port, AgiCall(), clock=ScaledClock(200), idle_timeout_s=0.2)
    assert report.stalled
    assert report.commands == []
