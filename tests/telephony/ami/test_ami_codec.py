"""The AMI codec against the real Asterisk 22 captures and the framing corner cases."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from callcenter.telephony.ami.codec import AmiDecoder, AmiMessage, encode_action, encode_message

TRACES = Path(__file__).resolve().parents[2] / "data" / "asterisk-traces"
RECEIVED = sorted(p for p in TRACES.glob("ami-*.txt") if not p.name.endswith(".actions.txt"))
SENT = sorted(TRACES.glob("ami-*.actions.txt"))
BANNER = "Asterisk Call Manager/11.0.0"


def reference_frames(raw: bytes, *, banner: bool = True) -> list[list[tuple[bytes, bytes]]]:
    """A deliberately naive parse of a capture, byte by byte semantics, to compare the codec with."""
    if banner:
        raw = raw[raw.index(b"\r\n") + 2 :]
    frames = raw.split(b"\r\n\r\n")
    assert frames.pop() == b""
    return [[tuple(line.split(b": ", 1)) for line in frame.split(b"\r\n")] for frame in frames]


def as_bytes(message: AmiMessage) -> list[tuple[bytes, bytes]]:
    return [(k.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape")) for k, v in message.headers]


def decode_all(raw: bytes, **kwargs: object) -> tuple[AmiDecoder, list[AmiMessage]]:
    decoder = AmiDecoder(**kwargs)  # type: ignore[arg-type]
    return decoder, decoder.feed(raw)


def test_all_captures_are_present() -> None:
    assert len(RECEIVED) == 12
    assert len(SENT) == 12


@pytest.mark.parametrize("path", RECEIVED, ids=lambda p: p.name)
def test_capture_parses_exactly(path: Path) -> None:
    raw = path.read_bytes()
    decoder, messages = decode_all(raw)
    assert decoder.banner == BANNER
    assert decoder.errors == []
    expected = reference_frames(raw)
    assert len(messages) == len(expected) == raw.count(b"\r\n\r\n")
    assert [as_bytes(m) for m in messages] == expected
    for message in messages:
        first_key = message.headers[0][0]
        assert message.kind == {"Event": "event", "Response": "response"}[first_key]
        assert message.name == message.headers[0][1]
        assert message.server is None


@pytest.mark.parametrize("path", SENT, ids=lambda p: p.name)
def test_sent_actions_parse_exactly(path: Path) -> None:
    raw = path.read_bytes()
    decoder, messages = decode_all(raw, expect_banner=False)
    assert decoder.banner is None
    assert [as_bytes(m) for m in messages] == reference_frames(raw, banner=False)
    assert {m.kind for m in messages} == {"action"}


@pytest.mark.parametrize("path", RECEIVED, ids=lambda p: p.name)
def test_byte_at_a_time_equals_whole(path: Path) -> None:
    raw = path.read_bytes()[:60_000]
    whole = AmiDecoder().feed(raw)
    decoder = AmiDecoder()
    trickled = [m for i in range(len(raw)) for m in decoder.feed(raw[i : i + 1])]
    assert trickled == whole
    assert decoder.banner == BANNER


def test_random_chunking_of_the_burst_equals_whole() -> None:
    raw = (TRACES / "ami-09-burst-sales-ringall.txt").read_bytes()
    whole = AmiDecoder().feed(raw)
    rng = random.Random(7)
    decoder = AmiDecoder()
    chunked: list[AmiMessage] = []
    pos = 0
    while pos < len(raw):
        size = rng.choice((1, 2, 3, 4, 5, 17, 600, 4096, 65536))
        chunked += decoder.feed(raw[pos : pos + size])
        pos += size
    assert len(whole) == 1328
    assert chunked == whole


def test_repeated_output_lines_of_command_kept_in_order() -> None:
    _, messages = decode_all((TRACES / "ami-05-queue-management.txt").read_bytes())
    (queue_show,) = [m for m in messages if m.action_id == "s5-011"]
    assert queue_show.kind == "response" and queue_show.name == "Success"
    output = queue_show.get_all("Output")
    assert len(output) == 9
    assert output[0].startswith("support has 2 calls (max unlimited)")
    assert output[1] == "   Members: "
    assert output[5] == "   Callers: "
    assert output[6] == "      1. Local/s@customer-00000004;1 (wait: 0:02, prio: 0)"
    assert output[8] == ""
    assert queue_show.get("Output") == output[0]
    assert queue_show["Message"] == "Command output follows"


def test_repeated_variable_headers_of_originate() -> None:
    _, messages = decode_all((TRACES / "ami-01-handled-call.actions.txt").read_bytes(), expect_banner=False)
    originate = messages[1]
    assert (originate.kind, originate.name, originate.action_id) == ("action", "Originate", "s1-002")
    assert originate.get_all("variable") == ["CHOICE=1", "ACCOUNT=4321", "HOLD=20"]
    assert originate["CallerID"] == "Alice <+15551230001>"


def test_odd_action_ids_of_ami06_are_byte_exact() -> None:
    sent = (TRACES / "ami-06-errors.actions.txt").read_bytes()
    received = (TRACES / "ami-06-errors.txt").read_bytes()
    _, actions = decode_all(sent, expect_banner=False)
    _, replies = decode_all(received)
    long_id = "s6-long-" + "x" * 300
    odd = ["s6-lowercase", "s6 weird id; with spaces: and colons=1", "s6-ünicöde-☃", long_id]
    sent_ids = [a.action_id for a in actions]
    reply_ids = [r.action_id for r in replies if r.kind == "response"]
    for action_id in odd:
        assert action_id in sent_ids
        assert action_id in reply_ids
    assert len(long_id) == 308
    assert "s6-ünicöde-☃".encode() in received
    unicode_reply = next(r for r in replies if r.action_id == "s6-ünicöde-☃")
    assert unicode_reply["Ping"] == "Pong"
    # The lower-case action is still an action and its id is found case-insensitively.
    lowercase = next(a for a in actions if a.action_id == "s6-lowercase")
    assert (lowercase.kind, lowercase.name) == ("action", "Ping")
    assert lowercase.headers[0] == ("action", "Ping")
    # A Ping without ActionID is answered without one.
    assert any(r.kind == "response" and r.action_id is None and r.get("Ping") == "Pong" for r in replies)
    # The frame without Action: is kept (a server answers "Missing action in request").
    nameless = next(a for a in actions if a.action_id == "s6-noaction")
    assert (nameless.kind, nameless.name) == ("action", "")


def test_error_responses_carry_asterisk_message() -> None:
    _, replies = decode_all((TRACES / "ami-06-errors.txt").read_bytes())
    by_id = {r.action_id: r for r in replies if r.kind == "response"}
    assert by_id["s6-003"].name == "Error"
    assert by_id["s6-003"]["Message"].startswith("Invalid/unknown command: FooBar.")
    assert by_id["s6-noaction"]["Message"] == "Missing action in request"
    assert by_id["s6-005"]["Message"] == "Originate failed"


def test_originate_response_is_an_event() -> None:
    _, messages = decode_all((TRACES / "ami-01-handled-call.txt").read_bytes())
    (originate,) = [m for m in messages if m.get("Event") == "OriginateResponse"]
    assert originate.kind == "event"
    assert originate.name == "OriginateResponse"
    assert originate["Response"] == "Success"
    assert originate.action_id == "s1-002"


def test_event_classified_before_response_whatever_the_order() -> None:
    (message,) = AmiDecoder(expect_banner=False).feed(
        b"Response: Success\r\nActionID: 1\r\nevent: OriginateResponse\r\n\r\n"
    )
    assert (message.kind, message.name) == ("event", "OriginateResponse")


def test_login_failure_capture() -> None:
    _, messages = decode_all((TRACES / "ami-06-login-failure.txt").read_bytes())
    assert [(m.kind, m.name, m["Message"]) for m in messages] == [
        ("response", "Error", "Permission denied"),
        ("response", "Error", "Authentication failed"),
    ]


def test_message_lookup_api() -> None:
    (message,) = AmiDecoder(expect_banner=False).feed(b"Event: Foo\r\nA: 1\r\na: 2\r\nEmpty: \r\n\r\n")
    assert message.get("A") == "1"
    assert message.get("a") == "1"
    assert message.get_all("A") == ["1", "2"]
    assert message.get("Empty") == ""
    assert "empty" in message
    assert "Missing" not in message
    assert message.get("Missing", "x") == "x"
    with pytest.raises(KeyError):
        message["Missing"]
    assert message.action_id is None


def test_multibyte_character_split_across_reads() -> None:
    raw = "Response: Success\r\nActionID: s6-ünicöde-☃\r\n\r\n".encode()
    cut = raw.index("☃".encode()) + 1
    decoder = AmiDecoder(expect_banner=False)
    assert decoder.feed(raw[:cut]) == []
    (message,) = decoder.feed(raw[cut:])
    assert message.action_id == "s6-ünicöde-☃"


def test_lone_lf_framing_is_tolerated() -> None:
    decoder = AmiDecoder()
    messages = decoder.feed(b"Asterisk Call Manager/11.0.0\nResponse: Success\nActionID: 1\n\nEvent: A\r\nX: 1\n\r\n")
    assert decoder.banner == BANNER
    assert [(m.name, m.headers) for m in messages] == [
        ("Success", [("Response", "Success"), ("ActionID", "1")]),
        ("A", [("Event", "A"), ("X", "1")]),
    ]


def test_crlf_split_between_reads_is_not_a_lone_lf() -> None:
    decoder = AmiDecoder(expect_banner=False)
    assert decoder.feed(b"Event: A\r\nX: 1\r") == []
    assert decoder.feed(b"\n\r") == []
    (message,) = decoder.feed(b"\n")
    assert message.headers == [("Event", "A"), ("X", "1")]


def test_non_utf8_bytes_are_recoverable() -> None:
    (message,) = AmiDecoder(expect_banner=False).feed(b"Event: Newchannel\r\nCallerIDName: caf\xe9 \xff\r\n\r\n")
    value = message["CallerIDName"]
    assert value.encode("utf-8", "surrogateescape") == b"caf\xe9 \xff"
    assert encode_message(message.headers) == b"Event: Newchannel\r\nCallerIDName: caf\xe9 \xff\r\n\r\n"


def test_oversize_frame_rejected_and_stream_continues() -> None:
    decoder = AmiDecoder(expect_banner=False, max_frame_bytes=1000)
    big = b"Event: Big\r\nData: " + b"x" * 5000
    messages = decoder.feed(big + b"\r\n\r\nEvent: Small\r\nA: 1\r\n\r\n")
    assert [m.name for m in messages] == ["Small"]
    assert [(e.reason, e.size) for e in decoder.errors] == [("frame larger than 1000 bytes", len(big))]


def test_oversize_frame_arriving_in_pieces_is_discarded_without_buffering() -> None:
    decoder = AmiDecoder(expect_banner=False, max_frame_bytes=1000)
    assert decoder.feed(b"Event: Before\r\n\r\nEvent: Big\r\nData: ")[0].name == "Before"
    for _ in range(2000):
        assert decoder.feed(b"y" * 500) == []
        assert len(decoder._buf) <= 1000  # memory stays bounded while the frame is discarded
    assert decoder.feed(b"\r\n\r") == []
    messages = decoder.feed(b"\nEvent: After\r\n\r\n")
    assert [m.name for m in messages] == ["After"]
    (error,) = decoder.errors
    assert error.size == len(b"Event: Big\r\nData: ") + 2000 * 500


def test_frame_without_header_line_is_rejected_and_stream_continues() -> None:
    decoder = AmiDecoder(expect_banner=False)
    messages = decoder.feed(b"hello world\r\n\r\nEvent: Ok\r\n\r\n")
    assert [m.name for m in messages] == ["Ok"]
    assert [(e.reason, e.size) for e in decoder.errors] == [("no header line", 11)]


def test_extra_empty_lines_between_messages_are_ignored() -> None:
    decoder = AmiDecoder(expect_banner=False)
    messages = decoder.feed(b"Event: A\r\n\r\n\r\n\r\n\r\nEvent: B\r\n\r\n")
    assert [m.name for m in messages] == ["A", "B"]
    assert decoder.errors == []


def test_line_without_space_after_colon() -> None:
    (message,) = AmiDecoder(expect_banner=False).feed(b"Event: A\r\nKey:value\r\nEmpty:\r\n\r\n")
    assert message.headers == [("Event", "A"), ("Key", "value"), ("Empty", "")]


def test_banner_split_across_reads() -> None:
    decoder = AmiDecoder()
    assert decoder.feed(b"Asterisk Call") == []
    assert decoder.banner is None
    assert decoder.feed(b" Manager/11.0.0\r") == []
    assert decoder.feed(b"\nResponse: Goodbye\r\n\r\n")[0].name == "Goodbye"
    assert decoder.banner == BANNER


def test_early_event_filter_keeps_wanted_events_and_all_responses() -> None:
    raw = (TRACES / "ami-01-handled-call.txt").read_bytes()
    wanted = frozenset({"Hangup", "QueueCallerJoin", "OriginateResponse"})
    _, everything = decode_all(raw)
    _, filtered = decode_all(raw, only_events=wanted)
    expected = [m for m in everything if m.kind != "event" or m.name in wanted]
    assert filtered == expected
    assert {m.name for m in filtered if m.kind == "event"} == wanted
    assert sum(m.kind == "response" for m in filtered) == 3


def test_early_filter_also_applies_when_event_is_not_first() -> None:
    decoder = AmiDecoder(expect_banner=False, only_events=frozenset({"Keep"}))
    messages = decoder.feed(b"Privilege: call\r\nEvent: Drop\r\n\r\nPrivilege: call\r\nEvent: Keep\r\n\r\n")
    assert [m.name for m in messages] == ["Keep"]


def test_encode_action() -> None:
    assert encode_action("Ping", action_id="a-1") == b"Action: Ping\r\nActionID: a-1\r\n\r\n"
    assert encode_action("Logoff") == b"Action: Logoff\r\n\r\n"
    raw = encode_action("Originate", [("Channel", "Local/s@customer"), ("Variable", "A=1"), ("Variable", "B=2")], "o1")
    (decoded,) = AmiDecoder(expect_banner=False).feed(raw)
    assert decoded.get_all("Variable") == ["A=1", "B=2"]
    assert (decoded.kind, decoded.name, decoded.action_id) == ("action", "Originate", "o1")
    assert encode_action("QueueStatus", {"Queue": "support"}) == b"Action: QueueStatus\r\nQueue: support\r\n\r\n"


def test_encode_round_trips_odd_action_ids() -> None:
    for action_id in ("s6 weird id; with spaces: and colons=1", "s6-ünicöde-☃", "s6-long-" + "x" * 300):
        (decoded,) = AmiDecoder(expect_banner=False).feed(encode_action("Ping", action_id=action_id))
        assert decoded.action_id == action_id


@pytest.mark.parametrize(
    "headers",
    [
        [("Action", "Ping"), ("ActionID", "1\r\nAction: Hangup")],
        [("Action", "Ping"), ("Channel", "x\nAction: Hangup")],
        [("Action", "Ping"), ("Channel", "x\r")],
        [("Action", "Ping"), ("Bad\r\nAction", "Hangup")],
        [("Action", "Ping"), ("Ch:annel", "x")],
        [("Action", "Ping"), ("", "x")],
        [],
    ],
)
def test_encoders_refuse_header_injection(headers: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError):
        encode_message(headers)


def test_encode_action_refuses_injection_and_double_action_id() -> None:
    with pytest.raises(ValueError):
        encode_action("Ping\r\nAction: Hangup")
    with pytest.raises(ValueError):
        encode_action("Ping", {"Channel": "a\r\n\r\nAction: Hangup"})
    with pytest.raises(ValueError):
        encode_action("Ping", {"ActionID": "x"}, action_id="y")


def test_message_from_headers_classifies() -> None:
    message = AmiMessage.from_headers([("Response", "Success"), ("Event", "OriginateResponse")], server="pbx1")
    assert (message.kind, message.name, message.server) == ("event", "OriginateResponse", "pbx1")


def reference_get(headers: list[tuple[str, str]], key: str) -> str | None:
    return next((v for k, v in headers if k.lower() == key.lower()), None)


@pytest.mark.parametrize("path", RECEIVED, ids=lambda p: p.name)
def test_lookups_without_splitting_agree_with_the_split_headers(path: Path) -> None:
    raw = path.read_bytes()
    lazy = AmiDecoder().feed(raw)
    split = AmiDecoder().feed(raw)
    for fresh, reference in zip(lazy, split, strict=True):
        headers = reference.headers
        keys = {k for k, _ in headers} | {"ActionID", "Missing", "Linkedid", "eventlist"}
        for key in sorted(keys):
            for variant in (key, key.lower(), key.upper()):
                assert fresh.get(variant) == reference_get(headers, variant), (fresh, variant)
        assert fresh.headers == headers  # splitting after lookups gives the same list


def test_lookup_without_splitting_handles_odd_lines() -> None:
    raw = b"Event: X\r\nKey:a: b\r\nkey: c\r\nKEY:d\r\nVal: x: y\r\nName: caf\xc3\xa9\r\nnone\r\n\r\n"
    (message,) = AmiDecoder(expect_banner=False).feed(raw)
    assert message.get("Key") == "c"  # "Key:a: b" is the header "Key:a"
    assert message.get("Key:a") == "b"
    assert message.get("Val") == "x: y"
    assert message.get("name") == "café"
    assert message.get("none") is None  # a line without a colon is no header ...
    assert message.headers[-1] == ("", "none")  # ... but it is kept, nameless
    assert message.get_all("key") == ["c", "d"]


def test_replacing_headers_updates_lookups() -> None:
    (message,) = AmiDecoder(expect_banner=False).feed(b"Event: X\r\nA: 1\r\n\r\n")
    assert message.get("A") == "1"
    message.headers = [("Event", "X"), ("A", "2")]
    assert message.get("A") == "2"


def test_stream_switching_to_lone_lf_is_caught() -> None:
    decoder = AmiDecoder(expect_banner=False)
    assert [m.name for m in decoder.feed(b"Event: First\r\nA: 1\r\n\r\n")] == ["First"]
    lf_messages = b"".join(b"Event: Lf%d\nA: %d\n\n" % (i, i) for i in range(1000))
    names = [m.name for m in decoder.feed(lf_messages)]
    assert names == [f"Lf{i}" for i in range(1000)]
    assert decoder.feed(b"Event: Last\r\n\r\n")[0].name == "Last"


def test_lookups_agree_with_split_headers_on_random_frames() -> None:
    rng = random.Random(11)
    keys = ["Channel", "channel", "CHANNEL", "Linkedid", "Variable", "Output", "A", "Ab", "b"]
    values = ["", "x", "a: b", " lead", "trail ", "ünï", "Key: nested", ":", "::"]
    for _ in range(400):
        lines = ["Event: Random"]
        for _ in range(rng.randint(0, 8)):
            key, value = rng.choice(keys), rng.choice(values)
            lines.append(rng.choice([f"{key}: {value}", f"{key}:{value}", f"{key}", f"{key}: {value}"]))
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode()
        (lazy,) = AmiDecoder(expect_banner=False).feed(raw)
        (split,) = AmiDecoder(expect_banner=False).feed(raw)
        headers = split.headers
        for key in [*keys, "Event", "event", "Missing", "Key"]:
            assert lazy.get(key) == reference_get(headers, key), (lines, key)
