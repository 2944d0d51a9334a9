"""Live metrics benchmark: AMI call events at 100 calls/s with 200 agents -> tracker -> live figures.

Run by hand (not part of the tests)::

    python benchmarks/metrics_live.py [--rate 100] [--agents 200] [--seconds 20] [--rounds 3]

A generator lays out ``--seconds`` of traffic ahead of time as the AMI events Asterisk 22 sends for
queue calls (Newchannel, QueueCallerJoin, AgentCalled, DialEnd, QueueCallerLeave, AgentConnect,
AgentComplete, QueueCallerAbandon, Hangup): ``--rate`` callers a second into two queues served by
``--agents`` agents (1 s of ringing, then 0.4-1.2 s of talk: about 90 % busy at the defaults,
so queues build up now and then). The events are then replayed at their real times, each fed to a call tracker whose
output goes to ``LiveMetrics.apply``; a wallboard-style reader takes a full ``snapshot()`` every
second. Printed, median of ``--rounds`` rounds:

* latency: from the moment an event is due to the moment the live figures include it (p50, p99,
  max), i.e. the tracker and the metrics update together, plus any queueing behind earlier events;
* the time one ``snapshot()`` takes (every queue and agent figure, occupancy included);
* CPU: process CPU seconds / wall seconds, for the tracker alone (the peer, measured in the same run)
  and for tracker + live metrics; the difference is what live metrics cost;
* unpaced throughput (events per CPU second, fed as fast as possible) of both, and the ratio.
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.calls.tracker import CallTracker
from callcenter.metrics import LiveMetrics, MetricsRules, QueueRules
from callcenter.telephony.ami.codec import AmiMessage

QUEUES = ("support", "sales")
EPOCH = 1_800_000_000.0
Event = tuple[float, int, AmiMessage]


def ev(name: str, **headers: str) -> AmiMessage:
    return AmiMessage.from_headers([("Event", name), *headers.items()])


def traffic(rate: float, agents: int, seconds: float, seed: int = 7) -> list[Event]:
    """Every AMI event of the run, with its due time (seconds from the start), in order."""
    rng = random.Random(seed)
    out: list[Event] = []
    seq = 0

    def at(t: float, msg: AmiMessage) -> None:
        nonlocal seq
        seq += 1
        out.append((t, seq, msg))

    members = [f"PJSIP/{2000 + n}" for n in range(agents)]
    for n, member in enumerate(members):
        at(0.0, ev("QueueMemberStatus", Queue=QUEUES[n % 2], Interface=member, MemberName=f"Agent {n}",
                   Status="1", Paused="0", Wrapuptime="0"))  # fmt: skip
    free: list[tuple[float, int]] = [(0.0, n) for n in range(agents)]  # (free from, agent)
    heapq.heapify(free)
    calls = int(rate * seconds)
    for i in range(calls):
        t0 = 0.01 + i / rate
        lid = f"{EPOCH + t0:.0f}.{i}"
        caller = f"PJSIP/trunk-{i:08x}"
        queue = QUEUES[i % 2]
        base = {"Channel": caller, "Uniqueid": lid, "Linkedid": lid}
        at(t0, ev("Newchannel", **base, CallerIDNum=f"+1555{i:07d}", CallerIDName="Caller"))
        joined = t0 + 0.05
        at(joined, ev("QueueCallerJoin", **base, Queue=queue, Position="1", Count="1"))
        patience = rng.uniform(5.0, 30.0)
        free_at, agent = heapq.heappop(free)
        ring_at = max(joined, free_at)
        if ring_at - joined > patience:
            heapq.heappush(free, (free_at, agent))
            gone = joined + patience
            at(gone, ev("QueueCallerAbandon", **base, Queue=queue, Position="1", OriginalPosition="1",
                        HoldTime=str(round(patience))))  # fmt: skip
            at(gone, ev("QueueCallerLeave", **base, Queue=queue, Position="1", Count="0"))
            at(gone, ev("Hangup", **base, Cause="16"))
            continue
        member, leg = members[agent], f"PJSIP/{2000 + agent}-{i:08x}"
        dest = {"DestChannel": leg, "DestLinkedid": lid, "Interface": member, "MemberName": f"Agent {agent}"}
        at(ring_at, ev("Newchannel", Channel=leg, Uniqueid=f"{lid}1", Linkedid=lid))
        at(ring_at, ev("AgentCalled", **base, Queue=queue, **dest))
        answer = ring_at + 1.0
        hold = str(round(answer - joined))
        at(answer, ev("DialEnd", **base, DialStatus="ANSWER", **dest))
        at(answer, ev("QueueCallerLeave", **base, Queue=queue, Position="1", Count="0"))
        at(answer, ev("AgentConnect", **base, Queue=queue, HoldTime=hold, RingTime="1", **dest))
        talk = rng.uniform(0.4, 1.2)
        end = answer + talk
        at(end, ev("HangupRequest", **base, Cause="16"))
        at(end, ev("AgentComplete", **base, Queue=queue, HoldTime=hold, TalkTime=str(round(talk)), Reason="caller",
                   **dest))  # fmt: skip
        at(end, ev("Hangup", Channel=leg, Uniqueid=f"{lid}1", Linkedid=lid, Cause="16"))
        at(end, ev("Hangup", **base, Cause="16"))
        heapq.heappush(free, (end, agent))
    out.sort()
    return out


def run_paced(events: list[Event], with_metrics: bool) -> dict[str, float]:
    """Replay at real time; latency per event, snapshot time, CPU share."""
    tracker = CallTracker("bench")
    rules = MetricsRules(queues={q: QueueRules(service_level_seconds=20) for q in QUEUES})
    live = LiveMetrics(rules) if with_metrics else None
    latencies: list[float] = []
    snapshots: list[float] = []
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    next_snapshot = 1.0
    for due, _, msg in events:
        now = time.perf_counter() - start_wall
        if due > now:
            time.sleep(due - now)
        out = tracker.feed(msg, EPOCH + due)
        if live is not None:
            for event in out:
                live.apply(event)
            for summary in tracker.pop_finished():
                live.apply(summary)
            if due >= next_snapshot:
                t = time.perf_counter()
                live.snapshot(tracker_time(tracker))
                snapshots.append(time.perf_counter() - t)
                next_snapshot += 1.0
        else:
            tracker.pop_finished()
        latencies.append(time.perf_counter() - start_wall - due)
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    latencies.sort()
    return {
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        "max_ms": 1000 * latencies[-1],
        "snapshot_ms": 1000 * statistics.median(snapshots) if snapshots else 0.0,
        "cpu_share": cpu / wall,
        "answered": sum(q["answered"] for q in live.snapshot(tracker_time(tracker))["queues"]) if live else 0,
    }


def tracker_time(tracker: CallTracker) -> datetime:
    return datetime.fromtimestamp(tracker.now, UTC)


def run_unpaced(events: list[Event], with_metrics: bool) -> float:
    """Events per CPU second when fed as fast as possible (CPU time: the machine is shared)."""
    tracker = CallTracker("bench")
    live = LiveMetrics(MetricsRules()) if with_metrics else None
    start = time.process_time()
    for due, _, msg in events:
        out = tracker.feed(msg, EPOCH + due)
        finished = tracker.pop_finished()
        if live is not None:
            for event in out:
                live.apply(event)
            for summary in finished:
                live.apply(summary)
    return len(events) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="new calls per second")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    events = traffic(args.rate, args.agents, args.seconds)
    print(f"{args.rate:g} calls/s, {args.agents} agents, {args.seconds:g} s: {len(events)} AMI events")
    paced: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    unpaced: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.rounds):
        for with_metrics in (False, True):
            paced[with_metrics].append(run_paced(events, with_metrics))
            unpaced[with_metrics].append(run_unpaced(events, with_metrics))

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    full = paced[True]
    print(f"calls answered in the figures: {med(full, 'answered'):.0f} of {int(args.rate * args.seconds)}")
    print(
        f"event due -> live figure updated: p50 {med(full, 'p50_ms'):.3f} ms, p99 {med(full, 'p99_ms'):.3f} ms, "
        f"max {med(full, 'max_ms'):.3f} ms"
    )
    print(f"snapshot() of every queue and agent: {med(full, 'snapshot_ms'):.3f} ms (median)")
    cpu_tracker, cpu_full = med(paced[False], "cpu_share"), med(full, "cpu_share")
    print(f"CPU at this load: tracker alone {100 * cpu_tracker:.1f} % of a core, tracker + live metrics "
          f"{100 * cpu_full:.1f} % (live metrics: {100 * (cpu_full - cpu_tracker):.1f} %)")  # fmt: skip
    rate_tracker, rate_full = statistics.median(unpaced[False]), statistics.median(unpaced[True])
    print(
        f"unpaced: tracker alone {rate_tracker:,.0f} events per CPU second, tracker + live metrics {rate_full:,.0f} "
        f"(ratio {rate_full / rate_tracker:.2f})"
    )


if __name__ == "__main__":
    main()
