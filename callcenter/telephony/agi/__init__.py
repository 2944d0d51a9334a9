"""FastAGI server: sans-I/O protocol, typed session commands, asyncio listener (no domain imports)."""

from callcenter.telephony.agi.limits import FORBIDDEN_APPLICATIONS, AgiLimits
from callcenter.telephony.agi.protocol import (
    AgiEnvironment,
    AgiError,
    AgiProtocolError,
    AgiReply,
    UnsafeArgumentError,
)
from callcenter.telephony.agi.server import AgiServer, SessionHandler
from callcenter.telephony.agi.session import (
    AgiCommandError,
    AgiConnectionClosed,
    AgiHangup,
    AgiSession,
    AgiTimeout,
    ApplicationNotAllowed,
    GetDataResult,
    StreamFileResult,
)

__all__ = [
    "FORBIDDEN_APPLICATIONS",
    "AgiCommandError",
    "AgiConnectionClosed",
    "AgiEnvironment",
    "AgiError",
    "AgiHangup",
    "AgiLimits",
    "AgiProtocolError",
    "AgiReply",
    "AgiServer",
    "AgiSession",
    "AgiTimeout",
    "ApplicationNotAllowed",
    "GetDataResult",
    "SessionHandler",
    "StreamFileResult",
    "UnsafeArgumentError",
]
