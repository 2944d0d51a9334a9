"""Live ingest over real TCP: the simulated Asterisk's calls become exactly one contact each, also across a cut."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from sqlalchemy import select

from callcenter.contacts.call_recorder import CallRecorder
from callcenter.contacts.models import Contact
from callcenter.pbxsim.clock import accelerated
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.telephony.ami.client import AmiClient
from callcenter.wiring.call_ingest import INGEST_EVENTS, CallIngest, QueueLogFile

SPEED = 40.0


async def eventually(predicate: Callable[[], bool], within: float = 30.0) -> None:
    for _ in range(int(within / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


async def originate(client: AmiClient, name: str, number: str, **variables: str) -> None:
    fields = [
        ("Channel", "Local/s@customer"),
        ("Context", "ivr-in"),
        ("Exten", "s"),
        ("Priority", "1"),
        ("CallerID", f"{name} <{number}>"),
        ("Async", "true"),
    ]
    fields += [("Variable", f"{k}={v}") for k, v in variables.items()]
    await client.action("Originate", fields)


def listen(sim: PbxSimulator, ingest: CallIngest, *, reconnect: float, reconnect_max: float | None = None) -> AmiClient:
    """The service's AMI link to the simulator, feeding ``ingest``, retrying after ``reconnect`` seconds."""
    return AmiClient(
        "sim",
        "127.0.0.1",
        sim.ami_port,
        username="callcenter",
        secret="lab-secret",
        consumer=ingest.consume,
        on_connect=ingest.on_connect,
        only_events=INGEST_EVENTS,
        reconnect_min_delay=reconnect,
        reconnect_max_delay=reconnect_max or reconnect,
    )


async def test_calls_before_during_and_across_a_cut_are_each_one_contact(tmp_path, sessions) -> None:
    queue_log = tmp_path / "queue_log"
    sim = PbxSimulator(clock=accelerated(SPEED), queue_log_path=queue_log)
    await sim.start()
    ingest = CallIngest(
        CallRecorder(sessions),
        server="sim",
        queue_log=QueueLogFile(queue_log),
        clock=sim.pbx.clock.now,
        wrapup_seconds={"support": 5},
    )
    listener = listen(sim, ingest, reconnect=1.0)
    dialer = AmiClient(
        "dialer",
        "127.0.0.1",
        sim.ami_port,
        username="callcenter",
        secret="lab-secret",
        events="off",
        reconnect_min_delay=0.02,
        reconnect_max_delay=0.05,
    )
    try:
        await listener.start()
        await listener.wait_connected()
        listening = set(sim.ami.sessions)
        await dialer.start()
        await dialer.wait_connected()
        await originate(dialer, "Ann", "+15551110001", CHOICE="1", ACCOUNT="1111", HOLD="300", __TALK="6")
        await originate(dialer, "Ben", "+15551110002", CHOICE="3", ACCOUNT="", HOLD="30")
        await eventually(lambda: len(sim.pbx.finished) == 2 and ingest.recorded_total == 2)
        # Dan's call is up when the link dies and ends after it is back; Cy's call starts and ends unseen.
        await originate(dialer, "Dan", "+15551110004", CHOICE="2", ACCOUNT="4444", HOLD="300", __TALK="150")
        await eventually(
            lambda: any(c.truth.caller_name == "Dan" and c.truth.agent_name for c in sim.pbx.calls.values())
        )
        for session in listening:
            session.close(abort=True)
        await eventually(lambda: not listener.connected)
        await originate(dialer, "Cy", "+15551110003", CHOICE="1", ACCOUNT="3333", HOLD="300", __TALK="3")
        await eventually(lambda: len(sim.pbx.finished) == 4, within=60)
        await eventually(lambda: ingest.recorded_total == 4 and not ingest.tracker.calls)
    finally:
        await dialer.close()
        await listener.close()
        await sim.stop()

    truth = {t.caller_name: t for t in sim.pbx.finished}
    async with sessions() as session:
        contacts = list(await session.scalars(select(Contact)))
    assert len(contacts) == 4
    by_linkedid = {c.external_id.rsplit(":", 1)[1]: c for c in contacts}
    assert set(by_linkedid) == {t.linkedid for t in truth.values()}
    for name, t in truth.items():
        contact = by_linkedid[t.linkedid]
        assert contact.outcome == t.outcome, name
        assert contact.queue == t.queue and contact.agent_name == t.agent_name, name
        if t.queue is not None:
            assert abs(contact.wait_seconds - t.wait_seconds) <= 1, name
            assert abs(contact.talk_seconds - t.talk_seconds) <= 1, name
    assert by_linkedid[truth["Cy"].linkedid].reconstructed
    assert not by_linkedid[truth["Ann"].linkedid].reconstructed


async def test_asterisk_restart_mid_call_and_calls_after_it(tmp_path, sessions) -> None:
    queue_log = tmp_path / "queue_log"
    sim = PbxSimulator(clock=accelerated(SPEED), queue_log_path=queue_log)
    await sim.start()
    ingest = CallIngest(
        CallRecorder(sessions), server="sim", queue_log=QueueLogFile(queue_log), clock=sim.pbx.clock.now
    )
    listener = listen(sim, ingest, reconnect=0.1, reconnect_max=0.2)
    dialer = AmiClient(
        "dialer",
        "127.0.0.1",
        sim.ami_port,
        username="callcenter",
        secret="lab-secret",
        events="off",
        reconnect_min_delay=0.1,
        reconnect_max_delay=0.2,
    )
    try:
        await listener.start()
        await dialer.start()
        await listener.wait_connected()
        await dialer.wait_connected()
        await originate(dialer, "Eve", "+15551110005", CHOICE="1", ACCOUNT="5555", HOLD="300", __TALK="600")
        await eventually(lambda: any(c.truth.agent_name for c in sim.pbx.calls.values()))
        await sim.restart(downtime=0.2)
        await eventually(lambda: listener.connected and dialer.connected and listener.connections == 2)
        await originate(dialer, "Fay", "+15551110006", CHOICE="2", ACCOUNT="6666", HOLD="300", __TALK="4")
        await eventually(lambda: len(sim.pbx.finished) == 2)
        await eventually(lambda: ingest.recorded_total == 2 and not ingest.tracker.calls)
    finally:
        await dialer.close()
        await listener.close()
        await sim.stop()

    truth = {t.caller_name: t for t in sim.pbx.finished}
    async with sessions() as session:
        contacts = {c.address: c for c in await session.scalars(select(Contact))}
    assert set(contacts) == {"+15551110005", "+15551110006"}
    eve, fay = contacts["+15551110005"], contacts["+15551110006"]
    assert (eve.outcome, eve.hangup_by, eve.agent_name) == ("handled", "system", truth["Eve"].agent_name)
    assert (fay.outcome, fay.agent_name) == ("handled", truth["Fay"].agent_name)
    # Different boots: Uniqueid counters restarted, the keys still differ.
    assert eve.external_id.split(":")[1] != fay.external_id.split(":")[1]


async def test_busy_hour_with_random_cuts_gives_one_contact_per_queued_call(tmp_path, sessions) -> None:
    rng = random.Random(7)
    queue_log = tmp_path / "queue_log"
    sim = PbxSimulator(clock=accelerated(SPEED), queue_log_path=queue_log)
    await sim.start()
    ingest = CallIngest(
        CallRecorder(sessions), server="sim", queue_log=QueueLogFile(queue_log), clock=sim.pbx.clock.now
    )
    listener = listen(sim, ingest, reconnect=0.3)
    dialer = AmiClient("dialer", "127.0.0.1", sim.ami_port, username="callcenter", secret="lab-secret", events="off")
    calls = 40
    try:
        await dialer.start()
        await dialer.wait_connected()
        dialing = set(sim.ami.sessions)
        await listener.start()
        await listener.wait_connected()
        cuts = set(rng.sample(range(5, calls - 5), 3))
        for n in range(calls):
            kind = rng.choice(["handled", "handled", "handled", "impatient", "ivr"])
            choice = "3" if kind == "ivr" else rng.choice(["1", "2"])
            hold = "12" if kind == "impatient" else "600"
            await originate(
                dialer,
                f"C{n}",
                f"+1555333{n:04d}",
                CHOICE=choice,
                ACCOUNT=f"{n:04d}",
                HOLD=hold,
                __TALK=str(rng.randint(4, 25)),
            )
            await asyncio.sleep(rng.uniform(0.02, 0.12))
            if n in cuts:
                for session in set(sim.ami.sessions) - dialing:
                    session.close(abort=True)
        await eventually(lambda: len(sim.pbx.finished) == calls, within=120)
        await eventually(lambda: listener.connected and not ingest.tracker.calls, within=30)
        await asyncio.sleep(0.2)
    finally:
        await dialer.close()
        await listener.close()
        await sim.stop()

    async with sessions() as session:
        contacts = list(await session.scalars(select(Contact)))
    by_linkedid: dict[str, list[Contact]] = {}
    for contact in contacts:
        by_linkedid.setdefault(contact.external_id.rsplit(":", 1)[1], []).append(contact)
    assert all(len(found) == 1 for found in by_linkedid.values()), "a call became two contacts"
    for truth in sim.pbx.finished:
        if truth.queue is None and truth.linkedid not in by_linkedid:
            continue  # an IVR-only call that came and went unseen leaves no Asterisk record to rebuild it from
        (contact,) = by_linkedid[truth.linkedid]
        assert contact.outcome == truth.outcome, truth
        assert contact.queue == truth.queue and contact.agent_name == truth.agent_name, truth
        if truth.queue is not None:
            assert abs(contact.wait_seconds - truth.wait_seconds) <= 1.5, truth
    assert sum(t.queue is not None for t in sim.pbx.finished) >= 20
