"""Who may open which websocket: credentials, Origin, roles; and which messages reach whom."""

from __future__ import annotations

import asyncio
import logging

import pytest
from websockets.exceptions import InvalidStatus

from callcenter.realtime.wire import SUPERVISORS, agent_stream
from callcenter.users.tokens import SESSION_COOKIE, issue_session_cookie
from tests.conftest import TEST_SECRET
from tests.realtime.conftest import People, StartService, receive


def _status(error: pytest.ExceptionInfo[InvalidStatus]) -> int:
    return error.value.response.status_code


async def test_no_or_bad_credentials_are_refused_with_401(start_service: StartService, people: People) -> None:
    service = await start_service()
    for token in (None, "not-a-token", people.tokens["alice"][:-4] + "AAAA"):
        with pytest.raises(InvalidStatus) as refused:
            async with service.connect("/ws/agent", token):
                pass
        assert _status(refused) == 401
        assert b"sign in" in refused.value.response.body


async def test_bearer_header_cookie_and_query_token_all_sign_in(start_service: StartService, people: People) -> None:
    service = await start_service()
    async with service.connect("/ws/agent", people.tokens["alice"]) as ws:
        assert (await receive(ws))["stream"] == agent_stream(people.ids["alice"])
    async with service.connect("/ws/agent", None, query={"token": people.tokens["bob"]}) as ws:
        assert (await receive(ws))["stream"] == agent_stream(people.ids["bob"])

    class _User:  # the cookie signs the user id and the password fingerprint only
        id = people.ids["alice"]
        password_hash = "x"

    cookie = issue_session_cookie(_User(), secret=TEST_SECRET)  # type: ignore[arg-type]
    async with service.connect("/ws/agent", None, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}) as ws:
        assert (await receive(ws))["stream"] == agent_stream(people.ids["alice"])


async def test_a_query_token_is_masked_in_the_server_log(
    start_service: StartService, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    service = await start_service()
    caplog.set_level(logging.INFO, logger="uvicorn.error")
    server_log = logging.getLogger("uvicorn.error")  # uvicorn's loggers do not propagate to the root
    server_log.addHandler(caplog.handler)
    token = people.tokens["bob"]
    try:
        async with service.connect("/ws/agent", None, query={"token": token, "since": 5}) as ws:
            await receive(ws)
    finally:
        server_log.removeHandler(caplog.handler)
    handshake = [r.getMessage() for r in caplog.records if "WebSocket /ws/agent" in r.getMessage()]
    assert handshake and all("token=***&since=5" in line and token not in line for line in handshake)


async def test_query_token_refused_when_turned_off(start_service: StartService, people: People) -> None:
    service = await start_service(token_in_query=False)
    with pytest.raises(InvalidStatus) as refused:
        async with service.connect("/ws/agent", None, query={"token": people.tokens["bob"]}):
            pass
    assert _status(refused) == 401


async def test_wrong_origin_refused_own_and_allowed_pass(start_service: StartService, people: People) -> None:
    service = await start_service(allowed_origins=["https://console.example.com"])
    token = people.tokens["alice"]
    with pytest.raises(InvalidStatus) as refused:
        async with service.connect("/ws/agent", token, origin="https://evil.example.net"):
            pass
    assert _status(refused) == 403
    assert b"evil.example.net" in refused.value.response.body
    for origin in (f"http://127.0.0.1:{service.port}", "https://console.example.com"):
        async with service.connect("/ws/agent", token, origin=origin) as ws:
            assert (await receive(ws))["type"] == "snapshot"


async def test_agents_cannot_join_the_supervisors_stream(start_service: StartService, people: People) -> None:
    service = await start_service()
    with pytest.raises(InvalidStatus) as refused:
        async with service.connect("/ws/supervisor", people.tokens["alice"]):
            pass
    assert _status(refused) == 403
    for name in ("sue", "ada"):
        async with service.connect("/ws/supervisor", people.tokens[name]) as ws:
            assert (await receive(ws))["stream"] == SUPERVISORS


async def test_bad_since_is_a_400(start_service: StartService, people: People) -> None:
    service = await start_service()
    with pytest.raises(InvalidStatus) as refused:
        async with service.connect("/ws/agent", people.tokens["alice"], query={"since": "latest"}):
            pass
    assert _status(refused) == 400


async def test_each_agent_gets_only_their_own_messages_and_supervisors_the_broadcasts(
    start_service: StartService, people: People
) -> None:
    service = await start_service()
    alice, bob = agent_stream(people.ids["alice"]), agent_stream(people.ids["bob"])
    async with (
        service.connect("/ws/agent", people.tokens["alice"]) as a,
        service.connect("/ws/agent", people.tokens["bob"]) as b,
        service.connect("/ws/supervisor", people.tokens["sue"]) as s,
    ):
        for ws in (a, b, s):
            assert (await receive(ws))["type"] == "snapshot"
        for n in range(20):
            await service.hub.publish(alice if n % 2 else bob, "call.ringing", {"call": n})
            await service.hub.publish(SUPERVISORS, "queue.updated", {"n": n})
        await service.hub.publish(alice, "end", None)
        await service.hub.publish(bob, "end", None)
        await service.hub.publish(SUPERVISORS, "end", None)

        async def drain(ws) -> list[dict]:
            got = []
            while (message := await receive(ws))["type"] != "end":
                got.append(message)
            return got

        got_a, got_b, got_s = await asyncio.gather(drain(a), drain(b), drain(s))
    assert [m["data"]["call"] for m in got_a] == list(range(1, 20, 2))
    assert [m["data"]["call"] for m in got_b] == list(range(0, 20, 2))
    assert {m["stream"] for m in got_a} == {alice} and {m["stream"] for m in got_b} == {bob}
    assert [m["data"]["n"] for m in got_s] == list(range(20)) and {m["type"] for m in got_s} == {"queue.updated"}
    for got in (got_a, got_b, got_s):
        seqs = [m["seq"] for m in got]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
