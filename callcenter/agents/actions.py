"""An agent's own telephony actions, each one AMI action on the Asterisk that holds the agent.

ready / pause (QueuePause on every queue of the member), click-to-call (Originate from the agent's
phone), blind transfer (Redirect of the caller's channel), hang up (Hangup of the agent's leg).
The agent's state is not set here: Asterisk's answer (QueueMemberPause, Hangup ...) comes back as
events through the call tracker, so what the console shows is always what Asterisk did. A refusal
carries Asterisk's own message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from callcenter.agents.desk import Desk, DeskCall
from callcenter.calls.legs import member_key
from callcenter.errors import Conflict, InvalidInput, ServiceError
from callcenter.telephony.ami import AmiActionError, AmiConnectionError, AmiResponse, AmiTimeoutError

DIALABLE = re.compile(r"^\+?[0-9*#]{1,32}$")
REASON = re.compile(r"^[\w .,'()/-]{1,40}$")


class ActionSender(Protocol):
    """What the actions need of an AMI client."""

    async def action(self, action: str, fields: Mapping[str, str]) -> AmiResponse: ...


class TelephonyRefused(ServiceError):
    """Asterisk answered the action with an error."""

    status_code = 502


class TelephonyUnavailable(ServiceError):
    """The Asterisk of this agent cannot be reached right now."""

    status_code = 503


class AgentActions:
    """Agent actions through the AMI clients (by Asterisk server name)."""

    def __init__(
        self,
        servers: Mapping[str, ActionSender],
        *,
        originate_context: str,
        transfer_context: str,
        pause_reasons: list[str],
    ) -> None:
        self.servers = servers
        self.originate_context = originate_context
        self.transfer_context = transfer_context
        self.pause_reasons = pause_reasons

    def _server(self, desk: Desk) -> tuple[str, ActionSender]:
        if desk.server is not None and desk.server in self.servers:
            return desk.server, self.servers[desk.server]
        if not self.servers:
            raise TelephonyUnavailable("no Asterisk is configured (CALLCENTER_AMI_SERVERS)")
        name = next(iter(self.servers))
        return name, self.servers[name]

    async def _send(self, desk: Desk, action: str, fields: dict[str, str]) -> None:
        name, sender = self._server(desk)
        try:
            await sender.action(action, fields)
        except AmiActionError as exc:
            raise TelephonyRefused(f"Asterisk {name} refused {action}: {exc.message or 'no reason given'}") from exc
        except (AmiConnectionError, AmiTimeoutError) as exc:
            raise TelephonyUnavailable(f"Asterisk {name} is not reachable ({exc}); try again in a moment") from exc

    @staticmethod
    def _interface(desk: Desk, interface: str | None) -> str:
        found = interface or desk.interface
        if not found:
            raise Conflict("your user has no phone (queue member interface); ask an admin to set one")
        return found

    async def ready(self, desk: Desk, interface: str | None) -> None:
        """Unpause in every queue; refused while a required disposition is missing."""
        if desk.wrap_up is not None and desk.wrap_up.disposition_required:
            raise Conflict("write the disposition of your last call first")
        await self._send(desk, "QueuePause", {"Interface": self._interface(desk, interface), "Paused": "false"})

    async def pause(self, desk: Desk, interface: str | None, reason: str) -> None:
        """Pause in every queue with a reason (one of the configured ones, or a short text)."""
        reason = reason.strip()
        if not REASON.match(reason):
            raise InvalidInput(f"pause reason {reason!r}: 1-40 letters, digits, spaces or .,'()/-")
        fields = {"Interface": self._interface(desk, interface), "Paused": "true", "Reason": reason}
        await self._send(desk, "QueuePause", fields)

    async def wrap_up_pause(self, desk: Desk, interface: str | None, paused: bool) -> None:
        """Hold the agent out of the queues while a required disposition is written, and release them."""
        fields = {"Interface": self._interface(desk, interface), "Paused": "true" if paused else "false"}
        if paused:
            fields["Reason"] = "wrap-up"
        await self._send(desk, "QueuePause", fields)

    async def call(self, desk: Desk, interface: str | None, number: str) -> None:
        """Click-to-call: ring the agent's phone, then dial ``number`` from the outbound context."""
        number = _dialable(number, "number")
        phone = member_key(self._interface(desk, interface))
        fields = {
            "Channel": phone,
            "Context": self.originate_context,
            "Exten": number,
            "Priority": "1",
            "CallerID": f"<{number}>",
            "Async": "true",
        }
        await self._send(desk, "Originate", fields)

    async def transfer(self, desk: Desk, target: str) -> None:
        """Blind transfer: send the caller of the active call to ``target`` in the transfer context."""
        target = _dialable(target, "transfer target")
        call = _active(desk)
        if call.caller_channel is None:
            raise Conflict("the caller's channel of this call is not known; transfer from the phone")
        fields = {"Channel": call.caller_channel, "Context": self.transfer_context, "Exten": target, "Priority": "1"}
        await self._send(desk, "Redirect", fields)

    async def hangup(self, desk: Desk) -> None:
        """Hang up the agent's leg of the active (or ringing) call."""
        call = desk.call
        if call is None:
            raise Conflict("you have no call to hang up")
        channel = call.agent_channel or call.caller_channel
        if channel is None:
            raise Conflict("the channel of this call is not known; hang up on the phone")
        await self._send(desk, "Hangup", {"Channel": channel})


def _dialable(value: str, what: str) -> str:
    value = value.strip().replace(" ", "").replace("-", "")
    if not DIALABLE.match(value):
        raise InvalidInput(f"{what} {value!r}: digits, *, # and a leading + only (up to 32)")
    return value


def _active(desk: Desk) -> DeskCall:
    call = desk.call
    if call is None or call.phase != "connected":
        raise Conflict("you have no active call to transfer")
    return call
