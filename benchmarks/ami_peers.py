"""The peers of benchmarks/ami_parse.py: panoramisk's and pyst2's AMI parsers, driven from bytes.

Their code is loaded from the installed packages and run unmodified; only the surroundings they expect
(a manager object, a transport, a socket file) are stood in for.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import multiprocessing
import socket
import sys
import threading
import time
import types


def load_panoramisk() -> types.ModuleType | None:
    """panoramisk's ``ami_protocol`` module without running the package ``__init__``.

    The package ``__init__`` imports the whole library (manager, call_manager, fast_agi); older releases
    fail there on Python 3.11 (``asyncio.coroutine`` is gone) and none of it is the parser. So an empty
    package module is put in its place and only ``ami_protocol`` (with the ``message``, ``actions`` and
    ``utils`` modules it imports) is loaded from the installed files: the parser runs unmodified.
    """
    spec = importlib.util.find_spec("panoramisk")
    if spec is None or spec.submodule_search_locations is None:
        return None
    package = types.ModuleType("panoramisk")
    package.__path__ = list(spec.submodule_search_locations)
    saved = sys.modules.get("panoramisk")
    sys.modules["panoramisk"] = package
    try:
        return importlib.import_module("panoramisk.ami_protocol")
    finally:
        if saved is not None:
            sys.modules["panoramisk"] = saved


class _PanoramiskFactory:
    """Stands in for panoramisk's Manager: counts what its protocol dispatches."""

    forgetable_actions: tuple[str, ...] = ()
    awaiting_actions: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.count = 0

    def dispatch(self, message: object) -> None:
        self.count += 1

    def connection_lost(self, exc: object) -> None:
        pass  # a Shutdown event in the stream makes panoramisk call this


class _NullTransport:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def panoramisk(module: types.ModuleType, chunks: list[bytes]) -> int:
    """panoramisk's own ``AMIProtocol.data_received`` fed the 64 KiB pieces."""
    protocol = module.AMIProtocol()
    protocol.connection_made(_NullTransport())
    factory = _PanoramiskFactory()
    protocol.factory = factory
    protocol.version = "11.0.0"  # banner already consumed
    for chunk in chunks:
        protocol.data_received(chunk)
        protocol.closed = False  # a Shutdown in the stream "closes" it; keep parsing like a new connection
    return factory.count + len(protocol.responses)


def pyst2(stream: bytes) -> int:
    """pyst2's own reader and parser: ``Manager._receive_data`` over an in-memory file, then the
    ``ManagerMsg``/``Event`` construction its ``message_loop`` thread does, without the threads.

    Its reader iterates the socket file line by line (over TCP it uses an unbuffered file and so makes
    one ``recv`` per byte); here the file is a BytesIO, which only makes pyst2 faster than it is live.
    """
    from asterisk import manager as pyst2_manager

    client = pyst2_manager.Manager()
    client.title = "Asterisk Call Manager"  # banner already consumed
    client._sock = io.BytesIO(stream)
    client._connected.set()
    client._running.set()
    client._receive_data()  # reads to EOF, queues one list of lines per message, then None
    queue = client._message_queue
    count = 0
    while (lines := queue.get_nowait()) is not None:
        message = pyst2_manager.ManagerMsg(lines)
        if message.has_header("Event"):
            pyst2_manager.Event(message)
        count += 1
    client._running.clear()  # its threads never started; otherwise __del__ tries to join them
    return count


def _stream_sender(port_queue: multiprocessing.Queue, data: bytes) -> None:
    """Banner, then ``data`` as fast as the reader takes it, then close (in its own process)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port_queue.put(listener.getsockname()[1])
    conn, _ = listener.accept()
    conn.sendall(b"Asterisk Call Manager/11.0.0\r\n" + data)
    conn.shutdown(socket.SHUT_WR)
    conn.recv(1)  # until the reader hangs up
    conn.close()
    listener.close()


def pyst2_live(events: list[bytes]) -> float:
    """Events/s through pyst2's real ``Manager`` over TCP (its threads, its one-byte reads)."""
    from asterisk import manager as pyst2_manager

    ports: multiprocessing.Queue = multiprocessing.Queue()
    sender = multiprocessing.Process(target=_stream_sender, args=(ports, b"".join(events)), daemon=True)
    sender.start()
    port = ports.get(timeout=10)
    done = threading.Event()
    count = 0

    def on_event(event: object, client: object) -> None:
        nonlocal count
        count += 1
        if count == len(events):
            done.set()

    client = pyst2_manager.Manager()
    client.register_event("*", on_event)
    started = time.perf_counter()
    client.connect("127.0.0.1", port)
    done.wait(timeout=120)
    elapsed = time.perf_counter() - started
    client._connected.clear()  # let its threads end without sending Logoff to a closed peer
    client._running.clear()
    sender.join(timeout=5)
    return count / elapsed
