"""Asterisk Manager Interface: a sans-I/O codec and an asyncio client on top of it.

Typical use (the composition root plugs a consumer and a resync hook in)::

    async def consume(event: AmiMessage) -> None:      # every event, in order, tagged event.server
        ...

    async def resync(client: AmiClient) -> None:       # after every (re)connect and login
        channels = await client.action("CoreShowChannels")   # list: .events until EventList: Complete
        ...

    servers = AmiServers.from_settings(settings.ami_servers, consumer=consume, on_connect=resync)
    await servers.start()                              # each server connects and reconnects on its own
    reply = await servers["pbx1"].action("QueuePause", {"Interface": "Local/agent1001@agents/n", "Paused": "true"})
    await servers.close()

Errors: AmiActionError (Asterisk said ``Response: Error``; ``.action``, ``.message``), AmiTimeoutError,
AmiConnectionError, AmiAuthenticationError; all are AmiError.
"""

from callcenter.telephony.ami.actions import AmiResponse
from callcenter.telephony.ami.boot import AmiBoot
from callcenter.telephony.ami.client import AmiClient, ConnectHook
from callcenter.telephony.ami.codec import AmiDecoder, AmiFrameError, AmiMessage, encode_action, encode_message
from callcenter.telephony.ami.delivery import EventConsumer
from callcenter.telephony.ami.errors import (
    AmiActionError,
    AmiAuthenticationError,
    AmiConnectionError,
    AmiError,
    AmiTimeoutError,
)
from callcenter.telephony.ami.servers import AmiServers

__all__ = [
    "AmiActionError",
    "AmiAuthenticationError",
    "AmiBoot",
    "AmiClient",
    "AmiConnectionError",
    "AmiDecoder",
    "AmiError",
    "AmiFrameError",
    "AmiMessage",
    "AmiResponse",
    "AmiServers",
    "AmiTimeoutError",
    "ConnectHook",
    "EventConsumer",
    "encode_action",
    "encode_message",
]
