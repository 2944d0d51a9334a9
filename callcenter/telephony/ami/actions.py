"""Replies to AMI actions: plain responses, and list actions collected until ``EventList: Complete``.

A list action (QueueStatus, QueueSummary, CoreShowChannels, Status ...) is answered with
``Response: Success`` + ``EventList: start``, then item events carrying the action's ActionID, then a
``...Complete`` event with ``EventList: Complete``. Unrelated events interleave with the items; only
the events carrying the ActionID belong to the reply.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from callcenter.telephony.ami.codec import AmiMessage
from callcenter.telephony.ami.errors import AmiActionError


@dataclass(slots=True)
class AmiResponse:
    """The reply to one action: the response message and, for a list action, its item events."""

    action: str
    message: AmiMessage
    events: list[AmiMessage] = field(default_factory=list)
    complete: AmiMessage | None = None

    def get(self, key: str, default: str | None = None) -> str | None:
        """A header of the response message (case-insensitive)."""
        return self.message.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self.message[key]

    @property
    def output(self) -> list[str]:
        """The ``Output:`` lines of a ``Command`` reply, in order."""
        return self.message.get_all("Output")


class PendingAction:
    """An action sent and not yet fully answered; owns the future its caller awaits."""

    __slots__ = ("action", "future", "keepalive", "reply")

    def __init__(self, action: str, future: asyncio.Future[AmiResponse], *, keepalive: bool = False) -> None:
        self.action = action
        self.future = future
        self.keepalive = keepalive
        self.reply: AmiResponse | None = None

    @property
    def collecting(self) -> bool:
        """True once a list action's first response came and its items are being gathered."""
        return self.reply is not None

    def on_response(self, message: AmiMessage) -> bool:
        """Take the action's response; True when the action is finished."""
        if message.name.lower() == "error":
            self._finish(exception=AmiActionError(self.action, message))
            return True
        reply = AmiResponse(self.action, message)
        if (message.get("EventList") or "").lower() == "start":
            self.reply = reply
            return False
        self._finish(reply)
        return True

    def on_event(self, message: AmiMessage) -> bool:
        """Take one item event of a list action; True when it was the ``EventList: Complete`` one."""
        assert self.reply is not None
        if (message.get("EventList") or "").lower() == "complete":
            self.reply.complete = message
            self._finish(self.reply)
            return True
        self.reply.events.append(message)
        return False

    def fail(self, exception: BaseException) -> None:
        """End the action with an error (connection lost, client closed)."""
        self._finish(exception=exception)

    def _finish(self, reply: AmiResponse | None = None, exception: BaseException | None = None) -> None:
        if self.future.done():
            return  # the caller gave up (timeout, cancellation)
        if exception is not None:
            self.future.set_exception(exception)
        else:
            self.future.set_result(reply)  # type: ignore[arg-type]
