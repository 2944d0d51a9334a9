"""Live updates to browsers over websockets: the hub, its streams, resume by seq, backplanes.

Protocol (server to client, JSON text frames)::

    {"seq": 1763900000000042, "type": "call.ringing", "stream": "agent:7", "data": {...}}

- ``stream``: ``agent:<user id>`` on ``/ws/agent`` (that user's calls and state only) or ``supervisors``
  on ``/ws/supervisor`` (queue and agent updates; supervisors and admins).
- ``seq``: per stream, increasing by one per message, the same on every instance. It starts at the
  stream's creation time in microseconds (a safe integer in JavaScript), so seqs from before a restart
  are never reused.
- The first message of a connection is either a ``snapshot`` (``data`` = the whole state from the
  stream's snapshot provider, ``seq`` = the stream's seq it reflects) or, when the client resumed with
  ``?since=N`` and N is still in the replay buffer, the messages N+1, N+2, ... it missed. Beyond the
  buffer (or without ``since``) it is a snapshot. Live messages follow with no gap and no duplicate.
- Control messages repeat the connection's last seq and are not replayed: ``snapshot``,
  ``{"type": "ping"}`` every ``heartbeat_interval`` seconds, ``{"type": "error", "data": {"message"}}``.

Client to server: ``{"type": "pong"}`` in answer to each ping (any frame counts as a sign of life).
A client silent for ``heartbeat_timeout`` seconds is closed with 4002; one whose send queue reaches
``send_queue_limit`` messages is closed with 4008; 4009 asks for a reconnect with the last seq; 1001
means the service is restarting. A client reconnects with ``?since=<last seq it received>``; a client
that sees no ping for two intervals should assume the connection dead and reconnect.

Modules: :mod:`.wire` (message text, stream names), :mod:`.hub` (routing, resume, heartbeats; the API
for publishers and snapshot providers), :mod:`.connection` (send queue, close codes),
:mod:`.backplane` and :mod:`.redis_backplane` (seq, replay buffer, fan-out), :mod:`.routes` (endpoints).
"""

from __future__ import annotations

from callcenter.config import Settings
from callcenter.realtime.backplane import Backplane, InProcessBackplane
from callcenter.realtime.hub import Hub
from callcenter.realtime.wire import SUPERVISORS, agent_stream


def create_hub(settings: Settings) -> Hub:
    """The hub on the backplane the settings name (Redis when ``backplane`` is set, in-process otherwise)."""
    options = settings.realtime
    backplane: Backplane
    if settings.backplane:
        from callcenter.realtime.redis_backplane import RedisBackplane

        backplane = RedisBackplane(
            settings.backplane, buffer_size=options.replay_buffer, max_age=options.replay_max_age
        )
    else:
        backplane = InProcessBackplane(buffer_size=options.replay_buffer, max_age=options.replay_max_age)
    return Hub(
        backplane,
        send_queue_limit=options.send_queue_limit,
        heartbeat_interval=options.heartbeat_interval,
        heartbeat_timeout=options.heartbeat_timeout,
        close_timeout=options.close_timeout,
    )


__all__ = ["SUPERVISORS", "Hub", "agent_stream", "create_hub"]
