"""AMI login: plain (``Secret``) or MD5 challenge (the secret never crosses the wire)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from callcenter.telephony.ami.actions import AmiResponse

Send = Callable[[str, list[tuple[str, str]]], Awaitable[AmiResponse]]


async def log_in(send: Send, *, username: str, secret: str, auth: str, events: str | None) -> AmiResponse:
    """Log in through ``send`` (action, fields) -> reply; Asterisk's refusal surfaces as AmiActionError."""
    if auth == "md5":
        challenge = await send("Challenge", [("AuthType", "MD5")])
        key = hashlib.md5(((challenge.get("Challenge") or "") + secret).encode(), usedforsecurity=False)
        fields = [("AuthType", "MD5"), ("Username", username), ("Key", key.hexdigest())]
    else:
        fields = [("Username", username), ("Secret", secret)]
    if events is not None:
        fields.append(("Events", events))
    return await send("Login", fields)
