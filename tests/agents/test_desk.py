"""The desk's view of an agent: what each stream gets when queues ring, agents answer and calls end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from callcenter.agents.desk import DeskBook, DeskCall
from callcenter.calls.events import AgentState

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def rung(call_id: str, queue: str = "sales", at: datetime = T0) -> DeskCall:
    return DeskCall(call_id, "pbx1", queue, "+15551230042", "Local/s@customer-1;1", "Local/agent@agents-1;1",
                    "ringing", at, card={"known": False})  # fmt: skip


def kinds(messages: list) -> list[tuple[int, str]]:
    return [(user, type_) for user, type_, _ in messages]


def ready(book: DeskBook, *users: int) -> None:
    for user in users:
        book.asterisk_state(user, server="pbx1", interface=f"PJSIP/{user}", state=AgentState.READY, reason=None, at=T0)


def test_ringall_answered_by_one_agent_is_missed_by_the_others() -> None:
    book = DeskBook()
    ready(book, 1, 2)
    assert kinds(book.ringing(1, rung("c1"))) == [(1, "call.ringing"), (1, "agent.state")]
    assert kinds(book.ringing(2, rung("c1"))) == [(2, "call.ringing"), (2, "agent.state")]
    answered = book.connected(2, "c1", T0 + timedelta(seconds=3))
    assert kinds(answered) == [(1, "call.missed"), (1, "agent.state"), (2, "call.connected"), (2, "agent.state")]
    assert answered[0][2] == {"call_id": "c1", "reason": "answered by another agent"}
    assert book.desk(1).snapshot()["state"] == "ready"
    assert book.desk(2).snapshot()["call"]["phase"] == "connected"
    ended = book.call_ended("c1", outcome="handled", source="asterisk", at=T0 + timedelta(minutes=2))
    assert kinds(ended) == [(2, "call.ended"), (2, "agent.state")]
    assert ended[0][2]["disposition_required"] is False
    assert book.desk(2).snapshot()["state"] == "ready"  # nothing required: back to Asterisk's state


def test_a_queue_that_asks_for_a_disposition_keeps_the_agent_in_wrap_up_until_done() -> None:
    book = DeskBook(disposition_queues=frozenset({"support"}))
    ready(book, 1)
    book.ringing(1, rung("c1", "support"))
    book.connected(1, "c1", T0)
    ended = book.call_ended("c1", outcome="handled", source="asterisk", at=T0 + timedelta(minutes=1))
    assert ended[0][2]["contact"] == {"source": "asterisk", "external_id": "c1"}
    assert ended[1][2]["state"] == "wrap_up"
    # Asterisk pausing the member for the wrap-up does not change what the agent sees
    paused = book.asterisk_state(1, server="pbx1", interface="PJSIP/1", state=AgentState.PAUSED, reason="wrap-up",
                                 at=T0 + timedelta(minutes=1))  # fmt: skip
    assert paused == []
    assert kinds(book.recorded("c1", 10, 20)) == [(1, "call.recorded")]
    done = book.wrapped_up(1, T0 + timedelta(minutes=2))
    assert kinds(done) == [(1, "call.wrapped_up"), (1, "agent.state")]
    assert done[1][2]["state"] == "paused"  # until Asterisk reports the unpause


def test_ring_stopped_caller_gone_and_transfer() -> None:
    book = DeskBook()
    ready(book, 1, 2)
    book.ringing(1, rung("c1"))
    assert kinds(book.ring_stopped(1, "c1", "not answered", T0)) == [(1, "call.missed"), (1, "agent.state")]
    assert book.ring_stopped(1, "c1", "not answered", T0) == []
    book.ringing(2, rung("c2"))
    gone = book.call_ended("c2", outcome="abandoned", source="asterisk", at=T0)
    assert gone[0][2] == {"call_id": "c2", "reason": "caller hung up"}
    book.ringing(1, rung("c3"))
    book.connected(1, "c3", T0)
    moved = book.left_agent(1, "c3", outcome="transferred", source="asterisk", at=T0)
    assert moved[0][1] == "call.ended" and moved[0][2]["outcome"] == "transferred"
    assert book.call_ended("c3", outcome="handled", source="asterisk", at=T0) == []  # already left


def test_an_agent_never_gets_a_message_about_a_call_on_another_desk() -> None:
    book = DeskBook()
    ready(book, 1, 2)
    messages = book.ringing(1, rung("c1")) + book.connected(1, "c1", T0)
    messages += book.call_ended("c1", outcome="handled", source="asterisk", at=T0)
    assert {user for user, _, _ in messages} == {1}
