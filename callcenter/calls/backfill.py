"""Finished calls rebuilt from queue_log records of a window the tracker did not see.

A call that began and ended while the service was blind left no AMI event, but Asterisk
wrote it to its queue_log. The planner turns the records of such calls into the same
``CallSummary`` the tracker makes (key from the same server and boot, so a call seen live
and in the backfill is one contact), marked reconstructed. A call the tracker closed blind
(its end unseen) is completed with what the queue_log knows about its end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field, replace

from callcenter.calls.events import (
    AgentNoAnswer,
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallEvent,
    CallKey,
    CallQueued,
    CallTransferred,
    HangupBy,
    TransferKind,
)
from callcenter.calls.legs import to_datetime
from callcenter.calls.queue_log import QueueLogRecord
from callcenter.calls.summary import CallSummary, Outcome

# Events that end a queue visit, with the outcome and who ended the call.
_ENDINGS: dict[str, tuple[Outcome, HangupBy]] = {
    "COMPLETECALLER": (Outcome.HANDLED, HangupBy.CALLER),
    "COMPLETEAGENT": (Outcome.HANDLED, HangupBy.AGENT),
    "ABANDON": (Outcome.ABANDONED, HangupBy.CALLER),
    "EXITWITHKEY": (Outcome.ABANDONED, HangupBy.CALLER),
    "EXITWITHTIMEOUT": (Outcome.TIMEOUT, HangupBy.SYSTEM),
    "EXITEMPTY": (Outcome.TIMEOUT, HangupBy.SYSTEM),
    "TRANSFER": (Outcome.TRANSFERRED, HangupBy.SYSTEM),
    "BLINDTRANSFER": (Outcome.TRANSFERRED, HangupBy.SYSTEM),
    "ATTENDEDTRANSFER": (Outcome.TRANSFERRED, HangupBy.SYSTEM),
}
# Where each ending keeps the caller's waiting seconds, and (for completions and transfers) the talk.
_WAIT_FIELD = {"ABANDON": 2, "EXITWITHTIMEOUT": 2, "EXITEMPTY": 2, "EXITWITHKEY": 3}
_TALK_FIELD = {"COMPLETECALLER": 1, "COMPLETEAGENT": 1, "TRANSFER": -2, "BLINDTRANSFER": -2, "ATTENDEDTRANSFER": -2}


@dataclass
class _Call:
    key: CallKey
    caller: str | None = None
    queue: str | None = None
    agent: str | None = None
    wait: float | None = None
    talk: float | None = None
    rings: int = 0
    entered: int | None = None
    answered: int | None = None
    ended: int | None = None
    outcome: Outcome | None = None
    hangup_by: HangupBy = HangupBy.SYSTEM
    transferred_to: str | None = None
    timeline: list[CallEvent] = field(default_factory=list)


def _apply(call: _Call, rec: QueueLogRecord, interface_of: Callable[[str], str]) -> None:
    at = to_datetime(rec.time)
    if rec.event == "ENTERQUEUE":
        call.queue, call.caller = rec.queue, rec.field(1) or call.caller
        call.entered = call.entered if call.entered is not None else rec.time
        call.outcome, call.ended = None, None
        call.timeline.append(CallQueued(call.key, at, queue=rec.queue, position=rec.number(2)))
    elif rec.event in ("RINGNOANSWER", "RINGCANCELED"):
        call.rings += 1
        if rec.event == "RINGNOANSWER":
            call.timeline.append(
                AgentNoAnswer(
                    call.key,
                    at,
                    queue=rec.queue,
                    agent_interface=interface_of(rec.agent),
                    agent_name=rec.agent,
                    ring_seconds=rec.number(0) / 1000.0,
                )
            )
    elif rec.event == "CONNECT":
        call.agent, call.rings = rec.agent, call.rings + 1
        call.wait = rec.number(0)
        call.answered = call.answered if call.answered is not None else rec.time
        call.timeline.append(
            CallConnected(
                call.key,
                at,
                queue=rec.queue,
                agent_interface=interface_of(rec.agent),
                agent_name=rec.agent,
                wait_seconds=rec.number(0),
                ring_seconds=rec.number(2),
            )
        )
    elif rec.event in _ENDINGS:
        call.outcome, call.hangup_by = _ENDINGS[rec.event]
        call.ended = rec.time
        if rec.event in _WAIT_FIELD:
            call.wait = rec.number(_WAIT_FIELD[rec.event])
        if rec.event in _TALK_FIELD:
            call.talk = rec.number(_TALK_FIELD[rec.event])
        if rec.event == "ABANDON":
            call.timeline.append(
                CallAbandoned(
                    call.key,
                    at,
                    queue=rec.queue,
                    position=rec.number(0),
                    original_position=rec.number(1),
                    wait_seconds=rec.number(2),
                )
            )
        elif call.outcome is Outcome.TRANSFERRED:
            kind = TransferKind.ATTENDED if rec.event == "ATTENDEDTRANSFER" else TransferKind.BLIND
            target = rec.field(0) if kind is TransferKind.ATTENDED else f"{rec.field(0)}@{rec.field(1)}"
            call.transferred_to = target
            call.timeline.append(
                CallTransferred(call.key, at, kind=kind, target=target, agent_interface=interface_of(rec.agent))
            )


def _started(call: _Call) -> int:
    # The call id is the caller channel's Uniqueid, whose integer part is the second it was created.
    head = call.key.linkedid.split(".", 1)[0]
    entered = call.entered if call.entered is not None else call.ended or 0
    return min(int(head), entered) if head.isdigit() else entered


def _summary(call: _Call, interface_of: Callable[[str], str]) -> CallSummary:
    assert call.outcome is not None and call.ended is not None
    ended = to_datetime(call.ended)
    call.timeline.append(
        CallEnded(call.key, ended, hangup_by=call.hangup_by, cause=None, outcome=call.outcome.value, reconstructed=True)
    )
    return CallSummary(
        key=call.key,
        caller_number=call.caller,
        caller_name=None,
        queue=call.queue,
        agent_interface=interface_of(call.agent) if call.agent else None,
        agent_name=call.agent,
        agent_user_id=None,
        outcome=call.outcome,
        started_at=to_datetime(_started(call)),
        answered_at=to_datetime(call.answered) if call.answered is not None else None,
        ended_at=ended,
        wait_seconds=call.wait,
        talk_seconds=call.talk,
        hold_seconds=None,
        wrapup_seconds=None,
        ring_attempts=call.rings,
        hangup_by=call.hangup_by,
        hangup_cause=None,
        transferred_to=call.transferred_to,
        reconstructed=True,
        timeline=call.timeline,
    )


def _complete(live: CallSummary, backfilled: CallSummary) -> CallSummary:
    """A call closed blind, completed with the queue_log's account of its end."""
    timeline = [e for e in live.timeline if not isinstance(e, CallEnded)]
    # The queue_log repeats what was seen live (queued, connected ...): keep only what the live
    # timeline lacks, matching event types one for one.
    seen = Counter(type(e) for e in timeline)
    for event in backfilled.timeline:
        if seen[type(event)] > 0:
            seen[type(event)] -= 1
        else:
            timeline.append(event)
    same_agent = live.agent_name == backfilled.agent_name
    return replace(
        live,
        queue=backfilled.queue or live.queue,
        agent_interface=live.agent_interface if same_agent else backfilled.agent_interface,
        agent_name=live.agent_name if same_agent else backfilled.agent_name,
        agent_user_id=live.agent_user_id if same_agent else None,
        outcome=backfilled.outcome,
        answered_at=live.answered_at or backfilled.answered_at,
        ended_at=max(backfilled.ended_at, live.started_at),
        wait_seconds=backfilled.wait_seconds,
        talk_seconds=backfilled.talk_seconds,
        ring_attempts=max(live.ring_attempts, backfilled.ring_attempts),
        hangup_by=backfilled.hangup_by,
        transferred_to=backfilled.transferred_to or live.transferred_to,
        reconstructed=True,
        timeline=timeline,
    )


def plan_backfill(
    records: Iterable[QueueLogRecord],
    key: Callable[[str], CallKey],
    *,
    skip: Container[str] = (),
    closed_blind: Mapping[str, CallSummary] | None = None,
    since: int | None = None,
    until: int | None = None,
    interfaces: Mapping[str, str] | None = None,
) -> list[CallSummary]:
    """Summaries of the calls that ended within [since, until] and are not in ``skip``.

    ``key`` makes a call's key from its id (the tracker's ``key``, for the boot of the window);
    ``closed_blind`` holds summaries the resync closed without seeing the end, which the
    queue_log completes; ``interfaces`` maps member names to interfaces.
    """
    names = dict(interfaces or {})

    def interface_of(name: str) -> str:
        return names.get(name, name)

    by_call: dict[str, list[QueueLogRecord]] = defaultdict(list)
    for rec in records:
        if rec.is_call and rec.callid not in skip:
            by_call[rec.callid].append(rec)
    blind = closed_blind or {}
    out: list[CallSummary] = []
    for callid, recs in by_call.items():
        call = _Call(key(callid))
        for rec in sorted(recs, key=lambda r: r.time):
            _apply(call, rec, interface_of)
        if call.outcome is None or call.ended is None:
            continue  # still in progress: the live tracker (after resync) will finish it
        if (since is not None and call.ended < since) or (until is not None and call.ended > until):
            continue
        summary = _summary(call, interface_of)
        out.append(_complete(blind[callid], summary) if callid in blind else summary)
    return sorted(out, key=lambda s: s.ended_at)
