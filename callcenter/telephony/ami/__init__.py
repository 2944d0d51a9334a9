"""Asterisk Manager Interface: a sans-I/O codec and an asyncio client on top of it."""

from callcenter.telephony.ami.actions import AmiResponse
from callcenter.telephony.ami.client import AmiBoot, AmiClient
from callcenter.telephony.ami.codec import AmiDecoder, AmiFrameError, AmiMessage, encode_action, encode_message
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
    "encode_action",
    "encode_message",
]
