"""The Queue application: callers waiting, members rung by strategy, connect, abandon, timeout.

`Queueing.distribute` plays app_queue's role of deciding who rings for whom (autofill: callers in
order, each offered the members the strategy picks among the free ones); the caller's own task then
rings those members and reports the result, so the events of one call stay in one task.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.pbxsim.call import CallEnded
from callcenter.pbxsim.channels import STATE_UP, make_local_pair
from callcenter.pbxsim.ringing import RingLeg, agent_starts_ringing, create_agent_leg, member_target

if TYPE_CHECKING:
    from callcenter.pbxsim.call import Call
    from callcenter.pbxsim.pbx import Pbx
    from callcenter.pbxsim.queues import Queue, QueueMember

RING_SETUP = 0.1  # seconds from AgentCalled until the agent's phone starts its ring timer (Local channel setup)
ANSWER_RACE = 0.05  # members answering within this of the winner also went Up before being cancelled
WAIT_VARIABLES = ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "QUEUEWAIT", "QUEUEWAIT_MS")


@dataclass
class QueueStay:
    """Where a caller stands in one queue."""

    queue: Queue
    joined: float
    original_position: int
    priority: int


class Queueing:
    """Queue membership decisions and the Queue application run by each caller."""

    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self._timer: asyncio.Future[None] | None = None
        self._timer_at = float("inf")

    # ------------------------------------------------------------------ distribution

    def distribute(self) -> None:
        """Offer free members to waiting callers, in queue order, in every queue."""
        now = self.pbx.clock.now()
        next_check = float("inf")
        for queue in self.pbx.queues.values():
            for call in list(queue.callers):
                if call.phase != "queue" or call.offer is not None:
                    continue
                if now < call.next_ring_at:
                    next_check = min(next_check, call.next_ring_at)
                    continue
                members = queue.pick_members(now)
                if not members:
                    break
                for member in members:
                    member.agent.busy = True
                call.offer = members
                call.wake.set()
            for member in queue.members:
                if not member.paused and not member.agent.busy and member.agent.wrapup_until > now and queue.callers:
                    next_check = min(next_check, member.agent.wrapup_until)
        if next_check < float("inf"):
            self._schedule(next_check)

    def _schedule(self, when: float) -> None:
        if self._timer is not None and self._timer_at <= when:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.pbx.clock.call_later(when - self.pbx.clock.now(), self._fire)

    def _fire(self) -> None:
        self._timer, self._timer_at = None, float("inf")
        self.distribute()

    def cancel_timer(self) -> None:
        """Stop the pending distribution timer (shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, float("inf")

    def release(self, members: list[QueueMember]) -> None:
        """Members offered but not rung become free again."""
        for member in members:
            member.agent.busy = False

    # ------------------------------------------------------------------ the Queue application

    async def stay(self, call: Call, name: str, priority: int) -> str | None:
        """Run Queue(name) for `call`; returns the next queue when the call is transferred onwards."""
        from callcenter.pbxsim import talking

        queue = self.pbx.queues[name]
        ev, one = call.ev, call.customer.one
        call.phase = "queue"
        call.offer, call.next_ring_at = None, 0.0
        for variable in WAIT_VARIABLES:
            ev.varset(one, variable, "")
        ev.device_state(f"Queue:{name}", "RINGING")
        queue.callers.append(call)
        now = call.clock.now()
        call.queue_joined = now
        stay = QueueStay(queue, now, len(queue.callers), priority)
        ev.bus.emit(
            "QueueCallerJoin",
            "agent",
            [
                *one.snapshot(),
                ("Queue", name),
                ("Position", str(stay.original_position)),
                ("Count", str(len(queue.callers))),
            ],
        )
        self.pbx.queue_log.write(
            now, one.uniqueid, name, "NONE", "ENTERQUEUE", "", call.spec.caller_num, stay.original_position
        )
        ev.moh(one, True)
        if call.truth.queue is None:
            call.truth.queue, call.truth.position = name, stay.original_position
        if call.spec.patience is not None:
            call.set_caller_deadline(_earliest(call.hangup_at, now + call.spec.patience))
        self.distribute()
        deadline = now + queue.config.max_wait
        while True:
            woke = await call.wait_wake(deadline - call.clock.now())
            call.wake.clear()
            if call.line.gone.is_set() or (call.command and call.command[0] in ("hangup", "restart")):
                offered, call.offer = call.offer or [], None
                self.release(offered)
                self._abandon(call, stay, [])
                raise CallEnded
            if not woke:
                self._timeout(call, stay)
                raise CallEnded
            if call.offer:
                members, call.offer = call.offer, None
                leg = await self._ring(call, stay, members)
                if leg is not None:
                    return await talking.talk(call, stay, leg)

    async def _ring(self, call: Call, stay: QueueStay, members: list[QueueMember]) -> RingLeg | None:
        ev, one, queue = call.ev, call.customer.one, stay.queue
        call.phase = "ringing"
        now = call.clock.now()
        legs: list[RingLeg] = []
        for member in members:
            target, exten = member_target(member.agent.interface)
            pair = make_local_pair(call.pbx.ids, now, target, linkedid=call.linkedid, context="agents", exten=exten)
            after = self.pbx.agent_policy(call, member)
            leg = RingLeg(member, pair, None if after is None else after + RING_SETUP)
            legs.append(leg)
            create_agent_leg(call, leg)
        for leg in legs:
            agent_starts_ringing(call, leg)
        for leg in legs:
            ev.dial_state(one, leg.pair.one, "RINGING")
        for leg in legs:
            ev.device_state(leg.member.agent.device, "INUSE")
            self.pbx.member_status(leg.member.agent)
        call.truth.ring_attempts += len(legs)
        answer_times = [leg.answer_after for leg in legs if leg.answer_after is not None]
        first = min(answer_times) if answer_times else None
        ring_for = first if first is not None and first < queue.config.timeout else queue.config.timeout
        call.ringing = [leg.pair for leg in legs]
        try:
            woke = await call.wait_wake(ring_for - (call.clock.now() - now))
        finally:
            call.ringing = []
        call.wake.clear()
        agent_channels = {ch.name for leg in legs for ch in (leg.pair.one, leg.pair.two)}
        if call.command and call.command[0] == "hangup" and call.command[1] in agent_channels:
            call.command = None  # an agent's ringing phone was hung up over AMI: the attempt ends, the caller waits
            self._no_answer(call, stay, legs, now)
            return None
        if call.line.gone.is_set() or (call.command and call.command[0] in ("hangup", "restart")):
            self._abandon(call, stay, legs, ring_started=now)
            raise CallEnded
        if not woke and first is not None and first < queue.config.timeout:
            winner = min((leg for leg in legs if leg.answer_after is not None), key=lambda leg: leg.answer_after or 0)
            self._connect(call, stay, winner, [leg for leg in legs if leg is not winner], now)
            return winner
        self._no_answer(call, stay, legs, now)
        return None

    def _connect(self, call: Call, stay: QueueStay, winner: RingLeg, losers: list[RingLeg], rung_at: float) -> None:
        ev, one, queue, pbx = call.ev, call.customer.one, stay.queue, self.pbx
        now = call.clock.now()
        ev.newexten(winner.pair.two, 5, "Answer")
        ev.newstate(winner.pair.two, STATE_UP)
        ev.newstate(winner.pair.one, STATE_UP)
        ev.dial_end(one, winner.pair.one, "ANSWER")
        for leg in losers:
            if leg.answer_after is not None and leg.answer_after - (winner.answer_after or 0) <= ANSWER_RACE:
                ev.newexten(leg.pair.two, 5, "Answer")
                ev.newstate(leg.pair.two, STATE_UP)
        for leg in losers:
            ev.dial_end(one, leg.pair.one, "CANCEL")
            ev.dial_end(one, leg.pair.one, "CANCEL")
            ev.hangup_request(leg.pair.two, 26)
            ev.hangup(leg.pair.one, 26)
            leg.member.agent.busy = False
        ev.moh(one, False)
        position = self._leave(call, stay)
        wait = now - stay.joined
        ev.varset(one, "QUEUEPOSITION", str(position))
        ev.varset(one, "QUEUEWAIT", str(round(wait)))
        ev.varset(one, "QUEUEWAIT_MS", str(int(wait * 1000)))
        member, ring_time = winner.member, round(now - rung_at)
        ev.bus.emit(
            "AgentConnect",
            "agent",
            [
                *one.snapshot(),
                *winner.pair.one.snapshot("Dest"),
                ("Queue", queue.name),
                ("Interface", member.agent.interface),
                ("MemberName", member.agent.name),
                ("HoldTime", str(round(wait))),
                ("RingTime", str(ring_time)),
            ],
        )
        pbx.queue_log.write(
            now,
            one.uniqueid,
            queue.name,
            member.agent.name,
            "CONNECT",
            round(wait),
            winner.pair.one.uniqueid,
            ring_time,
        )
        member.in_call = True
        for leg in losers:
            pbx.member_status(leg.member.agent)
        bridge = ev.bridge_create()
        ev.bridge_enter(bridge, winner.pair.one)
        for leg in losers:
            ev.soft_hangup_request(leg.pair.two, 16)
            ev.hangup(leg.pair.two, 26)
        ev.bridge_enter(bridge, one)
        ev.varset(winner.pair.one, "BRIDGEPEER", one.name)
        ev.varset(one, "BRIDGEPEER", winner.pair.one.name)
        call.agent_pair, call.member, call.bridge = winner.pair, member, bridge
        truth = call.truth
        # A call transferred into another queue is recorded with the visit that answered it last.
        truth.queue, truth.agent_interface, truth.agent_name = queue.name, member.agent.interface, member.agent.name
        truth.wait_seconds = round(wait, 3)
        if losers:
            self.distribute()

    def _no_answer(self, call: Call, stay: QueueStay, legs: list[RingLeg], rung_at: float) -> None:
        ev, one, pbx = call.ev, call.customer.one, self.pbx
        now = call.clock.now()
        ring_ms = int((now - rung_at) * 1000)
        for leg in legs:
            member = leg.member
            ev.bus.emit(
                "AgentRingNoAnswer",
                "agent",
                [
                    *one.snapshot(),
                    *leg.pair.one.snapshot("Dest"),
                    ("Queue", stay.queue.name),
                    ("Interface", member.agent.interface),
                    ("MemberName", member.agent.name),
                    ("RingTime", str(ring_ms)),
                ],
            )
            pbx.queue_log.write(now, one.uniqueid, stay.queue.name, member.agent.name, "RINGNOANSWER", ring_ms)
            ev.dial_end(one, leg.pair.one, "NOANSWER")
            self._drop_ringing_leg(call, leg)
        call.phase = "queue"
        call.next_ring_at = now + stay.queue.config.retry
        self.distribute()

    def _drop_ringing_leg(self, call: Call, leg: RingLeg) -> None:
        ev = call.ev
        ev.hangup_request(leg.pair.two, 0)
        ev.hangup(leg.pair.one, 0)
        ev.soft_hangup_request(leg.pair.two, 16)
        ev.hangup(leg.pair.two, 0)
        leg.member.agent.busy = False
        ev.device_state(leg.member.agent.device, "NOT_INUSE")
        self.pbx.member_status(leg.member.agent)

    def _leave(self, call: Call, stay: QueueStay) -> int:
        queue, one = stay.queue, call.customer.one
        position = queue.callers.index(call) + 1
        queue.callers.remove(call)
        call.ev.bus.emit(
            "QueueCallerLeave",
            "agent",
            [*one.snapshot(), ("Queue", queue.name), ("Position", str(position)), ("Count", str(len(queue.callers)))],
        )
        return position

    def _abandon(self, call: Call, stay: QueueStay, legs: list[RingLeg], ring_started: float | None = None) -> None:
        """The caller left while waiting (or while members rang): QueueCallerAbandon, then QueueCallerLeave."""
        ev, one, two, queue, pbx = call.ev, call.customer.one, call.customer.two, stay.queue, self.pbx
        now = call.clock.now()
        system = not call.line.gone.is_set()
        if system:
            cause = 4 if call.command and call.command[0] == "restart" else 16
            call.stop_customer()
            ev.soft_hangup_request(one, cause)
            ev.hangup_request(two, cause)
        ev.moh(one, False)
        ev.hangup(two, 16)
        for leg in legs:
            ev.dial_end(one, leg.pair.one, "CANCEL")
            ev.dial_end(one, leg.pair.one, "CANCEL")
            ev.hangup_request(leg.pair.two, 0)
            ev.hangup(leg.pair.one, 0)
            ev.soft_hangup_request(leg.pair.two, 16)
        wait = now - stay.joined
        dialed = now - call.truth.started
        for name, value in (
            ("QUEUEWAIT", str(round(wait))),
            ("QUEUEWAIT_MS", str(int(wait * 1000))),
            ("DIALEDTIME", str(round(dialed))),
            ("DIALEDTIME_MS", str(int(dialed * 1000))),
            ("ANSWEREDTIME", "0"),
            ("ANSWEREDTIME_MS", "0"),
            ("ABANDONED", "TRUE"),
        ):
            ev.varset(one, name, value)
        position = queue.callers.index(call) + 1
        ev.bus.emit(
            "QueueCallerAbandon",
            "agent",
            [
                *one.snapshot(),
                ("Queue", queue.name),
                ("Position", str(position)),
                ("OriginalPosition", str(stay.original_position)),
                ("HoldTime", str(round(wait))),
            ],
        )
        for leg in legs:
            ev.hangup(leg.pair.two, 0)
            leg.member.agent.busy = False
            ev.device_state(leg.member.agent.device, "NOT_INUSE")
            pbx.queue_log.write(
                now,
                one.uniqueid,
                queue.name,
                leg.member.agent.name,
                "RINGCANCELED",
                int((now - (ring_started or now)) * 1000),
            )
        pbx.queue_log.write(
            now, one.uniqueid, queue.name, "NONE", "ABANDON", position, stay.original_position, round(wait)
        )
        queue.abandoned += 1
        self._leave(call, stay)
        ev.varset(one, "QUEUEPOSITION", str(position))
        for leg in legs:
            pbx.member_status(leg.member.agent)
        ev.soft_hangup_request(one, 16)
        ev.hangup(one, 16)
        ev.device_state("Local/s@customer", "NOT_INUSE")
        truth = call.truth
        truth.outcome, truth.hangup_by = "abandoned", "system" if system else "caller"
        truth.queue, truth.wait_seconds = queue.name, round(wait, 3)
        self.distribute()

    def _timeout(self, call: Call, stay: QueueStay) -> None:
        ev, one, queue = call.ev, call.customer.one, stay.queue
        now = call.clock.now()
        wait = now - stay.joined
        ev.moh(one, False)
        position = self._leave(call, stay)
        self.pbx.queue_log.write(
            now, one.uniqueid, queue.name, "NONE", "EXITWITHTIMEOUT", position, stay.original_position, int(wait)
        )
        ev.newexten(one, stay.priority + 1, "NoOp", "QUEUESTATUS=TIMEOUT")
        ev.newexten(one, stay.priority + 2, "Hangup")
        call.truth.outcome, call.truth.hangup_by = "timeout", "system"
        call.truth.wait_seconds = round(wait, 3)
        call.pbx_hangs_up()


def _earliest(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)
