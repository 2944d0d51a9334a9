"""The state of one call inside the IVR, shared by the engine and the node steps."""

from __future__ import annotations

import inspect
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from callcenter.ivr.catalog import CompiledFlow
from callcenter.ivr.model import WEEKDAYS
from callcenter.ivr.port import CallPort
from callcenter.ivr.services import EventKind, IvrEvent, IvrServices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How the IVR session ended and what the dialplan should do."""

    action: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The outcome as ``{"action": ..., **details}``."""
        return {"action": self.action, **self.details}


class Session:
    """The state of one call inside the IVR; node steps read and change it."""

    def __init__(
        self,
        services: IvrServices,
        port: CallPort,
        flows: Mapping[str, CompiledFlow],
        flow: CompiledFlow,
    ) -> None:
        self.port = port
        self.services = services
        self.flows = flows
        self.root = flow
        self.flow = flow
        self.id = uuid.uuid4().hex
        self.path: list[str] = []
        self.inputs: list[dict[str, Any]] = []
        self.variables: dict[str, str] = {}
        self.customer: dict[str, Any] | None = None
        self.returns: list[tuple[CompiledFlow, str]] = []

    def label(self, node_id: str) -> str:
        """The node as recorded in the path: bare in the main flow, ``flow/node`` inside another."""
        return node_id if self.flow is self.root else f"{self.flow.name}/{node_id}"

    def context(self) -> dict[str, Any]:
        """What CEL expressions see."""
        now = self.services.clock().astimezone(ZoneInfo(self.services.timezone))
        return {
            "caller": {"number": self.port.caller_number, "name": self.port.caller_name or ""},
            "customer": {"found": False} if self.customer is None else {"found": True, **self.customer},
            "vars": dict(self.variables),
            "time": {
                "iso": now.isoformat(),
                "epoch": int(now.timestamp()),
                "date": now.date().isoformat(),
                "hour": now.hour,
                "minute": now.minute,
                "weekday": WEEKDAYS[now.weekday()],
            },
        }

    async def emit(self, kind: EventKind, node: str | None = None, /, **data: Any) -> None:
        """Send an IVR event; a failing consumer is logged and never breaks the call."""
        sink = self.services.on_event
        if sink is None:
            return
        event = IvrEvent(
            kind=kind,
            session_id=self.id,
            flow=self.root.name,
            linkedid=self.port.linkedid,
            channel=self.port.channel,
            caller_number=self.port.caller_number,
            at=self.services.clock(),
            node=node,
            data=data,
        )
        try:
            result = sink(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("IVR event consumer failed", extra={"event_kind": kind})

    async def record_input(self, node_id: str, kind: str, value: str | None, result: str) -> None:
        """Keep a caller input in the session record and announce it."""
        entry = {"node": self.label(node_id), "kind": kind, "value": value, "result": result}
        self.inputs.append(entry)
        await self.emit("input_collected", self.label(node_id), kind=kind, value=value, result=result)

    async def warn(self, node_id: str, message: str, **data: Any) -> None:
        """Report something the flow author should fix (an expression that failed) without stopping the call."""
        log.warning("IVR flow %s node %s: %s", self.flow.name, node_id, message)
        await self.emit("node_warning", self.label(node_id), message=message, **data)

    async def play_all(self, prompts: str | list[str], interrupt: str = "") -> str | None:
        """Play prompts in turn; stop at the first key in ``interrupt`` and return it."""
        for prompt in [prompts] if isinstance(prompts, str) else prompts:
            key = await self.port.play(prompt, interrupt)
            if key:
                return key
        return None

    async def export_state(self) -> None:
        """Copy flow variables to the channel (``IVR_<NAME>``) for the dialplan and the agent's phone."""
        for name, value in self.variables.items():
            await self.port.set_variable(f"IVR_{name.upper()}", value)


def encode_state(session: Session) -> str:
    """The variables and customer, as one compact JSON line kept on the channel while queued."""
    return json.dumps({"vars": session.variables, "customer": session.customer}, separators=(",", ":"))


def decode_state(session: Session, text: str | None) -> None:
    """Restore what :func:`encode_state` saved; bad or missing state leaves the session empty."""
    try:
        state = json.loads(text or "{}")
    except ValueError:
        return
    if isinstance(state.get("vars"), dict):
        session.variables = {str(k): str(v) for k, v in state["vars"].items()}
    if isinstance(state.get("customer"), dict):
        session.customer = state["customer"]
