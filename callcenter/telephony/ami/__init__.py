"""Asterisk Manager Interface: a sans-I/O codec and an asyncio client on top of it."""

from callcenter.telephony.ami.codec import AmiDecoder, AmiFrameError, AmiMessage, encode_action, encode_message

__all__ = ["AmiDecoder", "AmiFrameError", "AmiMessage", "encode_action", "encode_message"]
