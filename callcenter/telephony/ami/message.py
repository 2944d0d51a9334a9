"""One AMI message, with its headers split only when someone asks for them.

An event read off the wire keeps its decoded frame text; ``get`` finds a header with ``str.find`` on
that text (no split, no list of tuples), and ``headers`` splits the whole frame on first access and
caches it. A consumer that looks at the name and a handful of headers of each event (the usual case)
so never pays for the twenty-odd header pairs it does not read. The result is the same either way:
``get`` answers exactly what a search of ``headers`` would.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat

_SEPARATORS = repeat(": ")


class AmiMessage:
    """One AMI message: headers in wire order, classified as event, response or action.

    Treat a message as read-only once it has been handed on (lookups are cached).
    """

    __slots__ = ("_headers", "_index", "_lower", "_text", "kind", "name", "server")

    def __init__(self, headers: list[tuple[str, str]], kind: str, name: str, server: str | None = None) -> None:
        self._headers: list[tuple[str, str]] | None = headers
        self._text: str | None = None
        self._lower: str | None = None
        self._index: dict[str, str] | None = None
        self.kind = kind
        self.name = name
        self.server = server

    @classmethod
    def from_frame(cls, text: str, kind: str, name: str) -> AmiMessage:
        """A message over one decoded frame (lines joined by CRLF, no final empty line); split lazily."""
        message = cls.__new__(cls)
        message._headers = None
        message._text = text
        message._lower = None
        message._index = None
        message.kind = kind
        message.name = name
        message.server = None
        return message

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, str]], server: str | None = None) -> AmiMessage:
        """Build a message from headers, classifying it the way the decoder does."""
        headers = list(headers)
        kind, name = classify(headers)
        return cls(headers, kind, name, server)

    @property
    def headers(self) -> list[tuple[str, str]]:
        """(name, value) pairs in wire order, names as sent, repeated names kept."""
        headers = self._headers
        if headers is None:
            assert self._text is not None
            headers = self._headers = split_headers(self._text)
            # From now on lookups go through the list, which a consumer might edit.
            self._text = self._lower = None
        return headers

    @headers.setter
    def headers(self, headers: list[tuple[str, str]]) -> None:
        self._headers = headers
        self._text = self._lower = None
        self._index = None

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of header ``key`` (case-insensitive), or ``default``."""
        text = self._text
        if text is not None:
            lower = self._lower
            if lower is None:
                if not text.isascii():
                    # Lower-casing may move positions in non-ASCII text: split instead.
                    self.headers  # noqa: B018
                    return self._lookup(key, default)
                # A CRLF in front lets one search find the first line too (positions move by 2).
                lower = self._lower = "\r\n" + text.lower()
            needle = _NEEDLES.get(key) or _needle(key)
            if needle is not None:
                found = lower.find(needle)
                if found < 0:
                    return default
                start = found + len(needle) - 2
                if text[start : start + 1] == " ":
                    end = text.find("\r\n", start)
                    return text[start + 1 :] if end < 0 else text[start + 1 : end]
                # "Key:value" without the space is rare: the line splitter decides what it is.
        return self._lookup(key, default)

    def _lookup(self, key: str, default: str | None) -> str | None:
        index = self._index
        if index is None:
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

    __hash__ = None  # type: ignore[assignment]  # mutable: headers may be replaced

    def __repr__(self) -> str:
        server = f" server={self.server!r}" if self.server is not None else ""
        return f"<AmiMessage {self.kind} {self.name!r}{server}>"


_NEEDLES: dict[str, str] = {}


def _needle(key: str) -> str | None:
    """``key`` as it starts a line of the lower-cased frame (``"\\r\\nkey:"``); None if it cannot."""
    if not key or ":" in key or "\r" in key or "\n" in key:
        return None
    needle = "\r\n" + key.lower() + ":"
    if len(_NEEDLES) < 1024:  # header names come from code; the cap only guards against odd callers
        _NEEDLES[key] = needle
    return needle


def classify(headers: list[tuple[str, str]]) -> tuple[str, str]:
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


def split_headers(frame: str) -> list[tuple[str, str]]:
    """Split a decoded frame into (name, value) pairs at the first ``": "`` of each line."""
    return [
        (key, value) if sep else _loose_header(key)
        for key, sep, value in map(str.partition, frame.split("\r\n"), _SEPARATORS)
    ]


def _loose_header(line: str) -> tuple[str, str]:
    """A line without ``": "``: split at the first colon (one space after it is optional).

    A line with no colon at all is no header (Asterisk ignores it): it is kept, nameless, as ``("", line)``.
    """
    key, colon, value = line.partition(":")
    if not colon:
        return "", line
    return key, value[1:] if value[:1] == " " else value
