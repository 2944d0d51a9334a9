"""Caller-supplied text can never become a second AGI command, and EXEC runs only allowed applications."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from callcenter.pbxsim.agi_client import AgiCall, ScaledClock, run_agi_call
from callcenter.telephony.agi import (
    AgiLimits,
    AgiSession,
    ApplicationNotAllowed,
    UnsafeArgumentError,
)
from tests.telephony.agi.agi_support import running_server

HOSTILE_NAME = 'Mallory" \\"x\nEXEC System "rm -rf /'


async def run(handler, **call_fields) -> tuple[list[str], dict[str, str]]:  # type: ignore[no-untyped-def]
    async with running_server({"main-menu": handler}) as server:
        report = await run_agi_call(
            "127.0.0.1", server.port, AgiCall(**call_fields), clock=ScaledClock(100), idle_timeout_s=5
        )
    return report.commands, report.variables_set


async def attempt_all(session: AgiSession, value: str, refused: list[Exception]) -> None:
    """Send a collected value every way a flow might; record each refusal, then mark the end."""
    for attempt in (
        lambda: session.set_variable("CALLER_NAME", value),
        lambda: session.set_variable(value, "x"),
        lambda: session.verbose(value),
        lambda: session.stream_file(value),
        lambda: session.get_data(value, 5000, 4),
        lambda: session.noop(value),
    ):
        try:
            await attempt()
        except UnsafeArgumentError as error:
            refused.append(error)
    await session.set_variable("DONE", "1")


async def test_a_value_with_a_line_break_is_refused_and_nothing_is_sent() -> None:
    refused: list[Exception] = []

    async def handler(session: AgiSession) -> None:
        await attempt_all(session, HOSTILE_NAME, refused)

    commands, variables = await run(handler)
    assert len(refused) == 6
    assert commands == ["SET VARIABLE DONE 1"]
    assert variables == {"DONE": "1"}


async def test_quotes_spaces_and_backslashes_arrive_as_one_value() -> None:
    value = 'O\'Brien "the boss" \\ EXEC System ls'

    async def handler(session: AgiSession) -> None:
        await session.set_variable("CALLER_NAME", value)
        await session.set_variable("IVR_ACCOUNT", "4321 EXEC System ls")

    commands, variables = await run(handler)
    assert variables == {"CALLER_NAME": value, "IVR_ACCOUNT": "4321 EXEC System ls"}
    assert not any(command.startswith("EXEC") for command in commands)


@pytest.mark.parametrize(
    "app", ["System", "TrySystem", "system", "SYSTEM", "Exec", "Gosub", "AGI", "MixMonitor", "X;Y"]
)
async def test_forbidden_or_unlisted_applications_are_never_sent(app: str) -> None:
    refused: list[Exception] = []

    async def handler(session: AgiSession) -> None:
        try:
            await session.exec_(app, "echo pwned")
        except ApplicationNotAllowed as error:
            refused.append(error)
        for verb in ("EXEC", "exec", "GOSUB"):
            try:
                await session.command(verb, app, "echo pwned")
            except ApplicationNotAllowed as error:
                refused.append(error)

    commands, _ = await run(handler)
    assert len(refused) == 4
    assert commands == []


async def test_allowed_application_runs_but_not_with_dialplan_expressions() -> None:
    refused: list[Exception] = []

    async def handler(session: AgiSession) -> None:
        await session.exec_("Playback", "tt-monkeys")
        for args in ("${SHELL(id)}", "$[1+1]"):
            try:
                await session.exec_("Playback", args)
            except ApplicationNotAllowed as error:
                refused.append(error)

    commands, _ = await run(handler)
    assert commands == ["EXEC Playback tt-monkeys"]
    assert len(refused) == 2


def test_configuration_cannot_allow_shell_applications() -> None:
    with pytest.raises(ValidationError, match="System"):
        AgiLimits(allowed_applications=("Playback", "System"))
    with pytest.raises(ValidationError, match="trysystem"):
        AgiLimits(allowed_applications=("trysystem",))
    assert "playback" in AgiLimits().allowed()


@pytest.mark.parametrize("digits", ['1"', "1 2", "x", "1\n"])
async def test_escape_digits_are_checked(digits: str) -> None:
    refused: list[Exception] = []

    async def handler(session: AgiSession) -> None:
        try:
            await session.stream_file("vm-options", digits)
        except ValueError as error:
            refused.append(error)

    commands, _ = await run(handler)
    assert commands == [] and len(refused) == 1
