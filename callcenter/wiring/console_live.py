"""The live console: tracker and IVR events in, screen-pops and agent state out on each agent's stream.

Subscribed to the event bus. When a call starts, its caller is resolved and their history warmed
(``prefetch``, in the background so other calls' events do not wait). The IVR engine's events of the
call are kept by Linkedid (path and inputs). When a queue rings a member whose interface belongs to a
user, the card is composed and sent as ``call.ringing`` to that user's stream only; the desk
(:mod:`callcenter.agents.desk`) then follows the call to ``call.connected``, ``call.ended`` and the
wrap-up. When the queue of the call asks for a disposition, the agent is paused in Asterisk
(reason ``wrap-up``) until they write it. The hub asks :meth:`LiveConsole.snapshot` for the state of a
(re)connecting console, so a reload shows the true state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from callcenter.agents.actions import AgentActions
from callcenter.agents.desk import DeskBook, DeskCall, Message
from callcenter.bus import EventsDropped
from callcenter.calls.agents import AgentUser
from callcenter.calls.events import (
    AgentNoAnswer,
    AgentRinging,
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallStarted,
    CallTransferred,
    IvrLeft,
)
from callcenter.calls.legs import member_key
from callcenter.contacts.call_recorder import SOURCE
from callcenter.ivr.services import IvrEvent
from callcenter.realtime.hub import Hub
from callcenter.realtime.wire import SUPERVISORS, agent_stream
from callcenter.screenpop.composer import CallContext, ScreenPopComposer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallRecorded:
    """A finished call is stored as a contact (published after the recorder's unit of work committed)."""

    call_id: str
    contact_id: int
    customer_id: int


CONSOLE_EVENTS: tuple[type, ...] = (
    CallStarted,
    IvrLeft,
    AgentRinging,
    AgentNoAnswer,
    CallConnected,
    CallTransferred,
    CallAbandoned,
    CallEnded,
    AgentStateChanged,
    IvrEvent,
    CallRecorded,
    EventsDropped,
)


# Calls remembered at most (IVR trails, ring stamps, ended calls awaiting their record): a call whose
# AMI events never come (FastAGI without AMI) or whose recording keeps failing must not grow memory.
MAX_TRACKED = 20_000

# IVR inputs that are the IVR's findings, not keys the caller pressed.
NOT_KEYED = frozenset({"customer", "queue", "estimated_wait_s"})


@dataclass(slots=True)
class LiveCall:
    """What is known of a call in progress before it rings an agent."""

    caller_number: str | None
    caller_name: str | None
    caller_channel: str | None
    ivr_path: list[str] = field(default_factory=list)
    ivr_inputs: dict[str, Any] = field(default_factory=dict)


class LiveConsole:
    """Bus subscriber feeding the desks and the hub."""

    def __init__(
        self,
        *,
        hub: Hub,
        composer: ScreenPopComposer,
        desks: DeskBook,
        actions: AgentActions | None,
        users: Mapping[str, AgentUser],
        reads_all_private: bool = False,
    ) -> None:
        self.hub = hub
        self.composer = composer
        self.desks = desks
        self.actions = actions
        self.users = {member_key(k): v for k, v in users.items()}
        self.reads_all_private = reads_all_private
        self.calls: dict[str, LiveCall] = {}
        self.ivr: dict[str, LiveCall] = {}  # by Linkedid, from the IVR engine (may come before the AMI events)
        self.call_ids: dict[str, str] = {}  # Linkedid -> call id, for the IVR's events
        self.linkedids: dict[str, str] = {}  # call id -> Linkedid of ended calls not recorded yet
        self._tasks: set[asyncio.Task[Any]] = set()
        self._received: dict[tuple[str, str], float] = {}

    def stamp(self, event: object) -> None:
        """Called by the ingest as it emits each tracker event: note when a ring was taken off the AMI stream.

        The tracker's own time may run ahead of the wall clock (it never goes behind Asterisk's
        durations), so the screen-pop carries this wall-clock instant too (``received_at``).
        """
        if isinstance(event, AgentRinging):
            _bounded(self._received, (event.key.external_id, member_key(event.agent_interface)), time.time())

    def set_users(self, users: Mapping[str, AgentUser]) -> None:
        """Replace the interface -> user map (users added or changed)."""
        self.users = {member_key(k): v for k, v in users.items()}

    async def snapshot(self, stream: str) -> dict[str, Any]:
        """The ``agent:<id>`` console's whole state, for the hub's snapshots."""
        user_id = int(stream.split(":", 1)[1])
        return self.desks.desk(user_id).snapshot()

    async def handle(self, event: object) -> None:
        """The bus handler: one event in, the messages it causes published."""
        match event:
            case IvrEvent():
                self._on_ivr(event)
            case CallStarted():
                self._on_started(event)
            case IvrLeft():
                call = self.calls.get(event.key.external_id)
                if call is not None and not call.ivr_path:
                    call.ivr_path, call.ivr_inputs = list(event.path), dict(event.inputs)
            case AgentRinging():
                await self._on_ringing(event)
            case AgentNoAnswer():
                user = self._user(event.agent_interface)
                if user is not None:
                    stopped = self.desks.ring_stopped(user.user_id, event.key.external_id, "not answered", event.at)
                    await self._send(stopped)
            case CallConnected():
                user = self._user(event.agent_interface)
                if user is not None:
                    await self._send(self.desks.connected(user.user_id, event.key.external_id, event.at))
            case CallTransferred():
                user = self._user(event.agent_interface) if event.agent_interface else None
                if user is not None:
                    messages = self.desks.left_agent(
                        user.user_id, event.key.external_id, outcome="transferred", source=SOURCE, at=event.at
                    )
                    await self._send(messages)
            case CallAbandoned():
                call_id = event.key.external_id
                await self._send(self.desks.call_ended(call_id, outcome="abandoned", source=SOURCE, at=event.at))
            case CallEnded():
                await self._on_ended(event)
            case AgentStateChanged():
                await self._on_agent_state(event)
            case CallRecorded():
                self.ivr.pop(self.linkedids.pop(event.call_id, ""), None)
                await self._send(self.desks.recorded(event.call_id, event.contact_id, event.customer_id))
            case EventsDropped():
                log.warning("live console missed %d events; consoles may lag until the next change", event.count)

    def _user(self, interface: str) -> AgentUser | None:
        return self.users.get(member_key(interface))

    def _on_ivr(self, event: IvrEvent) -> None:
        if event.linkedid is None:
            return
        trail = self.ivr.get(event.linkedid)
        if trail is None:
            trail = _bounded(self.ivr, event.linkedid, LiveCall(event.caller_number or None, None, event.channel))
            call_id = self.call_ids.get(event.linkedid)
            call = self.calls.get(call_id) if call_id else None
            if call_id and call is not None and call.caller_number is None and trail.caller_number:
                # Asterisk may set the caller id after the channel appeared: the IVR knows it by now.
                call.caller_number = trail.caller_number
                self._spawn(self.composer.prefetch(call_id, trail.caller_number))
        if event.kind == "node_entered" and event.node:
            trail.ivr_path.append(event.node)
        elif event.kind == "input_collected" and event.node and event.data.get("kind") not in NOT_KEYED:
            value, result = event.data.get("value"), event.data.get("result")
            # A survey node asks several questions: each answer is kept under its own question.
            kind = str(event.data.get("kind") or "")
            key = f"{event.node}:{kind.removeprefix('survey:')}" if kind.startswith("survey:") else event.node
            trail.ivr_inputs[key] = value if result == "ok" else f"{value or '-'} ({result})"

    def _on_started(self, event: CallStarted) -> None:
        call_id = event.key.external_id
        _bounded(self.calls, call_id, LiveCall(event.caller_number, event.caller_name, event.channel))
        _bounded(self.call_ids, event.key.linkedid, call_id)
        if event.caller_number is None:
            return
        self._spawn(self.composer.prefetch(call_id, event.caller_number))

    async def _on_ringing(self, event: AgentRinging) -> None:
        received = self._received.pop((event.key.external_id, member_key(event.agent_interface)), None)
        user = self._user(event.agent_interface)
        if user is None:
            return
        call_id = event.key.external_id
        call = self.calls.get(call_id) or LiveCall(None, None, None)
        trail = self.ivr.get(event.key.linkedid)
        path = trail.ivr_path if trail and trail.ivr_path else call.ivr_path
        inputs = trail.ivr_inputs if trail and trail.ivr_inputs else call.ivr_inputs
        context = CallContext(
            call_id=call_id,
            caller_number=call.caller_number or (trail.caller_number if trail else None),
            caller_name=call.caller_name,
            queue=event.queue,
            ivr_path=list(path),
            ivr_inputs=dict(inputs),
        )
        card = await self.composer.compose(
            context, agent_user_id=user.user_id, reads_all_private=self.reads_all_private
        )
        desk_call = DeskCall(
            id=call_id,
            server=event.key.server,
            queue=event.queue,
            caller_number=card["call"]["caller_number"],
            caller_channel=call.caller_channel,
            agent_channel=event.channel,
            phase="ringing",
            since=event.at,
            card=card,
        )
        await self._send(self.desks.ringing(user.user_id, desk_call, received_at=received))

    async def _on_ended(self, event: CallEnded) -> None:
        call_id = event.key.external_id
        messages = self.desks.call_ended(call_id, outcome=event.outcome, source=SOURCE, at=event.at)
        await self._send(messages)
        for user_id, type_, data in messages:
            if type_ == "call.ended" and data["disposition_required"]:
                self._spawn(self._hold_for_wrap_up(user_id))
        self.calls.pop(call_id, None)
        # The IVR trail stays until the call is recorded: the recorder stores the path with the contact.
        _bounded(self.linkedids, call_id, event.key.linkedid)
        self.call_ids.pop(event.key.linkedid, None)
        self.composer.forget(call_id)

    async def _hold_for_wrap_up(self, user_id: int) -> None:
        desk = self.desks.desk(user_id)
        if self.actions is None or desk.wrap_up is None:
            return
        await self.actions.wrap_up_pause(desk, None, True)
        desk.wrap_up.paused_for_it = True

    async def _on_agent_state(self, event: AgentStateChanged) -> None:
        if event.user_id is None:
            return
        messages = self.desks.asterisk_state(
            event.user_id, server=event.server, interface=event.interface, state=event.state, reason=event.reason,
            at=event.at,
        )  # fmt: skip
        await self._send(messages)
        for user_id, _type, data in messages:
            await self.hub.publish(SUPERVISORS, "agent.state", {"user_id": user_id, "name": event.name, **data})

    async def _send(self, messages: list[Message]) -> None:
        for user_id, type_, data in messages:
            await self.hub.publish(agent_stream(user_id), type_, data)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("live console background work failed", exc_info=task.exception())

    async def stop(self) -> None:
        """Cancel background prefetches and pauses still running."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _bounded(table: dict[Any, Any], key: Any, value: Any) -> Any:
    """Store ``value``, dropping the oldest entries beyond :data:`MAX_TRACKED`; answer ``value``."""
    table[key] = value
    while len(table) > MAX_TRACKED:
        del table[next(iter(table))]
    return value
