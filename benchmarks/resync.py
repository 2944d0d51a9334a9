"""Resync benchmark: reconciling the call tracker with CoreShowChannels + QueueStatus after a reconnect.

Run by hand (not part of the tests)::

    python benchmarks/resync.py [--channels 1000] [--rounds 7]

A tracker holds ``--channels``/2 calls (caller + agent leg each, connected, Local channels as in the
lab). The reconnect lists them all as still up except one call in ten that ended while the link was
down, plus one call in ten the tracker never saw. Measured: the time ``reconcile`` takes to close,
continue and adopt (median of ``--rounds``), the AMI list items built beforehand with the real codec.
The time to fetch the lists from Asterisk is the AMI client's and not included.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.calls.resync import reconcile
from callcenter.calls.tracker import CallTracker
from callcenter.telephony.ami.codec import AmiMessage


def event(name: str, **headers: str) -> AmiMessage:
    return AmiMessage.from_headers([("Event", name), *headers.items()])


def call_events(n: int) -> list[AmiMessage]:
    linkedid, agent = f"1800000000.{2 * n}", f"Local/agent{1000 + n % 50}@agents-{n:08x};1"
    caller = f"Local/s@customer-{n:08x};1"
    common = {"Linkedid": linkedid}
    return [
        event("Newchannel", Channel=caller, Uniqueid=linkedid, CallerIDNum=f"+1555{n:07d}", **common),
        event("QueueCallerJoin", Channel=caller, Queue="support", Position="1", **common),
        event("Newchannel", Channel=agent, Uniqueid=f"1800000000.{2 * n + 1}", **common),
        event(
            "AgentCalled",
            Channel=caller,
            DestChannel=agent,
            Queue="support",
            Interface=f"Local/agent{1000 + n % 50}@agents/n",
            MemberName=f"Agent {1000 + n % 50}",
            **common,
        ),
        event("QueueCallerLeave", Channel=caller, Queue="support", **common),
        event(
            "AgentConnect",
            Channel=caller,
            DestChannel=agent,
            Queue="support",
            HoldTime="3",
            RingTime="2",
            Interface=f"Local/agent{1000 + n % 50}@agents/n",
            MemberName=f"Agent {1000 + n % 50}",
            **common,
        ),
    ]


def listed(n: int) -> list[AmiMessage]:
    linkedid, agent = f"1800000000.{2 * n}", f"Local/agent{1000 + n % 50}@agents-{n:08x};1"
    return [
        event(
            "CoreShowChannel",
            Channel=f"Local/s@customer-{n:08x};1",
            Uniqueid=linkedid,
            Linkedid=linkedid,
            Application="Queue",
            Duration="00:01:00",
            BridgeId="b",
            CallerIDNum=f"+1555{n:07d}",
        ),
        event(
            "CoreShowChannel",
            Channel=agent,
            Uniqueid=f"1800000000.{2 * n + 1}",
            Linkedid=linkedid,
            Application="AppQueue",
            Duration="00:00:50",
            BridgeId="b",
        ),
    ]


def one_round(calls: int) -> tuple[float, int, int, int]:
    tracker = CallTracker("bench")
    for n in range(calls):
        for msg in call_events(n):
            tracker.feed(msg, 1_800_000_000.0)
    channels = [item for n in range(calls + calls // 10) if n % 10 != 3 for item in listed(n)]
    started = time.perf_counter()
    result = reconcile(tracker, channels, [], 1_800_000_100.0)
    elapsed = time.perf_counter() - started
    return elapsed, len(result.ended_while_blind), len(result.continued), len(result.adopted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    calls = args.channels // 2
    runs = [one_round(calls) for _ in range(args.rounds)]
    elapsed = statistics.median(r[0] for r in runs)
    _, closed, continued, adopted = runs[0]
    listed_channels = 2 * (continued + adopted)
    print(
        f"reconcile: {elapsed * 1000:.1f} ms for {listed_channels} listed channels "
        f"({continued} calls continued, {closed} closed as ended while blind, {adopted} adopted), "
        f"median of {args.rounds}"
    )


if __name__ == "__main__":
    main()
