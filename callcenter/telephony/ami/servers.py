"""Several named Asterisk servers at once: one client each, one consumer for all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from callcenter.telephony.ami.client import AmiClient, ConnectHook, EventConsumer

if TYPE_CHECKING:
    from callcenter.config import AmiServerSettings


class AmiServers:
    """The AMI clients of every configured Asterisk; events reach the consumer tagged with ``server``."""

    def __init__(self, clients: Iterable[AmiClient]) -> None:
        self._clients: dict[str, AmiClient] = {}
        for client in clients:
            if client.name in self._clients:
                raise ValueError(f"two AMI servers are named {client.name!r}; names must be unique")
            self._clients[client.name] = client

    @classmethod
    def from_settings(
        cls,
        servers: Iterable[AmiServerSettings],
        *,
        consumer: EventConsumer | None = None,
        on_connect: ConnectHook | None = None,
        only_events: Iterable[str] | None = None,
    ) -> AmiServers:
        """One client per settings entry, all handing events to ``consumer``."""
        only = frozenset(only_events) if only_events is not None else None
        return cls(
            AmiClient.from_settings(s, consumer=consumer, on_connect=on_connect, only_events=only) for s in servers
        )

    def __getitem__(self, name: str) -> AmiClient:
        return self._clients[name]

    def __iter__(self) -> Iterator[AmiClient]:
        return iter(self._clients.values())

    def __len__(self) -> int:
        return len(self._clients)

    async def start(self) -> None:
        """Start every client; each connects and reconnects on its own."""
        for client in self._clients.values():
            await client.start()

    async def close(self) -> None:
        """Close every client."""
        await asyncio.gather(*(client.close() for client in self._clients.values()))
