"""Multi-step dialogs: the callback offer and the post-call survey."""

from __future__ import annotations

from callcenter.ivr.model import DIGITS, CallbackNode, SurveyNode
from callcenter.ivr.services import CallbackRefused, CallbackRequest, SurveyResult
from callcenter.ivr.session import Outcome, Session

NUMBER_MAX_DIGITS = 15  # E.164 allows at most 15 digits


async def _key(session: Session, prompt: str, interrupt: str, timeout_s: float) -> str | None:
    key = await session.port.play(prompt, interrupt)
    return key or await session.port.wait_digit(timeout_s)


async def _confirmed_number(session: Session, node_id: str, node: CallbackNode) -> str | None:
    """The number to call back: the caller's own once confirmed, or one they type; None if they give up."""
    own = session.port.caller_number
    number: str | None = own if own.lstrip("+").isdigit() else None
    for _ in range(3):
        if number is not None:
            await session.port.say("digits", number.lstrip("+"))
            choice = await _key(session, node.confirm_prompt, "12", node.timeout_s)
            await session.record_input(node_id, "callback_confirm", choice, _result(choice, "12"))
            if choice == "1":
                return number
            if choice != "2":
                continue
        typed = await session.port.collect(node.enter_prompt, max_digits=NUMBER_MAX_DIGITS, timeout_s=node.timeout_s)
        ok = typed is not None and typed.isdigit() and len(typed) >= 3
        await session.record_input(node_id, "callback_number", typed or None, "ok" if ok else _result(typed, ""))
        number = typed if ok else None
    return None


def _result(key: str | None, valid: str) -> str:
    if not key:
        return "no_input"
    return "ok" if key in valid else "invalid"


async def run_callback(session: Session, node_id: str, node: CallbackNode) -> str | Outcome:
    """Offer a callback; on acceptance confirm or take the number and book it."""
    choice = await _key(session, node.offer_prompt, DIGITS, node.timeout_s)
    accepted = choice == node.accept_digit
    await session.record_input(node_id, "callback_offer", choice, "ok" if accepted else _result(choice, ""))
    if not accepted:
        return node.declined
    number = await _confirmed_number(session, node_id, node)
    if number is None:
        return node.declined
    customer_id = None if session.customer is None else session.customer.get("id")
    request = CallbackRequest(
        number=number,
        caller_number=session.port.caller_number,
        queue=node.queue,
        customer_id=None if customer_id is None else str(customer_id),
        flow=session.root.name,
        linkedid=session.port.linkedid,
        requested_at=session.services.clock(),
    )
    try:
        await session.services.callbacks.book_callback(request)
    except CallbackRefused as error:
        await session.warn(node_id, f"callback to {number} refused: {error}")
        await session.record_input(node_id, "callback_number", number, "refused")
        return node.declined
    session.variables["callback_number"] = number
    if node.done_prompt:
        await session.port.play(node.done_prompt)
    return node.next


async def run_survey(session: Session, node_id: str, node: SurveyNode) -> str:
    """Ask each question for a 1-5 key, store the answers and flag a low score."""
    scores: dict[str, int | None] = {}
    for question in node.questions:
        score = None
        for attempt in range(node.retries + 1):
            key = await _key(session, question.prompt, DIGITS, node.timeout_s)
            valid = key is not None and key in "12345"
            await session.record_input(node_id, f"survey:{question.id}", key, _result(key, "12345"))
            if valid:
                score = int(key or 0)
                break
            if node.invalid_prompt and attempt < node.retries:
                await session.port.play(node.invalid_prompt)
        scores[question.id] = score
        if score is not None:
            session.variables[f"survey_{question.id}"] = str(score)
    low = any(score is not None and score <= node.low_score for score in scores.values())
    customer_id = None if session.customer is None else session.customer.get("id")
    result = SurveyResult(
        scores=scores,
        low=low,
        caller_number=session.port.caller_number,
        customer_id=None if customer_id is None else str(customer_id),
        flow=session.root.name,
        linkedid=session.port.linkedid,
        answered_at=session.services.clock(),
    )
    await session.services.surveys.record_survey(result)
    if node.thanks_prompt:
        await session.port.play(node.thanks_prompt)
    return node.next
