"""Simulation cases and coverage: which nodes, menu options, timeouts and invalid paths a set of cases exercises.

A cases file names a flow, optional fixture customers, and a list of scripted calls; each case may
state what it expects (outcome fields, nodes on the path, variables), so the file doubles as a test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

from callcenter.ivr.catalog import CompiledFlow, FlowCatalog
from callcenter.ivr.model import CollectNode, MenuNode
from callcenter.ivr.simulate import Simulation, parse_digits, simulate


class Expectation(BaseModel):
    """What a case expects; every field given must match."""

    model_config = ConfigDict(extra="forbid")

    outcome: dict[str, Any] | None = Field(None, description="Fields the outcome must have, e.g. {action: queue}")
    path_includes: list[str] = Field(default_factory=list)
    variables: dict[str, str] = Field(default_factory=dict)
    callbacks: int | None = None
    low_survey: bool | None = None


class SimulationCase(BaseModel):
    """One scripted call."""

    model_config = ConfigDict(extra="forbid")

    name: str
    caller: str = "+15550100100"
    digits: str = ""
    time: dt.datetime
    queue_results: list[str] = Field(default_factory=list)
    channel: dict[str, str] = Field(default_factory=dict)
    expect: Expectation | None = None


class CaseFile(BaseModel):
    """A flow's simulation cases."""

    model_config = ConfigDict(extra="forbid")

    flow: str
    customers: list[dict[str, Any]] = Field(default_factory=list)
    cases: list[SimulationCase] = Field(min_length=1)


def load_cases(path: Path) -> CaseFile:
    """Read a cases file (YAML)."""
    yaml = YAML(typ="safe", pure=True)
    return CaseFile.model_validate(yaml.load(path.read_text(encoding="utf-8")))


def mismatches(case: SimulationCase, result: Simulation) -> list[str]:
    """How the simulated call differs from what the case expects."""
    expect = case.expect
    if expect is None:
        return []
    problems = []
    outcome = result.outcome.as_dict()
    for key, wanted in (expect.outcome or {}).items():
        if outcome.get(key) != wanted:
            problems.append(f"outcome {key} is {outcome.get(key)!r}, expected {wanted!r}")
    problems += [f"path does not include {node!r}" for node in expect.path_includes if node not in result.path]
    for name, wanted in expect.variables.items():
        if result.variables.get(name) != wanted:
            problems.append(f"variable {name} is {result.variables.get(name)!r}, expected {wanted!r}")
    if expect.callbacks is not None and len(result.callbacks) != expect.callbacks:
        problems.append(f"{len(result.callbacks)} callbacks booked, expected {expect.callbacks}")
    if expect.low_survey is not None:
        low = any(s.low for s in result.surveys)
        if low != expect.low_survey:
            problems.append(f"low survey score flagged: {low}, expected {expect.low_survey}")
    return problems


def coverage_items(flow: CompiledFlow) -> list[str]:
    """Everything a complete set of cases should exercise in this flow (other flows have their own cases)."""
    items = []
    for node_id, node in flow.flow.nodes.items():
        items.append(f"node {node_id}")
        if isinstance(node, MenuNode):
            items += [f"{node_id} option {digit}" for digit in node.options]
        if isinstance(node, MenuNode | CollectNode):
            items += [f"{node_id} no input", f"{node_id} invalid input"]
    return items


def exercised(result: Simulation) -> set[str]:
    """The coverage items one simulated call touched."""
    seen = {f"node {label}" for label in result.path}
    for entry in result.inputs:
        if entry["kind"] not in ("menu", "digits"):
            continue
        if entry["result"] == "ok" and entry["kind"] == "menu":
            seen.add(f"{entry['node']} option {entry['value']}")
        elif entry["result"] == "no_input":
            seen.add(f"{entry['node']} no input")
        elif entry["result"] == "invalid":
            seen.add(f"{entry['node']} invalid input")
    return seen


@dataclass
class CoverageReport:
    """Coverage of one flow by a cases file, and the cases whose expectations failed."""

    flow: str
    items: list[str]
    seen: set[str]
    failures: dict[str, list[str]] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """Items no case exercised, in flow order."""
        return [item for item in self.items if item not in self.seen]

    @property
    def ok(self) -> bool:
        """Every item exercised and every expectation met."""
        return not self.missing and not self.failures


async def run_cases(catalog: FlowCatalog, cases: CaseFile) -> CoverageReport:
    """Simulate every case of a file and measure what they cover."""
    flow = catalog.get(cases.flow)
    if flow is None:
        raise LookupError(f"no flow named {cases.flow!r}")
    report = CoverageReport(cases.flow, coverage_items(flow), set())
    for case in cases.cases:
        result = await simulate(
            catalog,
            cases.flow,
            caller=case.caller,
            digits=parse_digits(case.digits),
            at=case.time,
            customers=cases.customers,
            queue_results=case.queue_results,
            channel_variables=case.channel,
        )
        report.seen |= exercised(result)
        problems = mismatches(case, result)
        if problems:
            report.failures[case.name] = problems
    return report
