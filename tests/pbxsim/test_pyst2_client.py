"""pyst2's `asterisk.manager.Manager` (a client we did not write, thread-based) works against the simulator."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from asterisk.manager import Manager

from callcenter.pbxsim.clock import accelerated
from callcenter.pbxsim.simulator import PbxSimulator


def pyst2_session(port: int) -> dict[str, object]:
    """Log in, Ping, QueueStatus, Originate a call and collect events until the call has ended."""
    events: list[object] = []
    ended = threading.Event()

    def on_event(event: object, manager: Manager) -> None:
        events.append(event)
        if event.name == "Hangup" and event.get_header("Channel", "").endswith(";1"):
            ended.set()

    manager = Manager()
    manager.connect("127.0.0.1", port)
    manager.register_event("*", on_event)
    try:
        login = manager.login("callcenter", "lab-secret")
        pong = manager.ping()
        status = manager.send_action({"Action": "QueueStatus", "Queue": "support"})
        originate = manager.originate(
            "Local/s@customer", "s", context="ivr-in", priority="1", caller_id="Peter <+15551230077>",
            run_async=True, variables={"CHOICE": "1", "ACCOUNT": "2468", "HOLD": "4"},
        )  # fmt: skip
        finished = ended.wait(20)
        time.sleep(0.05)
    except BaseException as exc:
        raise AssertionError(f"pyst2 failed: {exc!r}; events so far: {[e.name for e in events][-8:]}") from exc
    finally:
        if manager.connected():
            manager.close()
    return {"login": login, "pong": pong, "status": status, "originate": originate, "events": events, "ended": finished}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pyst2 uses threading's old camelCase API
async def test_pyst2_manager_talks_to_the_simulator() -> None:
    # wall-clock time (sped up): pyst2 runs in its own threads, outside the event loop a virtual clock watches
    sim = PbxSimulator(clock=accelerated(20.0))
    await sim.start()
    try:
        result = await asyncio.to_thread(pyst2_session, sim.ami_port)
    finally:
        await sim.stop()
    assert result["login"].get_header("Message") == "Authentication accepted"
    assert result["pong"].get_header("Ping") == "Pong"
    # pyst2 folds a "... status will follow" reply and its items into one message, up to StatusComplete
    status_lines = result["status"].response
    assert status_lines[0] == "Response: Success\r\n"
    assert status_lines.count("Event: QueueMember\r\n") == 3
    assert "Event: QueueStatusComplete\r\n" in status_lines
    assert result["originate"].get_header("Message") == "Originate successfully queued"
    assert result["ended"] is True
    names = [event.name for event in result["events"]]
    assert "FullyBooted" in names
    for expected in ("QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete"):
        assert expected in names
    connect = next(e for e in result["events"] if e.name == "AgentConnect")
    assert connect.get_header("Queue") == "support" and connect.get_header("MemberName") == "Agent 1001"
