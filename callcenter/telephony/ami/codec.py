"""Sans-I/O codec for the Asterisk Manager Interface (bytes in, messages out; headers in, bytes out).

Wire format, as a real Asterisk 22 sends it:

* On connect the server sends one banner line (``Asterisk Call Manager/11.0.0\\r\\n``) with no empty
  line after it.
* Then every message is a block of ``Key: Value\\r\\n`` lines ended by an empty line. Header names may
  repeat (``Variable:``, ``Output:``) and values may contain ``: `` (an ActionID is echoed verbatim).
* ``OriginateResponse`` is an event that also carries ``Response:``, so a message is classified by
  ``Event`` first, then ``Response``, then ``Action``.

Speed matters (Asterisk drops a manager client that falls behind), so the decoder works on whole
blocks: it finds the last complete frame with one ``rfind``, decodes everything before it once, splits
frames with one ``str.split`` and headers with ``str.partition`` (no regular expressions). Frames are
complete before they are decoded, so a multi-byte character split across two reads decodes correctly.
Values are decoded with ``errors="surrogateescape"``: bytes that are not UTF-8 survive and
``value.encode("utf-8", "surrogateescape")`` gives them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import repeat

__all__ = ["AmiDecoder", "AmiFrameError", "AmiMessage", "encode_action", "encode_message"]

_TERMINATOR = b"\r\n\r\n"
_EVENT_PREFIX = "Event: "
_SEPARATORS = repeat(": ")


class AmiMessage:
    """One AMI message: headers in wire order, classified as event, response or action."""

    __slots__ = ("_index", "headers", "kind", "name", "server")

    def __init__(self, headers: list[tuple[str, str]], kind: str, name: str, server: str | None = None) -> None:
        self.headers = headers
        self.kind = kind
        self.name = name
        self.server = server
        self._index: dict[str, str] | None = None

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, str]], server: str | None = None) -> AmiMessage:
        """Build a message from headers, classifying it the way the decoder does."""
        headers = list(headers)
        kind, name = _classify(headers)
        return cls(headers, kind, name, server)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of header ``key`` (case-insensitive), or ``default``."""
        index = self._index
        if index is None:
            # Built once, on first use: most consumers read several headers of the messages they keep.
            index = self._index = {k.lower(): v for k, v in reversed(self.headers)}
        return index.get(key.lower(), default)

    def get_all(self, key: str) -> list[str]:
        """Every value of header ``key`` (case-insensitive), in wire order."""
        key = key.lower()
        return [v for k, v in self.headers if k.lower() == key]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    @property
    def action_id(self) -> str | None:
        """The ``ActionID`` header, exactly as sent, or None."""
        return self.get("ActionID")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AmiMessage):
            return NotImplemented
        return (self.kind, self.name, self.server, self.headers) == (
            other.kind,
            other.name,
            other.server,
            other.headers,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: headers may be edited by a consumer

    def __repr__(self) -> str:
        server = f" server={self.server!r}" if self.server is not None else ""
        return f"<AmiMessage {self.kind} {self.name!r}{server} headers={len(self.headers)}>"


class AmiFrameError:
    """A frame the decoder rejected; the stream continues after it."""

    __slots__ = ("reason", "size")

    def __init__(self, reason: str, size: int) -> None:
        self.reason = reason
        self.size = size

    def __repr__(self) -> str:
        return f"<AmiFrameError {self.reason!r} size={self.size}>"


def _classify(headers: list[tuple[str, str]]) -> tuple[str, str]:
    """(kind, name) by Event first, then Response, then Action; header names are case-insensitive."""
    if headers and headers[0][0] == "Event":
        return "event", headers[0][1]
    response = action = None
    for key, value in headers:
        lowered = key.lower()
        if lowered == "event":
            return "event", value
        if lowered == "response":
            if response is None:
                response = value
        elif lowered == "action" and action is None:
            action = value
    if response is not None:
        return "response", response
    # A frame with none of the three can only come from a client; Asterisk answers it
    # "Missing action in request", so it is kept as a nameless action rather than dropped.
    return "action", action if action is not None else ""


def _loose_header(line: str) -> tuple[str, str]:
    """A line without ``": "``: split at the first colon (one space after it is optional)."""
    key, _, value = line.partition(":")
    return key, value[1:] if value[:1] == " " else value


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
        # Bytes already thrown away of an oversize frame whose end has not arrived yet (0: not discarding).
        self._discarded = 0

    def feed(self, data: bytes) -> list[AmiMessage]:
        """Consume ``data``; return the messages completed by it, in order."""
        pending = self._buf
        buf = pending + data if pending else bytes(data)
        if data.count(b"\n") != data.count(b"\r\n"):
            # Lone LFs: rewrite every line ending as CRLF (on the joined buffer, so a CRLF split between
            # two reads is not mistaken for a lone LF), then everything below sees one framing.
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
        for frame in frames:
            if only is not None and frame.startswith(_EVENT_PREFIX):
                # Early filter: read the event name off the first line and skip the frame unsplit.
                eol = frame.find("\r\n")
                if (frame[7:eol] if eol >= 0 else frame[7:]) not in only:
                    continue
            headers = _split_headers(frame)
            first_key, first_value = headers[0]
            if first_key == "Event":
                # The common case (Asterisk writes Event first) skips the general classification.
                append(AmiMessage(headers, "event", first_value))
                continue
            message = self._parse_other(frame, headers)
            if message is not None:
                append(message)
        return messages

    def _parse_other(self, frame: str, headers: list[tuple[str, str]]) -> AmiMessage | None:
        """A frame that does not start with ``Event:``: blank lines, garbage, responses, actions."""
        if frame[:1] in ("\r", "\n", ""):
            # Extra empty lines between messages are not an error.
            frame = frame.lstrip("\r\n")
            if not frame:
                return None
            headers = _split_headers(frame)
        if ":" not in frame:
            self.errors.append(AmiFrameError("no header line", len(frame.encode("utf-8", "surrogateescape"))))
            return None
        kind, name = _classify(headers)
        if kind == "event" and self._only is not None and name not in self._only:
            return None
        return AmiMessage(headers, kind, name)


def _split_headers(frame: str) -> list[tuple[str, str]]:
    """Split a decoded frame into (name, value) pairs at the first ``": "`` of each line."""
    return [
        (key, value) if sep else _loose_header(key)
        for key, sep, value in map(str.partition, frame.split("\r\n"), _SEPARATORS)
    ]


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
