"""Compiled flows and the catalog the engine reads them from.

A flow is compiled once (CEL programs, schedules) when it is loaded or published. The catalog hands
each new call a snapshot, so publishing a new version switches new calls at once while a call
already in progress finishes on the version it started with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from callcenter.ivr.conditions import Condition
from callcenter.ivr.loader import Problem, load_flow_file
from callcenter.ivr.model import Flow, HoursNode
from callcenter.ivr.schedule import CompiledSchedule, compile_schedule
from callcenter.ivr.validate import EXPRESSION_NAMES, CheckOptions, check_loaded, flow_files, node_expressions


class InvalidFlow(ValueError):
    """A flow that did not pass validation; ``problems`` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CompiledFlow:
    """A validated flow with its CEL programs and schedules ready to run."""

    flow: Flow
    version: str
    conditions: Mapping[tuple[str, tuple[str | int, ...]], Condition]
    schedules: Mapping[str, CompiledSchedule]

    @property
    def name(self) -> str:
        """The flow's name (what the AGI URL selects)."""
        return self.flow.name


def compile_flow(flow: Flow, version: str = "file") -> CompiledFlow:
    """Compile the expressions and schedules of a flow that passed validation."""
    conditions = {}
    schedules = {}
    for node_id, node in flow.nodes.items():
        for path, source in node_expressions(node):
            conditions[(node_id, path)] = Condition(source, EXPRESSION_NAMES)
        if isinstance(node, HoursNode):
            schedules[node_id] = compile_schedule(node.schedule)
    return CompiledFlow(flow, version, MappingProxyType(conditions), MappingProxyType(schedules))


class FlowCatalog:
    """The flows a running service serves, by name; swapped as a whole on publish."""

    def __init__(self, flows: Iterable[CompiledFlow] = ()) -> None:
        self._flows: Mapping[str, CompiledFlow] = MappingProxyType({f.name: f for f in flows})

    def snapshot(self) -> Mapping[str, CompiledFlow]:
        """The flows as they are now; later publishes do not change the returned mapping."""
        return self._flows

    def get(self, name: str) -> CompiledFlow | None:
        """The current version of one flow."""
        return self._flows.get(name)

    def publish(self, flow: CompiledFlow) -> None:
        """Serve this version of the flow to every call that starts from now on."""
        self._flows = MappingProxyType({**self._flows, flow.name: flow})

    @classmethod
    def from_directory(cls, directory: Path, options: CheckOptions = CheckOptions()) -> FlowCatalog:
        """Load and validate every flow file in a directory; raise InvalidFlow listing all problems."""
        loaded = [load_flow_file(path) for path in flow_files([directory])]
        names = frozenset(item.flow.name for item in loaded if item.flow is not None)
        scoped = CheckOptions(queues=options.queues, sounds_dir=options.sounds_dir, flows=names)
        problems = [p for item in loaded for p in check_loaded(item, scoped)]
        if problems:
            raise InvalidFlow(problems)
        return cls(compile_flow(item.flow) for item in loaded if item.flow is not None)
