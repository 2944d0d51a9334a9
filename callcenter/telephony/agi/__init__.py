"""FastAGI server: sans-I/O protocol, typed session commands, asyncio listener (no domain imports).

Usage::

    async def main_menu(session: AgiSession) -> None:
        await session.answer()
        key = (await session.stream_file("vm-options", "123")).digit
        account = await session.get_data("agent-pass", 5000, 4)
        await session.set_variable("IVR_ACCOUNT", account.digits)

    server = AgiServer({"main-menu": main_menu}, host="0.0.0.0", port=4573, limits=settings.agi.limits)
    await server.start()  # Asterisk: AGI(agi://this-host:4573/main-menu)

A caller who hangs up makes the next channel command raise :class:`AgiHangup`; the server then
half-closes the connection as Asterisk expects.
"""

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
