"""KPIs of scripted simulator traffic equal the figures computed by hand from the script."""

from __future__ import annotations

import asyncio

from callcenter.calls.events import CallQueued
from callcenter.metrics import MetricsRules, QueueRules
from callcenter.metrics.definitions import Interval
from callcenter.metrics.reports import StoredCall, StoredEvent, build_report
from callcenter.pbxsim.truth import CallSpec
from tests.metrics.simulated import SimulatedCentre

A1001, A1002, A1003 = (f"Local/agent{n}@agents/n" for n in (1001, 1002, 1003))
RULES = MetricsRules(queues={"support": QueueRules(service_level_seconds=20, short_abandon_seconds=5)})


def caller(n: int, choice: str = "1", **behaviour) -> CallSpec:
    # choice 1 = support, 2 = sales in the lab IVR; hold 300 = the caller stays until the agent hangs up.
    return CallSpec(caller_num=f"+1555000000{n}", caller_name=f"Caller {n}", choice=choice, hold=300, **behaviour)


async def test_four_calls_in_support_give_the_hand_computed_kpis() -> None:
    centre = SimulatedCentre(RULES, wrapup={"support": 5})
    pbx = centre.pbx
    try:
        # Only Agent 1001 takes calls: 1002 and 1003 are at lunch.
        pbx.pause(A1002, "support", True, "lunch")
        pbx.pause(A1003, "support", True, "lunch")
        # A: rung 2 s, answered (wait 2), the agent talks 10 s.
        await centre.call(caller(1, talk=10))
        await centre.sleep(6)  # past the 5 s wrap-up
        centre.tick()
        pbx.pause(A1001, "support", True, "meeting")
        # B: nobody free, hangs up after 3 s in queue (a short abandon).
        await centre.call(caller(2, patience=3))
        # C: nobody free, hangs up after 8 s.
        await centre.call(caller(3, patience=8))
        # D: nobody free for ~24.9 s, then Agent 1001 is back; setup 0.1 s + 2 s ringing: answered after
        # 27 s (Asterisk rounds the wait to whole seconds), 6 s talk.
        queued = sum(1 for e in centre.events if isinstance(e, CallQueued))
        pbx.originate(caller(4, talk=6))
        await centre.until(lambda: sum(1 for e in centre.events if isinstance(e, CallQueued)) > queued)
        await centre.sleep(24.6)
        waiting = centre.queue("support")
        pbx.pause(A1001, "support", False)
        await centre.until(lambda: len(pbx.finished) == 4)
        await centre.sleep(6)
        centre.tick()
    finally:
        await centre.close()

    # While D waited: one caller waiting for about 24.6 s, no agent ready (three paused: lunch x2, meeting).
    assert waiting["calls_waiting"] == 1
    assert 24.6 <= waiting["longest_wait_seconds"] < 26
    assert waiting["agents"]["ready"] == 0
    assert waiting["agents"]["paused_by_reason"] == {"lunch": 2, "meeting": 1}

    support = centre.queue("support")
    # offered = 4 visits ended; answered A (2 s) and D (27 s); abandoned B (3 s, short) and C (8 s).
    assert (support["offered"], support["answered"], support["abandoned"]) == (4, 2, 2)
    assert support["short_abandoned"] == 1
    # service level = answered within 20 s / (offered - short abandons) = 1 / (4 - 1) = 33.33 %
    assert support["answered_within_threshold"] == 1
    assert support["service_level"] == 33.33
    # abandon rate = 2 / 4 = 50 %; ASA = (2 + 27) / 2 = 14.5 s; average wait = (2 + 3 + 8 + 27) / 4 = 10 s
    assert support["abandon_rate"] == 50.0
    assert support["asa_seconds"] == 14.5
    assert support["average_wait_seconds"] == 10.0
    assert support["max_wait_seconds"] == 27.0
    # AHT = (talk + hold + wrap-up) / handled = ((10 + 0 + 5) + (6 + 0 + 5)) / 2 = 13 s
    assert support["handled"] == 2
    assert support["aht_seconds"] == 13.0
    assert support["calls_waiting"] == 0

    agent = centre.agent(A1001)
    assert agent["calls_handled"] == 2
    assert (agent["talk_seconds"], agent["hold_seconds"], agent["wrapup_seconds"]) == (16.0, 0.0, 10.0)
    assert agent["state"] == "ready"
    # Agent 1001 was paused for the meeting from before B until D had waited 24.6 s.
    assert agent["pause_seconds"]["meeting"] >= 24.6 + 3 + 8


async def test_switching_short_abandons_into_the_denominator() -> None:
    rules = MetricsRules(queues={"support": QueueRules(service_level_seconds=20, exclude_short_abandons=False)})
    centre = SimulatedCentre(rules)
    try:
        await centre.call(caller(1, talk=3))  # answered after 2 s of ringing
        for agent in (A1001, A1002, A1003):
            centre.pbx.pause(agent, "support", True, "training")
        await centre.call(caller(2, patience=2))  # short abandon
        await asyncio.sleep(0)
    finally:
        await centre.close()
    support = centre.queue("support")
    # Short abandons counted: 1 answered within 20 s / 2 offered = 50 % (excluded it would be 100 %).
    assert support["short_abandoned"] == 1
    assert support["service_level"] == 50.0


async def test_report_of_the_stored_calls_equals_the_live_figures() -> None:
    centre = SimulatedCentre(RULES, wrapup={"support": 5, "sales": 5})
    try:
        # Overlapping traffic in both queues: answered, abandoned while ringing, short abandons.
        specs = [
            caller(1, talk=7),
            caller(2, talk=4, choice="2"),
            caller(3, patience=1),
            caller(4, talk=5, choice="2"),
            caller(5, patience=9, choice="2"),
            caller(6, talk=3),
        ]
        for spec in specs:
            centre.pbx.originate(spec)
            await centre.sleep(0.7)
        await centre.until(lambda: len(centre.pbx.finished) == len(specs))
        await centre.sleep(6)
        centre.tick()
    finally:
        await centre.close()
    assert len(centre.summaries) == len(specs)
    # What the recorder stores of each call: the row's handle times and the timeline.
    stored = [
        StoredCall(
            key=s.key,
            queue=s.queue,
            agent_name=s.agent_name,
            answered_at=s.answered_at,
            talk_seconds=s.talk_seconds,
            hold_seconds=s.hold_seconds,
            wrapup_seconds=s.wrapup_seconds,
            events=[StoredEvent(e.type, e.at, e.data()) for e in s.timeline],
        )
        for s in centre.summaries
    ]
    day = centre.now().date()
    report = build_report(stored, RULES, Interval.DAY, day, day)
    snapshot = centre.live.snapshot(centre.now())
    for row in report.queue_rows():
        live = next(q for q in snapshot["queues"] if q["queue"] == row["queue"])
        assert {k: v for k, v in row.items() if k in live} == {k: live[k] for k in row if k in live}
    assert sum(r["offered"] for r in report.queue_rows()) == len(specs)
    live_agents = {a["interface"]: a for a in snapshot["agents"]}
    for row in report.agent_rows():
        for figure in ("calls_handled", "talk_seconds", "wrapup_seconds", "aht_seconds"):
            assert row[figure] == live_agents[row["agent_interface"]][figure]
    quarter = build_report(stored, RULES, Interval.QUARTER, day, day)
    assert sum(r["answered"] for r in quarter.queue_rows()) == sum(r["answered"] for r in report.queue_rows())
