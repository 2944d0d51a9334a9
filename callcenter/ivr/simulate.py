"""Run a flow offline: a scripted caller implementing the call port, a fake clock, fixture customers.

The script is a list of entries, one per moment the flow waits for keys (a menu attempt, a digit
entry, a confirmation, a survey question): ``"1,4321#,,2"`` presses 1, types 4321 then #, stays
silent once, presses 2. ``h`` hangs up, alone or inside an entry (``12h``: types 1, 2 and hangs up).
When the script runs out, the caller stays silent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.engine import IvrEngine, SessionResult
from callcenter.ivr.port import CallerHungUp, SayKind
from callcenter.ivr.services import Customer, CustomerDirectory, IvrEvent, IvrServices, KeptCallbacks, KeptSurveys
from callcenter.ivr.session import Outcome

HANG_UP = "h"
# How a case names the way the caller left a queue, and the QUEUESTATUS Asterisk would set.
QUEUE_RESULTS = {
    "answered": "CONTINUE",
    "timeout": "TIMEOUT",
    "full": "FULL",
    "empty": "JOINEMPTY",
    "left": "EXITWITHKEY",
}


def parse_digits(script: str) -> list[str]:
    """Split ``"1,4321#"`` into entries; an empty script means a silent caller."""
    return [entry.strip() for entry in script.split(",")] if script else []


class ScriptedCaller:
    """A caller who answers each prompt from a script and keeps a record of what they heard."""

    def __init__(
        self,
        caller_number: str,
        digits: list[str],
        *,
        caller_name: str | None = None,
        channel_variables: dict[str, str] | None = None,
    ) -> None:
        self.caller_number = caller_number
        self.caller_name = caller_name
        self.channel: str | None = None
        self.linkedid: str | None = None
        self.script = list(digits)
        self.variables: dict[str, str] = dict(channel_variables or {})
        self.prompts: list[str] = []
        self.applications: list[tuple[str, str]] = []
        self.hung_up = False
        # The rest of the entry the caller is typing key by key ("" once they stopped), None when not typing.
        self._typing: str | None = None

    def _next_entry(self) -> str:
        if self.hung_up:
            raise CallerHungUp
        if not self.script:
            return ""
        entry = self.script.pop(0)
        if entry == HANG_UP:
            self.hung_up = True
            raise CallerHungUp
        return entry

    def _alive(self) -> None:
        if self.hung_up:
            raise CallerHungUp
        self._typing = None

    async def play(self, prompt: str, interrupt_digits: str = "") -> str | None:
        """Record the prompt; a caller whose next entry starts with an allowed key presses it."""
        self._alive()
        self.prompts.append(prompt)
        if not interrupt_digits:
            return None
        if self.script and self.script[0] not in (HANG_UP, "") and self.script[0][0] not in interrupt_digits:
            return None
        entry = self._next_entry()
        self._typing = entry[1:]
        return entry[0] if entry else None

    async def collect(self, prompt: str, *, max_digits: int, timeout_s: float) -> str | None:
        """Record the prompt and type the next entry, stopping at # or max_digits like GET DATA."""
        self._alive()
        self.prompts.append(prompt)
        entry = self._next_entry()
        if entry == "":
            return None
        typed = entry.split("#", 1)[0][:max_digits]
        if HANG_UP in typed:
            self.hung_up = True
            raise CallerHungUp
        return typed

    async def wait_digit(self, timeout_s: float) -> str | None:
        """The next key of the entry being typed (None once it is used up), else the first key of the next entry."""
        typing = self._typing
        self._alive()
        if typing is not None:
            if typing.startswith(HANG_UP):
                self.hung_up = True
                raise CallerHungUp
            self._typing = typing[1:] if typing else None
            return typing[0] if typing else None
        entry = self._next_entry()
        self._typing = entry[1:] if entry else None
        return entry[0] if entry else None

    async def say(self, kind: SayKind, value: str) -> None:
        """Record what Asterisk would say."""
        self._alive()
        self.prompts.append(f"say:{kind}:{value}")

    async def set_variable(self, name: str, value: str) -> None:
        """Keep the channel variable."""
        self.variables[name] = value

    async def get_variable(self, name: str) -> str | None:
        """A channel variable set earlier or given by the case."""
        return self.variables.get(name)

    async def run_application(self, app: str, args: str = "") -> str:
        """Record the application; in simulation it does nothing and succeeds."""
        self._alive()
        self.applications.append((app, args))
        return "0"

    async def hangup(self) -> None:
        """The IVR hangs up."""
        self._alive()
        self.hung_up = True


class FixtureCustomers:
    """Customers from a fixture list (``id``, ``name``, ``phone``, ``account``, ``segment`` ...)."""

    def __init__(self, customers: list[Customer]) -> None:
        self._customers = customers

    async def find_by_phone(self, number: str) -> Customer | None:
        """The first customer whose phone matches (digits compared, so +1 555 and +1555 agree)."""
        wanted = "".join(ch for ch in number if ch.isdigit())
        for customer in self._customers:
            phones = customer.get("phones") or [customer.get("phone")]
            if any(wanted and wanted == "".join(ch for ch in str(p or "") if ch.isdigit()) for p in phones):
                return dict(customer)
        return None

    async def find_by_account(self, account: str) -> Customer | None:
        """The customer with this account number."""
        return next((dict(c) for c in self._customers if str(c.get("account")) == account), None)


class FixedClock:
    """A clock stuck at one instant (what --time sets)."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.at


@dataclass
class Simulation:
    """Everything one simulated call did."""

    path: list[str]
    prompts: list[str]
    inputs: list[dict[str, Any]]
    variables: dict[str, str]
    outcome: Outcome
    channel_variables: dict[str, str]
    callbacks: list[Any] = field(default_factory=list)
    surveys: list[Any] = field(default_factory=list)
    events: list[IvrEvent] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``flows simulate --json``."""
        return {
            "path": self.path,
            "prompts": self.prompts,
            "inputs": self.inputs,
            "variables": self.variables,
            "outcome": self.outcome.as_dict(),
        }


async def simulate(
    catalog: FlowCatalog,
    flow_name: str,
    *,
    caller: str,
    digits: list[str],
    at: dt.datetime,
    customers: CustomerDirectory | list[Customer] | None = None,
    queue_results: list[str] | None = None,
    channel_variables: dict[str, str] | None = None,
) -> Simulation:
    """Run one scripted call; after a queue, each entry of ``queue_results`` resumes the flow.

    ``customers`` is a directory (the repository) or a list of fixture customers.
    """
    callbacks, surveys, events = KeptCallbacks(), KeptSurveys(), []
    services = IvrServices(
        customers=customers
        if customers is not None and not isinstance(customers, list)
        else FixtureCustomers(customers or []),
        callbacks=callbacks,
        surveys=surveys,
        clock=FixedClock(at),
        on_event=events.append,
    )
    engine = IvrEngine(catalog, services)
    port = ScriptedCaller(caller, digits, channel_variables=channel_variables)
    results: list[SessionResult] = [await engine.run(port, flow_name)]
    pending = list(queue_results or [])
    while pending and "resume" in results[-1].outcome.details:
        how = pending.pop(0)
        if how not in QUEUE_RESULTS:
            raise ValueError(f"unknown queue result {how!r} (use {', '.join(QUEUE_RESULTS)})")
        port.variables["QUEUESTATUS"] = QUEUE_RESULTS[how]
        resume = str(results[-1].outcome.details["resume"])
        results.append(await engine.run(port, flow_name, resume_at=resume))
    last = results[-1]
    return Simulation(
        path=[node for result in results for node in result.path],
        prompts=port.prompts,
        inputs=[entry for result in results for entry in result.inputs],
        variables=last.variables,
        outcome=last.outcome,
        channel_variables=port.variables,
        callbacks=callbacks.requests,
        surveys=surveys.results,
        events=events,
    )
