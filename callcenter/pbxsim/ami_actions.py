"""AMI actions of the simulated Asterisk, replying with the fields, order and framing of Asterisk 22.

Replies carry the action's ActionID (exactly as sent) right after `Response:`, and none when the
action had none. List actions answer `EventList: start`, then items, then `...Complete` with
`ListItems`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.pbxsim.config import AmiUser
from callcenter.pbxsim.pbx import ActionError, parse_callerid
from callcenter.pbxsim.truth import CallSpec
from callcenter.telephony.ami.codec import AmiMessage, encode_message

if TYPE_CHECKING:
    from callcenter.pbxsim.ami_server import AmiServer, AmiSession
    from callcenter.pbxsim.pbx import Pbx

Headers = list[tuple[str, str]]

# Write classes an action needs (any one of them); actions not listed need none.
WRITE_CLASSES = {
    "originate": {"originate"},
    "redirect": {"call"},
    "blindtransfer": {"call"},
    "hangup": {"system", "call"},
    "queuepause": {"agent"},
    "queueadd": {"agent"},
    "queueremove": {"agent"},
    "queuepenalty": {"agent"},
    "coreshowchannels": {"system", "reporting"},
    "status": {"system", "call", "reporting"},
    "getvar": {"call", "reporting"},
    "setvar": {"call"},
    "command": {"command"},
}


@dataclass
class ActionContext:
    """What an action handler works with."""

    server: AmiServer
    session: AmiSession

    @property
    def pbx(self) -> Pbx:
        """The simulated Asterisk."""
        return self.server.pbx


def _id(message: AmiMessage) -> Headers:
    action_id = message.action_id
    return [] if action_id is None else [("ActionID", action_id)]


def reply(ctx: ActionContext, message: AmiMessage, response: str, *fields: tuple[str, str]) -> None:
    """`Response:` + ActionID + fields."""
    ctx.session.send([("Response", response), *_id(message), *fields])


def error(ctx: ActionContext, message: AmiMessage, text: str) -> None:
    """`Response: Error` with Asterisk's message."""
    reply(ctx, message, "Error", ("Message", text))


def send_list(
    ctx: ActionContext, message: AmiMessage, intro: str, items: list[tuple[str, Headers, bool]], complete: str
) -> None:
    """EventList start, the items (ActionID first or last, as Asterisk places it), the Complete event."""
    out = [encode_message([("Response", "Success"), *_id(message), ("EventList", "start"), ("Message", intro)])]
    for name, fields, id_first in items:
        if id_first:
            out.append(encode_message([("Event", name), *_id(message), *fields]))
        else:
            out.append(encode_message([("Event", name), *fields, *_id(message)]))
    out.append(
        encode_message([("Event", complete), *_id(message), ("EventList", "Complete"), ("ListItems", str(len(items)))])
    )
    ctx.session.write(b"".join(out))


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "yes", "1", "on")


# ---------------------------------------------------------------------- session actions


async def challenge(ctx: ActionContext, message: AmiMessage) -> None:
    """Challenge for an MD5 login (`Key` = md5(challenge + secret))."""
    if (message.get("AuthType") or "").lower() != "md5":
        error(ctx, message, "Must specify AuthType")
        return
    ctx.session.challenge = f"{secrets.randbelow(10**9):09d}"
    reply(ctx, message, "Success", ("Challenge", ctx.session.challenge))


def _authenticated(ctx: ActionContext, message: AmiMessage, user: AmiUser) -> bool:
    if (message.get("AuthType") or "").lower() == "md5":
        if not ctx.session.challenge:
            return False
        expected = hashlib.md5((ctx.session.challenge + user.secret).encode(), usedforsecurity=False).hexdigest()
        return hmac.compare_digest(expected.encode(), (message.get("Key") or "").lower().encode(errors="replace"))
    return hmac.compare_digest(user.secret.encode(), (message.get("Secret") or "").encode(errors="replace"))


async def login(ctx: ActionContext, message: AmiMessage) -> None:
    """Login with a plain secret or the key of an MD5 challenge."""
    session, server = ctx.session, ctx.server
    if session.user is not None:
        reply(ctx, message, "Success", ("Message", "Already authenticated"))
        return
    username = message.get("Username", "") or ""
    user = next((u for u in server.pbx.config.users if u.username == username), None)
    if user is None or not _authenticated(ctx, message, user):
        event = "InvalidAccountID" if user is None else "InvalidPassword"
        server.security_event(event, session, username, [])
        await asyncio.sleep(server.pbx.config.login_failure_delay)
        error(ctx, message, "Authentication failed")
        session.close()
        return
    reply(ctx, message, "Success", ("Message", "Authentication accepted"))
    session.login(user, message.get("Events"))
    uptime = str(ctx.pbx.uptime)
    if "system" in session.event_classes:
        session.send(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", uptime),
                ("LastReload", uptime),
                ("Status", "Fully Booted"),
            ]
        )
    server.security_event("SuccessfulAuth", session, username, [("UsingPassword", "0")])


async def logoff(ctx: ActionContext, message: AmiMessage) -> None:
    """Goodbye, then close."""
    reply(ctx, message, "Goodbye", ("Message", "Thanks for all the fish."))
    ctx.session.close()


async def ping(ctx: ActionContext, message: AmiMessage) -> None:
    """Pong with the current time."""
    reply(ctx, message, "Success", ("Ping", "Pong"), ("Timestamp", f"{ctx.pbx.clock.now():.6f}"))


async def events(ctx: ActionContext, message: AmiMessage) -> None:
    """Change the event filter of the session."""
    ctx.session.set_events(message.get("EventMask"))
    reply(ctx, message, "Success", ("Events", "On" if ctx.session.event_classes else "Off"))


# ---------------------------------------------------------------------- calls


async def originate(ctx: ActionContext, message: AmiMessage) -> None:
    """Originate `Local/s@customer` into the IVR; the variables steer the simulated caller."""
    channel = message.get("Channel")
    if not channel:
        error(ctx, message, "Channel not specified")
        return
    if not channel.startswith("Local/") or not channel.endswith("@customer"):
        error(ctx, message, "Originate failed")
        return
    variables: list[tuple[str, str]] = []
    for item in message.get_all("Variable"):
        for part in item.split(","):
            name, _, value = part.partition("=")
            if name.strip():
                variables.append((name.strip(), value))
    plain = {name.lstrip("_"): value for name, value in variables}
    num, name = parse_callerid(message.get("CallerID") or "")
    hold = plain.get("HOLD", "")
    try:
        spec = CallSpec(
            caller_num=num,
            caller_name=name,
            choice=plain.get("CHOICE", ""),
            account=plain.get("ACCOUNT", ""),
            hold=float(hold) if hold else 30.0,
            mode=plain.get("CUSTMODE") or "normal",
            variables=variables,
        )
    except ValueError:
        error(ctx, message, "Originate failed")
        return
    reply(ctx, message, "Success", ("Message", "Originate successfully queued"))
    ctx.pbx.originate(spec, action_id=message.action_id)


async def hangup(ctx: ActionContext, message: AmiMessage) -> None:
    """Hang up a channel."""
    channel = message.get("Channel")
    if not channel:
        error(ctx, message, "No channel specified")
        return
    ctx.pbx.hangup_channel(channel)
    reply(ctx, message, "Success", ("Message", "Channel Hungup"))


async def redirect(ctx: ActionContext, message: AmiMessage) -> None:
    """Send a connected caller elsewhere in the dialplan."""
    channel, context, exten = message.get("Channel"), message.get("Context"), message.get("Exten")
    if not channel:
        error(ctx, message, "Channel not specified")
        return
    if not context or not exten:
        error(ctx, message, "Context and Exten must be specified")
        return
    ctx.pbx.redirect(channel, context, exten)
    reply(ctx, message, "Success", ("Message", "Redirect successful"))


async def blind_transfer(ctx: ActionContext, message: AmiMessage) -> None:
    """Blind transfer of the channel's bridge peer."""
    channel, context, exten = message.get("Channel"), message.get("Context"), message.get("Exten")
    if not channel:
        error(ctx, message, "No channel specified")
        return
    if not exten:
        error(ctx, message, "No extension specified")
        return
    ctx.pbx.blind_transfer(channel, context or "transfer", exten)
    reply(ctx, message, "Success", ("Message", "Transfer succeeded"))


async def getvar(ctx: ActionContext, message: AmiMessage) -> None:
    """Read a channel or global variable."""
    variable = message.get("Variable")
    if not variable:
        error(ctx, message, "No variable specified")
        return
    channel = message.get("Channel")
    if channel:
        found = ctx.pbx.find_channel(channel)
        if found is None:
            error(ctx, message, "No such channel")
            return
        value = found[1].variables.get(variable, "")
    else:
        value = ctx.pbx.globals.get(variable, "")
    reply(ctx, message, "Success", ("Variable", variable), ("Value", value))


async def setvar(ctx: ActionContext, message: AmiMessage) -> None:
    """Set a channel or global variable."""
    variable = message.get("Variable")
    if not variable:
        error(ctx, message, "No variable specified")
        return
    value = message.get("Value") or ""
    channel = message.get("Channel")
    if channel:
        found = ctx.pbx.find_channel(channel)
        if found is None:
            error(ctx, message, "No such channel")
            return
        ctx.pbx.events.varset(found[1], variable, value)
    else:
        ctx.pbx.globals[variable] = value
    reply(ctx, message, "Success", ("Message", "Variable Set"))


async def status(ctx: ActionContext, message: AmiMessage) -> None:
    """Status of every live channel (or of one)."""
    wanted = message.get("Channel")
    now = ctx.pbx.clock.now()
    items = []
    for ch in ctx.pbx.channels():
        if wanted and ch.name != wanted:
            continue
        fields = [
            *ch.snapshot(),
            ("Type", "Local"),
            ("DNID", ""),
            ("EffectiveConnectedLineNum", ch.conn_num or "<unknown>"),
            ("EffectiveConnectedLineName", ch.conn_name or "<unknown>"),
            ("TimeToHangup", "0"),
            ("BridgeID", ch.bridge_id),
            ("Application", ch.application),
            ("Data", ch.app_data),
            ("Nativeformats", "(slin)"),
            ("Readformat", "slin"),
            ("Readtrans", ""),
            ("Writeformat", "slin"),
            ("Writetrans", ""),
            ("Callgroup", "0"),
            ("Pickupgroup", "0"),
            ("Seconds", str(int(now - ch.created))),
        ]
        items.append(("Status", fields, False))
    if wanted and not items:
        error(ctx, message, "No such channel")
        return
    send_list(ctx, message, "Channel status will follow", items, "StatusComplete")


async def core_show_channels(ctx: ActionContext, message: AmiMessage) -> None:
    """Every live channel, newest first, as CoreShowChannel items."""
    now = ctx.pbx.clock.now()
    items = []
    for ch in reversed(ctx.pbx.channels()):
        seconds = int(now - ch.created)
        duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        fields = [
            *ch.snapshot(),
            ("Application", ch.application),
            ("ApplicationData", ch.app_data),
            ("Duration", duration),
            ("BridgeId", ch.bridge_id),
        ]
        items.append(("CoreShowChannel", fields, True))
    send_list(ctx, message, "Channels will follow", items, "CoreShowChannelsComplete")


async def command(ctx: ActionContext, message: AmiMessage) -> None:
    """A few CLI commands: `core show version`, `core restart now`."""
    text = " ".join((message.get("Command") or "").split())
    if text == "core show version":
        reply(ctx, message, "Success", ("Message", "Command output follows"), ("Output", ctx.pbx.config.version))
        return
    if text in ("core restart now", "core restart gracefully"):
        reply(ctx, message, "Success", ("Message", "Command output follows"), ("Output", ""))
        ctx.server.schedule_restart()
        return
    words = text.split()
    hint = " ".join(words[:-1]) if len(words) > 1 else text
    reply(
        ctx,
        message,
        "Error",
        ("Message", "Command output follows"),
        ("Output", f"No such command '{text}' (type 'core show help {hint}' for other possible commands)"),
    )


HANDLERS: dict[str, Callable[[ActionContext, AmiMessage], Awaitable[None]]] = {
    "login": login,
    "challenge": challenge,
    "logoff": logoff,
    "ping": ping,
    "events": events,
    "originate": originate,
    "hangup": hangup,
    "redirect": redirect,
    "blindtransfer": blind_transfer,
    "getvar": getvar,
    "setvar": setvar,
    "status": status,
    "coreshowchannels": core_show_channels,
    "command": command,
}


async def handle_action(ctx: ActionContext, message: AmiMessage) -> None:
    """Check the session may run the action, then run it; Asterisk's error texts on refusal."""
    from callcenter.pbxsim.ami_queue_actions import QUEUE_HANDLERS

    name = (message.get("Action") or "").strip()
    key = name.lower()
    session = ctx.session
    if not name:
        error(ctx, message, "Missing action in request")
        account = session.user.username if session.user else ""
        ctx.server.security_event("RequestBadFormat", session, account, [("RequestType", "Action: NONE")])
        return
    if session.user is None and key not in ("login", "logoff", "challenge"):
        ctx.server.security_event("RequestNotAllowed", session, "", [("RequestType", f"Action: {name}")])
        error(ctx, message, "Permission denied")
        return
    handler = HANDLERS.get(key) or QUEUE_HANDLERS.get(key)
    if handler is None:
        account = session.user.username if session.user else ""
        ctx.server.security_event("RequestBadFormat", session, account, [("RequestType", f"Action: {name}")])
        error(ctx, message, f"Invalid/unknown command: {name}. Use Action: ListCommands to show available commands.")
        return
    needed = WRITE_CLASSES.get(key)
    if needed and session.user is not None and not (needed & session.user.write):
        ctx.server.security_event(
            "RequestNotAllowed", session, session.user.username, [("RequestType", f"Action: {name}")]
        )
        error(ctx, message, "Permission denied")
        return
    try:
        await handler(ctx, message)
    except ActionError as exc:
        error(ctx, message, str(exc))
