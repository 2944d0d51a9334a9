"""One simulated inbound call, emitting the events Asterisk emits for the lab dialplan.

The call is an Originate of `Local/s@customer` into `ivr-in,s,1`, as in the traces: the `;2` half plays
the customer (answers, keys DTMF, waits, hangs up) and runs in its own task; the `;1` half is the PBX
side (IVR over AGI, then Queue) and owns every teardown, because what a hangup looks like depends on
where the PBX side is (IVR, waiting, ringing agents, talking).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from callcenter.pbxsim.agi_exec import AgiChannel, CallerLine, PromptAnswers
from callcenter.pbxsim.channels import STATE_UP, Channel, LocalPair, make_local_pair
from callcenter.pbxsim.events import Bridge
from callcenter.pbxsim.truth import CallSpec, CallTruth

if TYPE_CHECKING:
    from callcenter.pbxsim.pbx import Pbx
    from callcenter.pbxsim.queueing import QueueStay
    from callcenter.pbxsim.queues import QueueMember

DTMF_DURATION = 0.1  # SendDTMF: each tone lasts 100 ms ...
DTMF_GAP = 0.25  # ... and is followed by 250 ms of silence


class CallEnded(Exception):
    """Raised inside the PBX side when the call is over and nothing more is to be emitted."""


class Call:
    """State of one call shared by its customer task, its PBX task and the AMI actions that touch it."""

    def __init__(self, pbx: Pbx, spec: CallSpec, *, action_id: str | None = None) -> None:
        self.pbx = pbx
        self.spec = spec
        self.action_id = action_id
        self.ev = pbx.events
        self.clock = pbx.clock
        now = self.clock.now()
        self.customer: LocalPair = make_local_pair(
            pbx.ids, now, "s@customer", linkedid=None, context="customer", exten="s"
        )
        self.linkedid = self.customer.one.linkedid
        self.truth = CallTruth(self.linkedid, spec.caller_num, spec.caller_name, started=now)
        self.truth.ivr_choice, self.truth.ivr_account = spec.choice, spec.account
        self.line = CallerLine(PromptAnswers(spec.choice, spec.account) if spec.answers_prompts else None)
        self.answered = asyncio.Event()
        self.wake = asyncio.Event()
        self.offer: list[QueueMember] | None = None
        self.command: tuple[str, ...] | None = None
        self.agent_pair: LocalPair | None = None
        self.ringing: list[LocalPair] = []
        self.member: QueueMember | None = None
        self.bridge: Bridge | None = None
        self.next_ring_at = 0.0
        self.hangup_at: float | None = None
        self._deadline_changed = asyncio.Event()
        self.pending_complete: tuple[QueueStay, QueueMember, Channel, float] | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.phase = "ivr"
        self.queue_joined = 0.0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Emit the Originate's channel creation and start the two halves."""
        self._originate_events()
        self.tasks = [
            asyncio.create_task(self._customer(), name=f"customer {self.linkedid}"),
            asyncio.create_task(self._pbx_side(), name=f"pbx {self.linkedid}"),
        ]

    def channels(self) -> list[Channel]:
        """The call's live channels, caller halves first."""
        chans = [self.customer.one, self.customer.two]
        for pair in [self.agent_pair] if self.agent_pair is not None else self.ringing:
            chans += [pair.one, pair.two]
        return [c for c in chans if c.alive]

    def interrupt(self, *command: str) -> None:
        """Ask the PBX side to act (hangup, redirect, blindtransfer, restart) at its next wake-up."""
        self.command = command
        self.wake.set()

    def set_caller_deadline(self, when: float | None) -> None:
        """(Re)arm the moment the simulated caller hangs up."""
        self.hangup_at = when
        self._deadline_changed.set()

    async def wait_wake(self, within: float | None) -> bool:
        """Wait for a wake-up (offer, command) or the caller hanging up; False on timeout."""
        if self.wake.is_set() or self.line.gone.is_set():
            return True
        return await self.clock.first({self.wake.wait(), self.line.gone.wait()}, within)

    # ------------------------------------------------------------------ originate

    def _originate_events(self) -> None:
        ev, one, two, spec = self.ev, self.customer.one, self.customer.two, self.spec
        ev.newchannel(one)
        ev.newchannel(two)
        ev.newexten(one, 1, "AppDial2", "(Outgoing Line)")
        for name, value in reversed(spec.variables):
            ev.varset(one, name, value)
        ev.newcallerid(one, spec.caller_num, spec.caller_name)
        ev.newconnectedline(one, spec.caller_num, spec.caller_name)
        for name, value in spec.variables:
            ev.varset(two, name, value)
        ev.newcallerid(two, spec.caller_num, spec.caller_name)
        ev.newconnectedline(two, spec.caller_num, spec.caller_name)
        ev.local_bridge(self.customer, "customer", "s")
        ev.dial_begin(None, one, "s@customer")

    # ------------------------------------------------------------------ customer half (;2)

    async def _customer(self) -> None:
        ev, two, spec = self.ev, self.customer.two, self.spec
        cid = f'"{spec.caller_name}" <{spec.caller_num}>' if spec.caller_name else spec.caller_num
        hold = "" if spec.hold is None else f"{spec.hold:g}"
        mode = "" if spec.mode == "normal" else spec.mode
        ev.newexten(
            two, 1, "NoOp", f"Customer {cid} choice={spec.choice} account={spec.account} hold={hold} mode={mode}"
        )
        ev.newexten(two, 2, "Answer")
        ev.newstate(two, STATE_UP)
        ev.newstate(self.customer.one, STATE_UP)
        ev.device_state("Local/s@customer", "INUSE")
        ev.device_state("Local/s@customer", "INUSE")
        ev.dial_end(None, self.customer.one, "ANSWER")
        self.answered.set()
        await self.clock.sleep(0.01)
        midprompt = spec.mode == "hangup-mid-prompt"
        getdata = spec.mode == "hangup-getdata"
        ev.newexten(two, 3, "GotoIf", f"{int(midprompt)}?midprompt")
        if midprompt:
            ev.newexten(two, 11, "Wait", "1.5")
            await self.clock.sleep(1.5)
            self._caller_hangs_up(12)
            return
        ev.newexten(two, 4, "GotoIf", f"{int(getdata)}?getdata")
        if spec.answers_prompts:
            await self._hold_on(9)
            return
        if getdata:
            ev.newexten(two, 14, "Wait", "2")
            await self.clock.sleep(2)
            ev.newexten(two, 15, "SendDTMF", spec.choice)
            await self._send_dtmf(spec.choice)
            ev.newexten(two, 16, "Wait", "6")
            await self.clock.sleep(6)
            self._caller_hangs_up(17)
            return
        ev.newexten(two, 5, "Wait", "2")
        await self.clock.sleep(2)
        ev.newexten(two, 6, "SendDTMF", spec.choice)
        await self._send_dtmf(spec.choice)
        ev.newexten(two, 7, "Wait", "1.5")
        await self.clock.sleep(1.5)
        ev.newexten(two, 8, "SendDTMF", spec.account)
        await self._send_dtmf(spec.account)
        await self._hold_on(9)

    async def _hold_on(self, priority: int) -> None:
        """Wait(HOLD), then hang up (the deadline may move: patience in queue, talk time)."""
        spec = self.spec
        self.ev.newexten(self.customer.two, priority, "Wait", "30" if spec.hold is None else f"{spec.hold:g}")
        if self.hangup_at is None and spec.hold is not None:
            self.set_caller_deadline(self.clock.now() + spec.hold)
        await self._wait_deadline()
        self._caller_hangs_up(priority + 1)

    async def _send_dtmf(self, digits: str) -> None:
        for digit in digits:
            await self.clock.sleep(DTMF_DURATION)
            self.ev.dtmf(self.customer.one, digit)
            self.line.digits.put_nowait(digit)
            await self.clock.sleep(DTMF_GAP)

    async def _wait_deadline(self) -> None:
        while True:
            self._deadline_changed.clear()
            if self.hangup_at is not None and self.clock.now() >= self.hangup_at:
                return
            within = None if self.hangup_at is None else self.hangup_at - self.clock.now()
            if not await self.clock.first({self._deadline_changed.wait()}, within):
                return

    def _caller_hangs_up(self, priority: int) -> None:
        two, one = self.customer.two, self.customer.one
        self.ev.newexten(two, priority, "Hangup")
        self.ev.soft_hangup_request(two, 16)
        self.ev.hangup_request(one, 16)
        if self.phase == "ivr":
            self.ev.hangup(two, 16)
        self.line.gone.set()
        self.wake.set()

    def stop_customer(self) -> None:
        """The customer half stops acting (the call is being torn down by the PBX side)."""
        task = self.tasks[0] if self.tasks else None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # ------------------------------------------------------------------ PBX half (;1)

    async def _pbx_side(self) -> None:
        from callcenter.pbxsim import talking

        try:
            await self.answered.wait()
            queue = await self._ivr_phase()
            target = queue
            priority = {"support": 9, "sales": 12}.get(queue or "", 9)
            while target is not None:
                target = await self.pbx.queueing.stay(self, target, priority)
                priority = 2
        except CallEnded:
            pass
        except asyncio.CancelledError:
            raise
        finally:
            self.stop_customer()
            for ch in self.channels():
                ch.alive = False
            talking.finish_pending_complete(self)
            self.truth.ended = self.clock.now()
            self.pbx.call_finished(self)

    async def _ivr_phase(self) -> str | None:
        ev, one, spec = self.ev, self.customer.one, self.spec
        cid = f'"{spec.caller_name}" <{spec.caller_num}>' if spec.caller_name else spec.caller_num
        one.goto("ivr-in", "s", 1)
        ev.newexten(one, 1, "NoOp", f"Inbound call from {cid}")
        ev.newexten(one, 2, "Set", "IVRSCRIPT=main-menu")
        ev.varset(one, "IVRSCRIPT", "main-menu")
        ev.newexten(one, 3, "AGI", f"{self.pbx.agi_url}/main-menu,inbound,{spec.caller_num}")
        self.pbx.originate_response(self)
        agi = AgiChannel(one, ev, self.clock, self.line)
        status = "SUCCESS"
        try:
            await self.pbx.ivr.run(agi, "main-menu", ["inbound", spec.caller_num])
        except ConnectionError:
            status = "FAILURE"
        finally:
            agi.close()
        self._check_command()
        queue = one.variables.get("IVR_QUEUE", "")
        account = one.variables.get("IVR_ACCOUNT", "")
        self.truth.ivr_account = account
        if agi.dead:
            ev.varset(one, "AGISTATUS", "HANGUP")
            self._ivr_teardown(caller_hung_up=self.line.gone.is_set())
            raise CallEnded
        ev.varset(one, "AGISTATUS", status)
        ev.newexten(one, 4, "NoOp", f"AGISTATUS={status} IVR_QUEUE={queue} IVR_ACCOUNT={account}")
        ev.newexten(one, 5, "GotoIf", f"{int(queue == 'support')}?support")
        if queue == "support":
            ev.newexten(one, 9, "Queue", "support,,,,300")
            return queue
        ev.newexten(one, 6, "GotoIf", f"{int(queue == 'sales')}?sales")
        if queue == "sales":
            ev.newexten(one, 12, "Queue", "sales,,,,300")
            return queue
        if queue in self.pbx.queues:
            ev.newexten(one, 9, "Queue", f"{queue},,,,300")
            return queue
        ev.newexten(one, 7, "Playback", "vm-goodbye")
        await self.clock.sleep(0.88)
        ev.newexten(one, 8, "Hangup")
        self.truth.outcome, self.truth.hangup_by = "ivr_only", "system"
        self.pbx_hangs_up()
        raise CallEnded

    def _check_command(self) -> None:
        """Handle an AMI Hangup or a restart that arrived while the IVR ran."""
        if self.command is not None and self.command[0] in ("hangup", "restart") and not self.line.gone.is_set():
            self.truth.hangup_by = "system"
            self.line.gone.set()

    def _ivr_teardown(self, *, caller_hung_up: bool) -> None:
        ev, one, two = self.ev, self.customer.one, self.customer.two
        self.stop_customer()
        self.truth.outcome = "ivr_only"
        if caller_hung_up:
            self.truth.hangup_by = self.truth.hangup_by or "caller"
            if two.alive:
                ev.hangup(two, 16)
            ev.soft_hangup_request(one, 16)
            ev.hangup(one, 16)
            ev.device_state("Local/s@customer", "NOT_INUSE")
            return
        self.truth.hangup_by = "system"
        ev.soft_hangup_request(one, 16)
        ev.hangup_request(two, 0)
        ev.hangup(one, 0)
        ev.soft_hangup_request(two, 16)
        ev.hangup(two, 0)
        ev.device_state("Local/s@customer", "NOT_INUSE")

    def pbx_hangs_up(self) -> None:
        """The dialplan hangs the caller up (the `;1` half ends first)."""
        ev, one, two = self.ev, self.customer.one, self.customer.two
        self.stop_customer()
        ev.soft_hangup_request(one, 16)
        ev.hangup_request(two, 16)
        ev.soft_hangup_request(two, 16)
        ev.hangup(two, 16)
        ev.hangup(one, 16)
        ev.device_state("Local/s@customer", "NOT_INUSE")
