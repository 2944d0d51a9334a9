"""Queue actions: QueueStatus, QueueSummary, QueuePause, QueueAdd, QueueRemove, QueuePenalty."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from callcenter.pbxsim.ami_actions import ActionContext, Headers, _truthy, error, reply, send_list
from callcenter.telephony.ami.codec import AmiMessage


async def queue_status(ctx: ActionContext, message: AmiMessage) -> None:
    """QueueParams, QueueMember and QueueEntry items for one queue or all."""
    wanted, member_filter = message.get("Queue"), message.get("Member")
    now = ctx.pbx.clock.now()
    items: list[tuple[str, Headers, bool]] = []
    for queue in ctx.pbx.queues.values():
        if wanted and queue.name != wanted:
            continue
        items.append(("QueueParams", queue.params(), False))
        for member in queue.members:
            if member_filter and member_filter not in (member.agent.interface, member.agent.name):
                continue
            fields = [
                ("Queue", queue.name),
                *member.fields(name_key="Name", location_key="Location"),
                ("Wrapuptime", "0"),
            ]
            items.append(("QueueMember", fields, False))
        for position, call in enumerate(queue.callers, start=1):
            one = call.customer.one
            fields = [
                ("Queue", queue.name),
                ("Position", str(position)),
                ("Channel", one.name),
                ("Uniqueid", one.uniqueid),
                ("CallerIDNum", one.cid_num or "<unknown>"),
                ("CallerIDName", one.cid_name or "<unknown>"),
                ("ConnectedLineNum", one.conn_num or "<unknown>"),
                ("ConnectedLineName", one.conn_name or "<unknown>"),
                ("Wait", str(int(now - call.queue_joined))),
                ("Priority", "0"),
            ]
            items.append(("QueueEntry", fields, False))
    send_list(ctx, message, "Queue status will follow", items, "QueueStatusComplete")


async def queue_summary(ctx: ActionContext, message: AmiMessage) -> None:
    """One QueueSummary item per queue."""
    wanted = message.get("Queue")
    now = ctx.pbx.clock.now()
    items: list[tuple[str, Headers, bool]] = []
    for queue in ctx.pbx.queues.values():
        if wanted and queue.name != wanted:
            continue
        available = sum(1 for m in queue.members if not m.paused and not m.agent.busy)
        longest = max((int(now - c.queue_joined) for c in queue.callers), default=0)
        fields = [
            ("Queue", queue.name),
            ("LoggedIn", str(len(queue.members))),
            ("Available", str(available)),
            ("Callers", str(len(queue.callers))),
            ("HoldTime", str(queue.avg_holdtime())),
            ("TalkTime", str(queue.avg_talktime())),
            ("LongestHoldTime", str(longest)),
        ]
        items.append(("QueueSummary", fields, False))
    send_list(ctx, message, "Queue summary will follow", items, "QueueSummaryComplete")


async def queue_pause(ctx: ActionContext, message: AmiMessage) -> None:
    """Pause or unpause an interface in one queue or in all its queues."""
    interface = message.get("Interface")
    if not interface or message.get("Paused") is None:
        error(ctx, message, "Need 'Interface' and 'Paused' parameters.")
        return
    paused = _truthy(message.get("Paused"))
    ctx.pbx.pause(interface, message.get("Queue"), paused, message.get("Reason") or "")
    text = "Interface paused successfully" if paused else "Interface unpaused successfully"
    reply(ctx, message, "Success", ("Message", text))


async def queue_add(ctx: ActionContext, message: AmiMessage) -> None:
    """Add a dynamic member."""
    queue, interface = message.get("Queue"), message.get("Interface")
    if not queue or not interface:
        error(ctx, message, "'Queue' and 'Interface' not set.")
        return
    try:
        penalty = int(message.get("Penalty") or 0)
    except ValueError:
        error(ctx, message, "Invalid penalty")
        return
    ctx.pbx.add_member(
        queue,
        interface,
        name=message.get("MemberName") or "",
        penalty=penalty,
        paused=_truthy(message.get("Paused")),
        state_interface=message.get("StateInterface") or "",
    )
    reply(ctx, message, "Success", ("Message", "Added interface to queue"))


async def queue_remove(ctx: ActionContext, message: AmiMessage) -> None:
    """Remove a member."""
    queue, interface = message.get("Queue"), message.get("Interface")
    if not queue or not interface:
        error(ctx, message, "Need 'Queue' and 'Interface' parameters.")
        return
    ctx.pbx.remove_member(queue, interface)
    reply(ctx, message, "Success", ("Message", "Removed interface from queue"))


async def queue_penalty(ctx: ActionContext, message: AmiMessage) -> None:
    """Change a member's penalty."""
    interface, penalty = message.get("Interface"), message.get("Penalty")
    if not interface or penalty is None:
        error(ctx, message, "Need 'Interface' and 'Penalty' parameters.")
        return
    try:
        value = int(penalty)
    except ValueError:
        error(ctx, message, "Invalid penalty")
        return
    ctx.pbx.set_penalty(interface, value, message.get("Queue"))
    reply(ctx, message, "Success", ("Message", "Interface penalty set successfully"))


QUEUE_HANDLERS: dict[str, Callable[[ActionContext, AmiMessage], Awaitable[None]]] = {
    "queuestatus": queue_status,
    "queuesummary": queue_summary,
    "queuepause": queue_pause,
    "queueadd": queue_add,
    "queueremove": queue_remove,
    "queuepenalty": queue_penalty,
}
