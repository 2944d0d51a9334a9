"""Errors raised by the AMI client; each says which server and which action."""

from __future__ import annotations

from callcenter.telephony.ami.codec import AmiMessage


class AmiError(Exception):
    """Base class of every AMI client error."""


class AmiConnectionError(AmiError):
    """The AMI connection could not be made or was lost (pending actions fail with it)."""


class AmiAuthenticationError(AmiError):
    """Asterisk refused the login (wrong user or secret, or no permission)."""


class AmiActionError(AmiError):
    """Asterisk answered an action with ``Response: Error``; carries the action name and the reply."""

    def __init__(self, action: str, response: AmiMessage) -> None:
        self.action = action
        self.response = response
        self.message = response.get("Message") or ""
        # `Command` errors say "Command output follows": the useful text is in the Output lines.
        output = [line for line in response.get_all("Output") if line.strip()]
        detail = "; ".join(output) if output else self.message
        server = f" on {response.server}" if response.server else ""
        super().__init__(f"AMI action {action}{server} failed: {detail or 'no message'}")


class AmiTimeoutError(AmiError, TimeoutError):
    """No reply to an action in time."""

    def __init__(self, action: str, timeout: float, server: str | None = None) -> None:
        self.action = action
        self.timeout = timeout
        where = f" from {server}" if server else ""
        super().__init__(f"no reply to AMI action {action}{where} within {timeout:g} s")
