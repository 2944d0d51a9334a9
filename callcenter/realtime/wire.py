"""Stream names and the JSON text of hub messages, built once per publish and shared by every connection.

A stream message is ``{"seq": N, "type": T, "stream": S, "data": D}`` with ``seq`` first, so the
backplanes can splice the sequence number in front of a pre-serialised tail (``,"type":...}``) and
read it back without parsing the whole document.
"""

from __future__ import annotations

import json
import time
from typing import Any

SUPERVISORS = "supervisors"
_AGENT_PREFIX = "agent:"


def agent_stream(user_id: int) -> str:
    """The stream of one user's own calls and state."""
    return f"{_AGENT_PREFIX}{user_id}"


def stream_kind(stream: str) -> str:
    """``agent`` for ``agent:<id>``, the name itself for the others (``supervisors``)."""
    return stream.split(":", 1)[0]


def seq_origin() -> int:
    """Where a new stream's seq starts: the clock in microseconds.

    A restarted hub (or a flushed Redis) thus starts above any seq a client may still hold, so a
    client resuming across the restart is sent a snapshot instead of a stranger's replay.
    """
    return time.time_ns() // 1000


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def message_tail(stream: str, type_: str, data_json: str) -> str:
    """Everything of a stream message after its seq: ``,"type":...,"stream":...,"data":...}``."""
    return f',"type":{dumps(type_)},"stream":{dumps(stream)},"data":{data_json}}}'


def with_seq(seq: int, tail: str) -> str:
    return f'{{"seq":{seq}{tail}'


def seq_of(text: str) -> int:
    """The seq of a stream message built by :func:`with_seq`."""
    return int(text[7 : text.index(",", 7)])


def control(type_: str, stream: str, seq: int, data: Any = None) -> str:
    """A message outside the replayed sequence (``snapshot``, ``ping``, ``error``): it repeats ``seq``."""
    return with_seq(seq, message_tail(stream, type_, dumps(data)))
