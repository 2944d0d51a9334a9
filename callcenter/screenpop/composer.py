"""Builds the screen-pop card of a ringing call.

The caller is known from the moment the call starts, long before an agent rings (the IVR
takes seconds), so ``prefetch`` resolves the customer then and warms the database pages
of their history. At ring time ``compose`` reads the history again, now a warm single
statement, so the card carries notes written meanwhile and still costs well under a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from callcenter.contacts import hot_reads
from callcenter.contacts.identities import normalize_phone
from callcenter.contacts.read_pool import ReadPool
from callcenter.errors import InvalidInput

HISTORY_ON_CARD = 20


@dataclass
class CallContext:
    """What is known of a call when it rings an agent."""

    call_id: str
    caller_number: str | None
    caller_name: str | None = None
    queue: str | None = None
    ivr_path: list[str] = field(default_factory=list)
    ivr_inputs: dict[str, Any] = field(default_factory=dict)


def jsonable(value: Any) -> Any:
    """The card with timestamps as ISO-8601 UTC strings, ready to be sent as JSON."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value


class ScreenPopComposer:
    def __init__(self, reads: ReadPool, *, region: str, history_size: int = HISTORY_ON_CARD) -> None:
        self._reads = reads
        self._region = region
        self._history_size = history_size
        self._customers: dict[str, int | None] = {}

    def _e164(self, number: str | None) -> str | None:
        if not number:
            return None
        try:
            return normalize_phone(number, self._region)
        except InvalidInput:
            return None

    async def _customer_id(self, number: str | None) -> int | None:
        if number is None:
            return None
        async with self._reads.connection() as db:
            return await hot_reads.customer_id_by_identity(db, kind="phone", value=number)

    async def prefetch(self, call_id: str, caller_number: str | None) -> None:
        """Resolve the caller when the call starts and warm the pages of their history."""
        customer_id = await self._customer_id(self._e164(caller_number))
        self._customers[call_id] = customer_id
        if customer_id is not None:
            async with self._reads.connection() as db:
                await hot_reads.read_history(db, customer_id=customer_id, viewer_id=None, limit=self._history_size)

    def forget(self, call_id: str) -> None:
        """Drop what was prefetched for a call that ended."""
        self._customers.pop(call_id, None)

    async def compose(self, call: CallContext, *, agent_user_id: int | None, reads_all_private: bool) -> dict[str, Any]:
        """The card: the call, the matched customer (or unknown) and their history across channels."""
        number = self._e164(call.caller_number)
        if call.call_id in self._customers:
            customer_id = self._customers[call.call_id]
        else:
            customer_id = await self._customer_id(number)
        history = None
        if customer_id is not None:
            viewer = None if reads_all_private else agent_user_id
            async with self._reads.connection() as db:
                history = await hot_reads.read_history(
                    db, customer_id=customer_id, viewer_id=viewer, limit=self._history_size
                )
        card: dict[str, Any] = {
            "call": {
                "id": call.call_id,
                "caller_number": number or call.caller_number,
                "caller_name": call.caller_name,
                "queue": call.queue,
                "ivr_path": call.ivr_path,
                "ivr_inputs": call.ivr_inputs,
            },
            "known": history is not None,
        }
        if history is None:
            card["customer"] = None
            card["suggested_customer"] = {
                "display_name": call.caller_name or f"Unknown {number or 'caller'}",
                "phone": number,
            }
            card["history"] = None
        else:
            card["customer"] = history.pop("customer")
            card["history"] = history
        return jsonable(card)
