"""Sans-I/O codec for the Asterisk Manager Interface (bytes in, messages out; headers in, bytes out).

Wire format, as a real Asterisk 22 sends it:

* On connect the server sends one banner line (``Asterisk Call Manager/11.0.0\\r\\n``) with no empty
  line after it.
* Then every message is a block of ``Key: Value\\r\\n`` lines ended by an empty line. Header names may
  repeat (``Variable:``, ``Output:``) and values may contain ``: `` (an ActionID is echoed verbatim).
* ``OriginateResponse`` is an event that also carries ``Response:``, so a message is classified by
  ``Event`` first, then ``Response``, then ``Action``.

Speed matters (Asterisk drops a manager client that falls behind), so the decoder works on whole
blocks: it finds the last complete frame with one ``rfind``, decodes everything before it once and splits
frames with one ``str.split`` (no regular expressions). An event's name is read off its first line and
its headers are split only when asked for (see ``message``); the early ``only_events`` filter drops
unwanted events before any message is built. Frames are complete before they are decoded, so a
multi-byte character split across two reads decodes correctly.
Values are decoded with ``errors="surrogateescape"``: bytes that are not UTF-8 survive and
``value.encode("utf-8", "surrogateescape")`` gives them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from callcenter.telephony.ami.message import AmiMessage, classify, split_headers

__all__ = ["AmiDecoder", "AmiFrameError", "AmiMessage", "encode_action", "encode_message"]

_TERMINATOR = b"\r\n\r\n"
_EVENT_PREFIX = "Event: "
# Pending bytes without a CRLF frame end beyond which a CRLF stream is checked for LF-only frames.
_LONE_LF_CHECK_BYTES = 8192


class AmiFrameError:
    """A frame the decoder rejected; the stream continues after it."""

    __slots__ = ("reason", "size")

    def __init__(self, reason: str, size: int) -> None:
        self.reason = reason
        self.size = size

    def __repr__(self) -> str:
        return f"<AmiFrameError {self.reason!r} size={self.size}>"


class AmiDecoder:
    """Incremental AMI decoder: feed it bytes as they arrive, get complete messages back."""

    def __init__(
        self,
        *,
        expect_banner: bool = True,
        max_frame_bytes: int = 1 << 20,
        only_events: frozenset[str] | None = None,
    ) -> None:
        self.banner: str | None = None
        self.errors: list[AmiFrameError] = []
        self._need_banner = expect_banner
        self._max = max_frame_bytes
        self._only = only_events
        self._buf = b""
        self._lone_lf: bool | None = None  # line endings are lone LFs (None: no line seen yet)
        # Bytes already thrown away of an oversize frame whose end has not arrived yet (0: not discarding).
        self._discarded = 0

    def feed(self, data: bytes) -> list[AmiMessage]:
        """Consume ``data``; return the messages completed by it, in order."""
        pending = self._buf
        buf = pending + data if pending else bytes(data)
        lone_lf = self._lone_lf
        if lone_lf is None:
            # The first line ending decides for the stream: scanning every read for lone LFs would cost
            # more than decoding it (a peer that switches later is caught below, when no frame ends).
            newline = buf.find(b"\n")
            if newline >= 0:
                lone_lf = self._lone_lf = newline == 0 or buf[newline - 1] != 0x0D
        if lone_lf:
            # Rewrite every line ending as CRLF, on the joined buffer so a CRLF split between two reads
            # stays one; everything below then sees one framing.
            buf = buf.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if self._need_banner:
            newline = buf.find(b"\n")
            if newline < 0:
                self._keep_partial(buf)
                return []
            self.banner = buf[:newline].rstrip(b"\r").decode("utf-8", "surrogateescape")
            self._need_banner = False
            buf = buf[newline + 1 :]
            pending = b""
        if self._discarded:
            end = buf.find(_TERMINATOR)
            if end < 0:
                self._keep_partial(buf)
                return []
            self.errors.append(AmiFrameError(self._too_large(), self._discarded + end))
            self._discarded = 0
            buf = buf[end + 4 :]
            pending = b""
        # Only the new bytes (plus 3 for a terminator split across reads) can complete a frame.
        if buf.find(_TERMINATOR, max(0, len(pending) - 3)) < 0:
            if not lone_lf and len(buf) > _LONE_LF_CHECK_BYTES and b"\n\n" in buf:
                # Frames ending in a lone LF after a CRLF start: treat the stream as LF from now on.
                self._lone_lf = True
                self._buf = b""
                return self.feed(buf)
            self._keep_partial(buf)
            return []
        end = buf.rfind(_TERMINATOR)
        self._keep_partial(buf[end + 4 :])
        if end <= self._max:
            return self._parse(buf[:end].decode("utf-8", "surrogateescape").split("\r\n\r\n"))
        return self._parse_checked(buf[:end])

    def _keep_partial(self, rest: bytes) -> None:
        """Keep an incomplete frame, or start discarding it once it is larger than the limit."""
        if not self._discarded and len(rest) <= self._max:
            self._buf = rest
            return
        if self._need_banner:
            self.errors.append(AmiFrameError("banner line too long", len(rest)))
            self._need_banner = False
        # Keep the last 3 bytes: they may start the terminator that ends the oversize frame.
        kept = rest[-3:]
        self._discarded += len(rest) - len(kept)
        self._buf = kept

    def _too_large(self) -> str:
        return f"frame larger than {self._max} bytes"

    def _parse_checked(self, block: bytes) -> list[AmiMessage]:
        """Slow path for a block longer than the limit: size-check each frame before decoding it."""
        frames = []
        for raw in block.split(_TERMINATOR):
            if len(raw.lstrip(b"\r\n")) > self._max:
                self.errors.append(AmiFrameError(self._too_large(), len(raw)))
            else:
                frames.append(raw.decode("utf-8", "surrogateescape"))
        return self._parse(frames)

    def _parse(self, frames: list[str]) -> list[AmiMessage]:
        messages: list[AmiMessage] = []
        append = messages.append
        only = self._only
        from_frame = AmiMessage.from_frame
        for frame in frames:
            if frame.startswith(_EVENT_PREFIX):
                # The common case (Asterisk writes Event first): the name is on the first line, the
                # headers are split only if the consumer asks for them.
                eol = frame.find("\r\n")
                name = frame[7:eol] if eol >= 0 else frame[7:]
                if only is None or name in only:
                    append(from_frame(frame, "event", name))
                continue
            message = self._parse_other(frame)
            if message is not None:
                append(message)
        return messages

    def _parse_other(self, frame: str) -> AmiMessage | None:
        """A frame that does not start with ``Event:``: responses, actions, blank lines, garbage."""
        if frame[:1] in ("\r", "\n", ""):
            # Extra empty lines between messages are not an error.
            frame = frame.lstrip("\r\n")
            if not frame:
                return None
            if frame.startswith(_EVENT_PREFIX):
                return next(iter(self._parse([frame])), None)
        if ":" not in frame:
            self.errors.append(AmiFrameError("no header line", len(frame.encode("utf-8", "surrogateescape"))))
            return None
        headers = split_headers(frame)
        kind, name = classify(headers)
        if kind == "event" and self._only is not None and name not in self._only:
            return None
        return AmiMessage(headers, kind, name)


def encode_message(headers: Iterable[tuple[str, str]]) -> bytes:
    """Encode headers as one AMI message; ValueError on CR/LF anywhere (header injection) or a bad name."""
    lines = []
    for key, value in headers:
        if not key or ":" in key or "\r" in key or "\n" in key or key != key.strip():
            raise ValueError(f"invalid AMI header name {key!r}")
        value = str(value)
        if "\r" in value or "\n" in value:
            raise ValueError(f"AMI header {key!r} has a CR or LF in its value; that would inject headers")
        lines.append(f"{key}: {value}\r\n")
    if not lines:
        raise ValueError("an AMI message needs at least one header")
    lines.append("\r\n")
    return "".join(lines).encode("utf-8", "surrogateescape")


def encode_action(
    action: str,
    fields: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    action_id: str | None = None,
) -> bytes:
    """Encode ``Action: action`` (+ ``ActionID``) and ``fields``; repeated names go in as pairs."""
    items = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
    headers = [("Action", action)]
    if action_id is not None:
        if any(key.lower() == "actionid" for key, _ in items):
            raise ValueError("ActionID given twice (argument and field)")
        headers.append(("ActionID", action_id))
    headers.extend(items)
    return encode_message(headers)
