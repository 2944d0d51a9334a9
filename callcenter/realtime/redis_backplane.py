"""The Redis backplane (``CALLCENTER_BACKPLANE=redis://host:port/db``): streams shared by several instances.

Who assigns seq: Redis, at the publishing side. One Lua script (atomic in Redis) increments the
stream's counter, splices the seq into the message, appends it to the stream's capped replay list
and PUBLISHes it on the stream's channel. Because scripts run one at a time, the order of the
PUBLISHes is the order of the seqs, and every instance (pattern-subscribed to all streams) receives
each stream's messages in seq order. The replay list lives in Redis too, so a client resuming with
its seq is served the same way whichever instance it lands on: the history script returns the last
seq and the messages after the client's one, or says the client is beyond the list (snapshot).

A new counter starts at the Redis server clock in microseconds (see :func:`wire.seq_origin`), so a
flushed or expired counter never hands out a seq a client already holds. A counter expires after
``ttl_seconds`` without a publish, a replay list after ``max_age`` seconds (a quiet stream's list goes).

When the subscriber connection drops, the listener logs it, reconnects with a growing delay and,
once subscribed again, asks the hub to replay what its clients missed meanwhile from the lists.
Publishes from one instance go out through one sender, pipelined, in the order ``publish`` was called.
Publishing while Redis is unreachable raises ``redis.ConnectionError`` to the publisher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import deque
from collections.abc import Callable

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from callcenter.realtime.backplane import Deliver, History
from callcenter.realtime.wire import seq_of

log = logging.getLogger(__name__)

# KEYS: counter, list. ARGV: tail, buffer size, counter ttl, channel, list ttl.
_PUBLISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[1], t[1] .. string.rep('0', 6 - #t[2]) .. t[2])
end
redis.call('INCR', KEYS[1])
local seq = redis.call('GET', KEYS[1])
local text = '{"seq":' .. seq .. ARGV[1]
redis.call('RPUSH', KEYS[2], text)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[4], text)
return seq
"""

# KEYS: counter, list. ARGV: the client's seq ('' for none), ttl. Returns {last, found, messages...}.
_HISTORY = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[1], t[1] .. string.rep('0', 6 - #t[2]) .. t[2], 'EX', ARGV[2])
end
local last = redis.call('GET', KEYS[1])
if ARGV[1] == '' then return {last, 0} end
local missing = tonumber(last) - tonumber(ARGV[1])
if missing < 0 or missing > redis.call('LLEN', KEYS[2]) then return {last, 0} end
local out = {last, 1}
if missing > 0 then
  for _, text in ipairs(redis.call('LRANGE', KEYS[2], -missing, -1)) do table.insert(out, text) end
end
return out
"""


class RedisBackplane:
    """Seq, replay buffer and fan-out of every stream in Redis; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        buffer_size: int,
        max_age: int,
        prefix: str = "callcenter:hub",
        ttl_seconds: int = 7 * 24 * 3600,
        reconnect_max_delay: float = 5.0,
        max_connections: int = 16,
    ) -> None:
        self.url = url
        self.buffer_size = buffer_size
        self.max_age = max_age
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.reconnect_max_delay = reconnect_max_delay
        # Named so that an operator can tell the instances apart in CLIENT LIST. Many clients resuming at
        # once wait for one of ``max_connections`` connections instead of failing.
        name = f"callcenter-hub:{socket.gethostname()}:{os.getpid()}"
        pool = redis.BlockingConnectionPool.from_url(
            url, decode_responses=True, client_name=name, max_connections=max_connections, timeout=10
        )
        self._redis = redis.Redis(connection_pool=pool)
        self._publish = self._redis.register_script(_PUBLISH)
        self._history = self._redis.register_script(_HISTORY)
        self._channel_prefix = f"{prefix}:msg:"
        self._listener: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._outbox: deque[tuple[str, str, asyncio.Future[int]]] = deque()
        self._outbox_ready = asyncio.Event()

    def _keys(self, stream: str) -> list[str]:
        return [f"{self.prefix}:seq:{stream}", f"{self.prefix}:buf:{stream}"]

    async def start(self, deliver: Deliver, on_resync: Callable[[], None]) -> None:
        """Subscribe to every stream; fails with a clear error when Redis is unreachable at startup."""
        pubsub = self._redis.pubsub()
        try:
            await pubsub.psubscribe(f"{self._channel_prefix}*")
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            await pubsub.aclose()
            raise RuntimeError(f"the Redis backplane at {self.url} is unreachable: {exc}") from exc
        loop = asyncio.get_running_loop()
        self._listener = loop.create_task(self._listen(pubsub, deliver, on_resync))
        self._sender = loop.create_task(self._send())

    async def stop(self) -> None:
        tasks = [t for t in (self._listener, self._sender) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        while self._outbox:
            self._outbox.popleft()[2].cancel()
        await self._redis.aclose(close_connection_pool=True)

    async def publish(self, stream: str, tail: str) -> int:
        """Queue the message for the sender, which keeps the order of the calls on this instance."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._outbox.append((stream, tail, future))
        self._outbox_ready.set()
        return await future

    async def _send(self) -> None:
        """Send queued publishes in call order, pipelined in batches on one connection."""
        outbox = self._outbox
        while True:
            while not outbox:
                self._outbox_ready.clear()
                await self._outbox_ready.wait()
            batch = [outbox.popleft() for _ in range(min(len(outbox), 256))]
            pipe = self._redis.pipeline(transaction=False)
            for stream, tail, _ in batch:
                args = [tail, self.buffer_size, self.ttl_seconds, self._channel_prefix + stream, self.max_age]
                await self._publish(keys=self._keys(stream), args=args, client=pipe)
            try:
                results = await pipe.execute(raise_on_error=False)
            except Exception as exc:
                results = [exc] * len(batch)
            for (_, _, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(int(result))

    async def history(self, stream: str, after: int | None) -> History:
        reply = await self._history(keys=self._keys(stream), args=["" if after is None else after, self.ttl_seconds])
        last, found = int(reply[0]), int(reply[1])
        return History(last, list(reply[2:]) if found else None)

    async def _listen(self, pubsub: redis.client.PubSub, deliver: Deliver, on_resync: Callable[[], None]) -> None:
        skip = len(self._channel_prefix)
        delay, subscribed_once = 0.1, False
        while True:
            try:
                async for message in pubsub.listen():
                    kind = message["type"]
                    if kind == "pmessage":
                        text = message["data"]
                        deliver(message["channel"][skip:], seq_of(text), text)
                    elif kind == "psubscribe":
                        # redis-py resubscribes by itself after a reconnect: a second confirmation means a gap.
                        if subscribed_once:
                            log.warning("backplane: resubscribed to Redis at %s; replaying missed messages", self.url)
                            on_resync()
                        subscribed_once, delay = True, 0.1
                raise RedisConnectionError("not subscribed")
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("backplane: lost Redis at %s (%s); reconnecting in %.1fs", self.url, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.reconnect_max_delay)
                await pubsub.aclose()
                pubsub = self._redis.pubsub()
                with contextlib.suppress(RedisConnectionError, RedisTimeoutError, OSError):
                    await pubsub.psubscribe(f"{self._channel_prefix}*")
            except Exception:
                log.exception("backplane: bad message from Redis; ignored")
