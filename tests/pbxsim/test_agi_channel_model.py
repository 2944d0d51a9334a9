"""Asterisk's AGI answers on a simulated channel (sans I/O): the reply lines and how long each command takes."""

from __future__ import annotations

import pytest

from callcenter.pbxsim.agi_caller import R_510, R_511, AsteriskChannel, CallerScript, HangUp, Press


def channel(script: str = "", **fields: object) -> AsteriskChannel:
    return AsteriskChannel(script=CallerScript.parse(script), **fields)  # type: ignore[arg-type]


def test_stream_file_returns_the_ascii_code_and_the_position_like_agi_01() -> None:
    reply = channel("1").handle('STREAM FILE vm-options "123"', 0.0)
    assert reply.lines == ["200 result=49 endpos=4000"]  # '1' pressed 0.5 s in: 4000 samples at 8 kHz
    assert reply.duration_s == 0.5


def test_keys_that_do_not_escape_are_ignored_and_the_prompt_plays_out() -> None:
    ch = channel("9", prompt_seconds={"vm-options": 2.22})
    assert ch.handle('STREAM FILE vm-options "123"', 0.0).lines == ["200 result=0 endpos=17760"]


def test_get_data_max_digits_hash_and_timeouts() -> None:
    assert channel("4321").handle("GET DATA agent-pass 5000 4", 0).lines == ["200 result=4321"]
    assert channel("98#").handle("GET DATA agent-pass 5000 4", 0).lines == ["200 result=98"]
    assert channel("12").handle("GET DATA agent-pass 5000 4", 0).lines == ["200 result=12 (timeout)"]
    silent = channel("-").handle("GET DATA agent-pass 5000 4", 0)
    assert silent.lines == ["200 result= (timeout)"] and silent.duration_s == pytest.approx(7.0)


def test_slow_second_digit_is_cut_by_the_inter_digit_timeout() -> None:
    ch = AsteriskChannel(script=CallerScript([Press("12", gap_s=3.0)]))
    assert ch.handle("GET DATA agent-pass 2000 4", 0).lines == ["200 result=1 (timeout)"]


def test_type_ahead_after_an_interrupt_goes_to_the_next_prompt() -> None:
    ch = channel("14321")
    assert ch.handle('STREAM FILE vm-options "123"', 0).lines[0].startswith("200 result=49")
    assert ch.handle("GET DATA agent-pass 5000 4", 1).lines == ["200 result=4321"]


def test_wait_for_digit() -> None:
    ch = channel("7,-")
    assert ch.handle("WAIT FOR DIGIT 5000", 0).lines == ["200 result=55"]
    timeout = ch.handle("WAIT FOR DIGIT 5000", 1)
    assert timeout.lines == ["200 result=0"] and timeout.duration_s == 5.0


def test_caller_hang_up_mid_prompt_then_511_but_variables_still_work() -> None:
    ch = channel("H1.52")
    reply = ch.handle('STREAM FILE vm-options "123"', 0)
    assert reply.lines == ["200 result=-1 endpos=12160"] and reply.hung_up  # like agi-06-hangup-mid-prompt
    assert ch.hangup_by == "caller"
    assert ch.handle("GET DATA agent-pass 5000 4", 2).lines == [R_511]
    assert ch.handle("SET VARIABLE IVR_QUEUE none", 2).lines == ["200 result=1"]
    assert ch.handle("GET VARIABLE IVR_QUEUE", 2).lines == ["200 result=1 (none)"]
    assert ch.handle('VERBOSE "caller hung up" 1', 2).lines == ["200 result=1"]


def test_scripted_hang_up_at_a_session_time_cuts_the_running_command() -> None:
    ch = AsteriskChannel(script=CallerScript((), hangup_at_s=10.0))
    assert ch.handle("WAIT FOR DIGIT 5000", 0).lines == ["200 result=0"]
    reply = ch.handle("WAIT FOR DIGIT 5000", 8.0)
    assert reply.lines == ["200 result=-1"] and reply.duration_s == 2.0


def test_ivr_hangup_then_dead_channel() -> None:
    ch = channel()
    reply = ch.handle("HANGUP", 0)
    assert reply.lines == ["200 result=1"] and reply.hung_up and ch.hangup_by == "ivr"
    assert ch.handle('STREAM FILE vm-goodbye ""', 0).lines == [R_511]


def test_unknown_commands_and_missing_arguments() -> None:
    ch = channel()
    assert ch.handle("FOOBAR baz", 0).lines == [R_510]
    usage = ch.handle("STREAM FILE", 0).lines
    assert usage[0] == "520-Invalid command syntax.  Proper usage follows:" and usage[-1] == "520 End of proper usage."
    assert len(ch.handle("GET DATA", 0).lines) == 4  # the two usage lines of the agi-02 capture
    assert ch.handle("answer", 0).lines == ["200 result=0"]  # Asterisk matches commands case-insensitively


def test_exec_known_and_missing_applications() -> None:
    ch = channel()
    assert ch.handle("EXEC Playback tt-monkeys", 0).lines == ["200 result=0"]
    assert ch.handle("EXEC NoSuchApp", 0).lines == ["200 result=-2"]
    assert ch.applications_run == [("Playback", "tt-monkeys"), ("NoSuchApp", "")]


def test_script_steps_are_consumed_one_per_prompt() -> None:
    ch = AsteriskChannel(script=CallerScript([HangUp(0.1)]))
    assert ch.handle('SAY DIGITS 1234 ""', 0).lines == ["200 result=-1"]
