"""A supervisor's actions on an agent, each one or more AMI actions on the Asterisk that holds the agent.

pause (``QueuePause`` in every queue, with a reason), unpause (``QueuePause Paused: false``), log off
(``QueueRemove`` from each queue the agent is a member of). Nothing here changes the wallboard: Asterisk's
own events (QueueMemberPause, QueueMemberRemoved) come back through the call tracker, so the board shows
what Asterisk did. Refusals carry Asterisk's message; an unreachable Asterisk says so and to retry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Protocol

from callcenter.errors import InvalidInput, ServiceError
from callcenter.telephony.ami import AmiActionError, AmiConnectionError, AmiResponse, AmiTimeoutError

INTERFACE = re.compile(r"^[\w/@.:;+#*-]{1,200}$")
REASON = re.compile(r"^[\w .,'()/-]{1,40}$")


class ActionSender(Protocol):
    """What the actions need of an AMI client."""

    async def action(self, action: str, fields: Mapping[str, str]) -> AmiResponse: ...


class AsteriskRefused(ServiceError):
    """Asterisk answered the action with an error."""

    status_code = 502


class AsteriskUnavailable(ServiceError):
    """The agent's Asterisk cannot be reached now."""

    status_code = 503


class PartlyLoggedOff(ServiceError):
    """Some queues removed the agent before Asterisk refused (or the link failed) for the next one."""

    def __init__(self, removed: list[str], error: ServiceError) -> None:
        super().__init__(f"{error} (already removed from: {', '.join(removed)})")
        self.removed = removed
        self.status_code = error.status_code


def check_interface(interface: str) -> str:
    """A queue member interface as AMI takes it (no spaces, no line breaks)."""
    if not INTERFACE.match(interface):
        raise InvalidInput(f"interface {interface!r} is not a queue member interface (e.g. PJSIP/1001)")
    return interface


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if not REASON.match(reason):
        raise InvalidInput(f"pause reason {reason!r}: 1-40 letters, digits, spaces or .,'()/-")
    return reason


class SupervisorActions:
    """Pause, unpause and log off agents through the AMI clients (by Asterisk server name)."""

    def __init__(self, servers: Mapping[str, ActionSender]) -> None:
        self.servers = servers

    def server_for(self, server: str | None) -> str:
        """The name of the Asterisk to act on: the agent's, or the only one configured."""
        if server is not None and server in self.servers:
            return server
        if not self.servers:
            raise AsteriskUnavailable("no Asterisk is configured (CALLCENTER_AMI_SERVERS): agents cannot be changed")
        if server is not None or len(self.servers) > 1:
            raise AsteriskUnavailable(f"the Asterisk of this agent ({server or 'unknown'}) is not configured")
        return next(iter(self.servers))

    async def _send(self, server: str, action: str, fields: dict[str, str]) -> None:
        try:
            await self.servers[server].action(action, fields)
        except AmiActionError as exc:
            raise AsteriskRefused(f"Asterisk {server} refused {action}: {exc.message or 'no reason given'}") from exc
        except (AmiConnectionError, AmiTimeoutError) as exc:
            raise AsteriskUnavailable(
                f"Asterisk {server} is not reachable, so nothing was changed ({exc}); try again in a moment"
            ) from exc

    async def pause(self, server: str, interface: str, reason: str) -> None:
        """Pause the agent in every queue with ``reason``."""
        fields = {"Interface": check_interface(interface), "Paused": "true", "Reason": check_reason(reason)}
        await self._send(server, "QueuePause", fields)

    async def unpause(self, server: str, interface: str) -> None:
        """Make the agent available again in every queue."""
        await self._send(server, "QueuePause", {"Interface": check_interface(interface), "Paused": "false"})

    async def log_off(self, server: str, interface: str, queues: Iterable[str]) -> list[str]:
        """Remove the agent from each of ``queues``; answer the queues it was removed from."""
        check_interface(interface)
        removed: list[str] = []
        for queue in sorted(queues):
            try:
                await self._send(server, "QueueRemove", {"Queue": queue, "Interface": interface})
            except (AsteriskRefused, AsteriskUnavailable) as exc:
                if removed:
                    raise PartlyLoggedOff(removed, exc) from exc
                raise
            removed.append(queue)
        return removed
