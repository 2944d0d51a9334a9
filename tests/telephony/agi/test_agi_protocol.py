"""The sans-I/O FastAGI parser and encoder against the real captures and hostile input."""

from __future__ import annotations

import pytest

from callcenter.telephony.agi import AgiEnvironment, AgiProtocolError, AgiReply, UnsafeArgumentError
from callcenter.telephony.agi.protocol import (
    AgiServerConnection,
    HangupNotice,
    encode_argument,
    encode_command,
    parse_reply_line,
    quote_argument,
    split_arguments,
)
from tests.telephony.agi.agi_support import CAPTURES, raw_bytes, read_transcript


def events_of(data: bytes, chunk: int | None = None) -> list[object]:
    connection = AgiServerConnection()
    if chunk is None:
        return connection.receive_data(data)
    events: list[object] = []
    for start in range(0, len(data), chunk):
        events += connection.receive_data(data[start : start + chunk])
    return events


@pytest.mark.parametrize("name", CAPTURES)
def test_capture_parses_into_environment_replies_and_hangups(name: str) -> None:
    data = raw_bytes(name, "from-asterisk")
    events = events_of(data)
    env = events[0]
    assert isinstance(env, AgiEnvironment)
    transcript = [line.text for line in read_transcript(name) if line.direction == "A"]
    env_lines = transcript[: transcript.index("")]
    assert len(env.variables) == len(env_lines)
    assert env.get("network") == "yes"
    assert env.script in ("main-menu", "main-menu-errors")
    assert env.arguments == ("inbound", env.caller_number)
    assert env.get("accountcode") == ""
    # every reply and HANGUP of the transcript, in order; a 520 block (ending "520 End...") is one reply
    expected = [
        "HANGUP" if text == "HANGUP" else text[:3]
        for text in transcript[len(env_lines) + 1 :]
        if text == "HANGUP" or (text[:3].isdigit() and text[3:4] == " ")
    ]
    got = ["HANGUP" if isinstance(event, HangupNotice) else str(event.code) for event in events[1:]]  # type: ignore[attr-defined]
    assert got == expected
    # byte by byte gives the same events (lines split across reads)
    assert events_of(data, chunk=1) == events


def test_environment_of_agi_01() -> None:
    env = events_of(raw_bytes("agi-01-main-menu", "from-asterisk"))[0]
    assert isinstance(env, AgiEnvironment)
    assert env.script == "main-menu"
    assert env.channel == "Local/s@customer-00000000;1"
    assert env.uniqueid == "1795438657.0"
    assert env.caller_number == "+15551230001"
    assert env.caller_name == "Alice"
    assert env.get("request") == "agi://127.0.0.1:4573/main-menu"


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("200 result=0", AgiReply(200, "0", None, None)),
        ("200 result=1 (+15551230001)", AgiReply(200, "1", "+15551230001", None)),
        ("200 result=49 endpos=17760", AgiReply(200, "49", None, 17760)),
        ("200 result=-1 endpos=12160", AgiReply(200, "-1", None, 12160)),
        ("200 result= (timeout)", AgiReply(200, "", "timeout", None)),
        ("200 result=12 (timeout)", AgiReply(200, "12", "timeout", None)),
        ("200 result=1 (a (b) c)", AgiReply(200, "1", "a (b) c", None)),
        ("510 Invalid or unknown command", AgiReply(510)),
        ("511 Command Not Permitted on a dead channel or intercept routine", AgiReply(511)),
    ],
)
def test_reply_forms(line: str, reply: AgiReply) -> None:
    parsed = parse_reply_line(line)
    assert (parsed.code, parsed.result, parsed.data, parsed.endpos) == (
        reply.code,
        reply.result,
        reply.data,
        reply.endpos,
    )
    assert parsed.text == line


def test_520_usage_block_is_one_reply_with_all_lines() -> None:
    connection = AgiServerConnection()
    connection.receive_data(b"agi_network: yes\n\n")
    events = connection.receive_data(b"520-Invalid command syntax.  Proper usage follows:\nUsage: x\n")
    assert events == []
    (reply,) = connection.receive_data(b"520 End of proper usage.\nHANGUP\n")[:1]
    assert isinstance(reply, AgiReply) and reply.code == 520
    assert reply.lines[-1] == "520 End of proper usage." and len(reply.lines) == 3


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # not FastAGI at all
        b"\n",  # an empty environment
        b"agi_network: yes\n\nhello\n",  # garbage instead of a reply
        b"agi_network: yes\n\n200 result=1 (unterminated\n",
    ],
)
def test_garbage_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(AgiProtocolError):
        events_of(data)


def test_oversize_line_and_handshake_are_refused_before_buffering_more() -> None:
    with pytest.raises(AgiProtocolError, match="line longer"):
        AgiServerConnection(max_line_bytes=128).receive_data(b"agi_x: " + b"a" * 200)
    connection = AgiServerConnection(max_handshake_bytes=300)
    with pytest.raises(AgiProtocolError, match="environment block larger"):
        for i in range(20):
            connection.receive_data(f"agi_var{i}: {'v' * 20}\n".encode())


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("support", "support"),
        ("CALLERID(num)", "CALLERID(num)"),
        ("", '""'),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("tab\there", '"tab\there"'),
    ],
)
def test_arguments_are_quoted_when_needed_and_parse_back_to_one_word(value: str, sent: str) -> None:
    assert encode_argument(value) == sent
    assert split_arguments(f"SET VARIABLE X {sent}") == ["SET", "VARIABLE", "X", value]
    assert split_arguments(f"VERBOSE {quote_argument(value)} 1") == ["VERBOSE", value, "1"]


@pytest.mark.parametrize("value", ["a\nEXEC System rm", "x\r\nHANGUP", "nul\0"])
def test_values_with_line_breaks_are_refused(value: str) -> None:
    with pytest.raises(UnsafeArgumentError):
        encode_argument(value)
    with pytest.raises(UnsafeArgumentError):
        quote_argument(value)
    with pytest.raises(UnsafeArgumentError):
        encode_command("NOOP", [value])


def test_verb_must_be_words() -> None:
    with pytest.raises(UnsafeArgumentError):
        encode_command("NOOP\nEXEC", [])
    assert encode_command("GET DATA", ["agent-pass", "5000", "4"]) == b"GET DATA agent-pass 5000 4\n"
