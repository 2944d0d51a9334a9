"""What each node type does to a call; each step returns the next node id or an :class:`Outcome`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.ivr.conditions import EvaluationError
from callcenter.ivr.dialogs import run_callback, run_survey
from callcenter.ivr.model import (
    DIGITS,
    BranchNode,
    CallbackNode,
    CollectNode,
    GotoNode,
    HangupNode,
    HoursNode,
    LookupCustomerNode,
    MenuNode,
    PlayNode,
    QueueNode,
    ReturnNode,
    SayNode,
    SetNode,
    SubflowNode,
    SurveyNode,
    TransferNode,
    VoicemailNode,
)
from callcenter.ivr.session import Outcome, Session, decode_state, encode_state
from callcenter.ivr.validate import POSITION_SOUNDS, WAIT_SOUNDS

Step = str | Outcome
QUEUE_CONTINUATIONS = ("answered", "timeout", "full", "empty", "left")
# Asterisk's QUEUESTATUS values, grouped as the flow language names them.
QUEUESTATUS = {
    "CONTINUE": "answered",
    "TIMEOUT": "timeout",
    "EXITWITHTIMEOUT": "timeout",
    "FULL": "full",
    "JOINEMPTY": "empty",
    "LEAVEEMPTY": "empty",
    "JOINUNAVAIL": "empty",
    "LEAVEUNAVAIL": "empty",
    "EXITWITHKEY": "left",
}


def luhn_ok(digits: str) -> bool:
    """True when the digits pass the Luhn checksum (card numbers, many account numbers)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return bool(digits) and total % 10 == 0


def _mask(digits: str) -> str:
    return "*" * max(0, len(digits) - 4) + digits[-4:]


async def _give_up(session: Session, target: str | None, reason: str) -> Step:
    """After the last retry: go to the flow's fallback, or hang up politely."""
    if target is not None:
        return target
    await session.port.hangup()
    return Outcome("hangup", {"reason": reason})


async def _missed(
    session: Session, node_id: str, node: MenuNode | CollectNode, entry: str | None, last: bool
) -> Step | None:
    """Record a wrong or missing entry; after the last attempt the fallback, before it the retry prompt and None."""
    kind = "menu" if isinstance(node, MenuNode) else "digits"
    if entry:
        await session.record_input(node_id, kind, entry, "invalid")
        target, reason, prompt = node.invalid, "invalid", node.invalid_prompt
    else:
        await session.record_input(node_id, kind, None, "no_input")
        target, reason, prompt = node.no_input, "no_input", node.no_input_prompt
    if last:
        return await _give_up(session, target, reason)
    if prompt:
        await session.port.play(prompt)
    return None


async def _menu(session: Session, node_id: str, node: MenuNode) -> Step:
    for attempt in range(node.retries + 1):
        key = await session.play_all(node.prompt, DIGITS)
        if key is None:
            key = await session.port.wait_digit(node.timeout_s)
        if key and key in node.options:
            await session.record_input(node_id, "menu", key, "ok")
            return node.options[key]
        step = await _missed(session, node_id, node, key, attempt == node.retries)
        if step is not None:
            return step
    raise AssertionError("unreachable: the last attempt always returns")


def _collect_valid(node: CollectNode, digits: str) -> bool:
    if not node.min_digits <= len(digits) <= node.max_digits or not digits.isdigit():
        return False
    if node.pattern is not None and re.fullmatch(node.pattern, digits) is None:
        return False
    return not node.luhn or luhn_ok(digits)


async def _read_digits(session: Session, node: CollectNode) -> str | None:
    """The caller's entry: GET DATA when # ends it (Asterisk's own terminator), else key by key."""
    port = session.port
    if node.terminator == "#":
        return await port.collect(node.prompt, max_digits=node.max_digits, timeout_s=node.timeout_s)
    key = await port.play(node.prompt, DIGITS) or await port.wait_digit(node.timeout_s)
    if key is None:
        return None
    digits = ""
    while key is not None and key != node.terminator:
        digits += key
        if len(digits) >= node.max_digits:
            break
        key = await port.wait_digit(node.timeout_s)
    return digits


async def _collect(session: Session, node_id: str, node: CollectNode) -> Step:
    for attempt in range(node.retries + 1):
        digits = await _read_digits(session, node)
        shown = None if digits is None else (_mask(digits) if node.luhn else digits)
        if digits and _collect_valid(node, digits):
            session.variables[node.store] = digits
            await session.record_input(node_id, "digits", shown, "ok")
            return node.next
        step = await _missed(session, node_id, node, shown, attempt == node.retries)
        if step is not None:
            return step
    raise AssertionError("unreachable: the last attempt always returns")


def _evaluate(session: Session, node_id: str, path: tuple[str | int, ...]) -> Any:
    return session.flow.conditions[(node_id, path)].evaluate(session.context())


async def _say(session: Session, node_id: str, node: SayNode) -> Step:
    try:
        value = _evaluate(session, node_id, ("value",))
    except EvaluationError as error:
        # A value that cannot be computed is skipped rather than read out wrong.
        await session.warn(node_id, str(error))
        return node.next
    if node.kind in ("date", "time", "datetime"):
        try:
            value = _epoch_seconds(value, session.services.timezone)
        except ValueError as error:
            await session.warn(node_id, str(error))
            return node.next
    if node.prompt:
        await session.port.play(node.prompt)
    await session.port.say(node.kind, str(value))
    return node.next


def _epoch_seconds(value: Any, timezone: str) -> int:
    """Asterisk says dates and times from epoch seconds; accept those or an ISO date / date-time."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    text = str(value)
    if text.isdigit():
        return int(text)
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return int(moment.timestamp())


async def _branch(session: Session, node_id: str, node: BranchNode) -> Step:
    for i, case in enumerate(node.cases):
        try:
            if _evaluate(session, node_id, ("cases", i, "when")) is True:
                return case.goto
        except EvaluationError as error:
            await session.warn(node_id, str(error), case=i)
    return node.else_


async def _lookup(session: Session, node_id: str, node: LookupCustomerNode) -> Step:
    customers = session.services.customers
    if node.by == "caller_number":
        customer = await customers.find_by_phone(session.port.caller_number)
    else:
        account = session.variables.get(node.variable or "")
        customer = await customers.find_by_account(account) if account else None
    session.customer = customer
    found = customer is not None
    await session.record_input(node_id, "customer", _customer_id(session), "found" if found else "not_found")
    if found:
        await session.port.set_variable("IVR_CUSTOMER_ID", _customer_id(session) or "")
    return node.found if found else node.not_found


def _customer_id(session: Session) -> str | None:
    if session.customer is None or session.customer.get("id") is None:
        return None
    return str(session.customer["id"])


async def _set(session: Session, node_id: str, node: SetNode) -> Step:
    session.variables.update(node.values)
    for name in node.expressions:
        try:
            session.variables[name] = str(_evaluate(session, node_id, ("expressions", name)))
        except EvaluationError as error:
            await session.warn(node_id, str(error), variable=name)
    return node.next


async def _announce_queue(session: Session, node: QueueNode) -> int | None:
    """Tell the caller their position and estimated wait; return the estimate in seconds if known."""
    port = session.port
    if node.announce_position:
        waiting = _int(await port.get_variable(f"QUEUE_WAITING_COUNT({node.queue})"))
        next_in_line, there_are, calls_waiting = POSITION_SOUNDS
        if waiting == 0:
            await port.play(next_in_line)
        elif waiting is not None:
            await port.play(there_are)
            await port.say("number", str(waiting))
            await port.play(calls_waiting)
    estimate = None
    if node.announce_wait or node.long_wait_s is not None:
        # Reading QUEUE_VARIABLES() fills QUEUEHOLDTIME: the queue's recent average wait.
        await port.get_variable(f"QUEUE_VARIABLES({node.queue})")
        estimate = _int(await port.get_variable("QUEUEHOLDTIME"))
    if node.announce_wait and estimate:
        hold_time, minutes = WAIT_SOUNDS
        await port.play(hold_time)
        await port.say("number", str(max(1, round(estimate / 60))))
        await port.play(minutes)
    return estimate


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


async def _queue(session: Session, node_id: str, node: QueueNode) -> Step:
    estimate = await _announce_queue(session, node)
    if node.long_wait_s is not None and node.long_wait and estimate is not None and estimate > node.long_wait_s:
        await session.record_input(node_id, "estimated_wait_s", str(estimate), "long_wait")
        return node.long_wait
    port = session.port
    await session.export_state()
    await port.set_variable("IVR_QUEUE", node.queue)
    await port.set_variable("QUEUE_PRIO", str(node.priority))
    await port.set_variable("IVR_QUEUE_TIMEOUT", str(node.timeout_s))
    details: dict[str, Any] = {"queue": node.queue, "priority": node.priority, "timeout_s": node.timeout_s}
    if any(getattr(node, name) for name in QUEUE_CONTINUATIONS):
        await port.set_variable("IVR_RESUME", f"{session.flow.name}/{node_id}")
        await port.set_variable("IVR_STATE", encode_state(session))
        details["resume"] = f"{session.flow.name}/{node_id}"
    await port.set_variable("IVR_ACTION", "queue")
    return Outcome("queue", details)


async def resume_from_queue(session: Session, resume_at: str) -> Step:
    """Continue a flow after the dialplan's Queue() returned, on how the caller left the queue."""
    flow_name, _, node_id = resume_at.rpartition("/")
    if flow_name and flow_name != session.flow.name:
        session.flow = session.flows[flow_name]
    node = session.flow.flow.nodes.get(node_id)
    if not isinstance(node, QueueNode):
        raise LookupError(f"cannot resume at {resume_at!r}: not a queue node")
    decode_state(session, await session.port.get_variable("IVR_STATE"))
    status = (await session.port.get_variable("QUEUESTATUS") or "").upper()
    how = QUEUESTATUS.get(status, "answered" if not status else "timeout")
    session.path.append(session.label(node_id))
    await session.record_input(node_id, "queue", how, "ok")
    target = getattr(node, how)
    if target is None:
        await session.port.hangup()
        return Outcome("hangup", {"reason": f"queue {how}"})
    return target


async def _hand_off(session: Session, action: str, prompt: str | None, variables: dict[str, str]) -> Outcome:
    if prompt:
        await session.port.play(prompt)
    await session.export_state()
    for name, value in variables.items():
        await session.port.set_variable(name, value)
    await session.port.set_variable("IVR_ACTION", action)
    return Outcome(action, {k.removeprefix("IVR_").lower(): v for k, v in variables.items()})


async def run_node(session: Session, node_id: str) -> Step:
    """Run one node of the current flow."""
    node = session.flow.flow.nodes[node_id]
    match node:
        case PlayNode():
            key = await session.play_all(node.prompt, node.interrupt_digits)
            if key and node.store:
                session.variables[node.store] = key
                await session.record_input(node_id, "digit", key, "ok")
            return node.next
        case MenuNode():
            return await _menu(session, node_id, node)
        case CollectNode():
            return await _collect(session, node_id, node)
        case SayNode():
            return await _say(session, node_id, node)
        case BranchNode():
            return await _branch(session, node_id, node)
        case LookupCustomerNode():
            return await _lookup(session, node_id, node)
        case HoursNode():
            is_open = session.flow.schedules[node_id].is_open(session.services.clock())
            return node.open if is_open else node.closed
        case SetNode():
            return await _set(session, node_id, node)
        case QueueNode():
            return await _queue(session, node_id, node)
        case TransferNode():
            variables = {"IVR_TRANSFER_TO": node.to} | ({"IVR_TRANSFER_CONTEXT": node.context} if node.context else {})
            return await _hand_off(session, "transfer", node.prompt, variables)
        case VoicemailNode():
            return await _hand_off(session, "voicemail", node.prompt, {"IVR_MAILBOX": node.mailbox})
        case CallbackNode():
            return await run_callback(session, node_id, node)
        case SurveyNode():
            return await run_survey(session, node_id, node)
        case SubflowNode():
            session.returns.append((session.flow, node.next))
            session.flow = session.flows[node.flow]
            return session.flow.flow.entry
        case ReturnNode():
            if not session.returns:
                await session.port.set_variable("IVR_ACTION", "continue")
                return Outcome("continue")
            session.flow, target = session.returns.pop()
            return target
        case GotoNode():
            if node.flow is not None:
                session.flow = session.flows[node.flow]
                return session.flow.flow.entry
            return node.target or ""
        case HangupNode():
            if node.prompt:
                await session.port.play(node.prompt)
            await session.port.hangup()
            return Outcome("hangup")
    raise TypeError(f"node type {type(node).__name__} has no step")
