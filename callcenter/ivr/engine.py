"""The IVR engine: runs one flow for one call through a :class:`CallPort`.

``IvrEngine.run`` is awaited by the task that owns the call (one task per call). It walks the
nodes, records the path and the caller's inputs, emits :class:`IvrEvent` s and returns a
:class:`SessionResult` whose ``outcome`` says what the dialplan should do next (queue, transfer,
voicemail, hang up). A caller hanging up at any point ends the session cleanly with the path kept.

Queues: the engine does not sit in the queue itself. It sets ``IVR_ACTION=queue``, ``IVR_QUEUE``,
``QUEUE_PRIO``, ``IVR_QUEUE_TIMEOUT`` and ends; the dialplan runs ``Queue()``. When the queue node
has continuations (timeout, full ...), it also sets ``IVR_RESUME`` to the node id and the saved state,
and the dialplan calls the flow again with ``resume_at`` set: the engine reads ``QUEUESTATUS`` and
carries on from there.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.port import CallerHungUp, CallPort
from callcenter.ivr.services import IvrServices
from callcenter.ivr.session import Outcome, Session
from callcenter.ivr.steps import resume_from_queue, run_node

log = logging.getLogger(__name__)
MAX_STEPS = 1000


@dataclass
class SessionResult:
    """What one IVR session did: nodes visited, caller inputs, variables, outcome."""

    session_id: str
    flow: str
    version: str
    path: list[str]
    inputs: list[dict[str, Any]]
    variables: dict[str, str]
    customer: dict[str, Any] | None
    outcome: Outcome


class UnknownFlow(LookupError):
    """No flow of that name is published."""


class IvrEngine:
    """Runs flows from a catalog; one ``run`` per call."""

    def __init__(self, catalog: FlowCatalog, services: IvrServices | None = None) -> None:
        self.catalog = catalog
        self.services = services or IvrServices()

    async def run(
        self,
        port: CallPort,
        flow_name: str,
        *,
        resume_at: str | None = None,
    ) -> SessionResult:
        """Run ``flow_name`` for the call behind ``port`` until it hands the call on or the caller leaves."""
        flows = self.catalog.snapshot()
        flow = flows.get(flow_name)
        if flow is None:
            raise UnknownFlow(flow_name)
        session = Session(self.services, port, flows, flow)
        await session.emit("ivr_started", None, version=flow.version, resume_at=resume_at)
        node_id: str | None = None
        try:
            if resume_at is not None:
                step: str | Outcome = await resume_from_queue(session, resume_at)
            else:
                step = flow.flow.entry
            for _ in range(MAX_STEPS):
                if isinstance(step, Outcome):
                    break
                node_id = step
                session.path.append(session.label(node_id))
                await session.emit("node_entered", session.label(node_id))
                step = await run_node(session, node_id)
            else:
                step = Outcome("error", {"reason": "too many steps", "node": session.label(node_id or "")})
            outcome = step
        except CallerHungUp:
            outcome = Outcome("caller_hangup", {"node": session.label(node_id) if node_id else None})
        except asyncio.CancelledError:
            # The service is stopping: still tell the call tracker where the caller was, then stop.
            at = {"reason": "cancelled", "node": session.label(node_id) if node_id else None}
            await session.emit("ivr_ended", None, outcome={"action": "error", **at}, path=list(session.path))
            raise
        except Exception as error:
            log.exception("IVR flow %s failed at node %s", flow_name, node_id)
            outcome = Outcome(
                "error", {"reason": type(error).__name__, "node": session.label(node_id) if node_id else None}
            )
            await _best_effort_mark_error(port)
        await session.emit("ivr_ended", None, outcome=outcome.as_dict(), path=list(session.path))
        return SessionResult(
            session_id=session.id,
            flow=flow.name,
            version=flow.version,
            path=session.path,
            inputs=session.inputs,
            variables=session.variables,
            customer=session.customer,
            outcome=outcome,
        )


async def _best_effort_mark_error(port: CallPort) -> None:
    """Tell the dialplan the IVR failed so it can fall back; the caller may already be gone."""
    try:
        await port.set_variable("IVR_ACTION", "error")
    except Exception:
        log.debug("could not set IVR_ACTION=error", exc_info=True)
