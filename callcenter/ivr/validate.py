"""Check flows beyond their types: targets, reachability, traps, CEL, queues, schedules, prompts.

Every problem points at the key or value at fault, as ``file:line:col: message``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from callcenter.ivr.conditions import Condition, ConditionError
from callcenter.ivr.loader import LoadedFlow, PathKey, Problem, SourceMap, load_flow_file
from callcenter.ivr.model import (
    BranchNode,
    CallbackNode,
    CollectNode,
    Flow,
    GotoNode,
    HoursNode,
    QueueNode,
    SayNode,
    SetNode,
    SubflowNode,
    SurveyNode,
    ends_call_by_default,
    node_targets,
)
from callcenter.ivr.schedule import ScheduleError, compile_schedule

POSITION_SOUNDS = ("queue-youarenext", "queue-thereare", "queue-callswaiting")
WAIT_SOUNDS = ("queue-holdtime", "queue-minutes")
EXPRESSION_NAMES = frozenset({"caller", "customer", "vars", "time"})
_PROMPT_FIELDS = (
    "prompt",
    "invalid_prompt",
    "no_input_prompt",
    "offer_prompt",
    "confirm_prompt",
    "enter_prompt",
    "done_prompt",
    "thanks_prompt",
)


@dataclass(frozen=True)
class CheckOptions:
    """What the checker knows about the installation; None means "do not check"."""

    queues: frozenset[str] | None = None
    sounds_dir: Path | None = None
    flows: frozenset[str] | None = None


def node_expressions(node: BaseModel) -> list[tuple[PathKey, str]]:
    """Every CEL expression in a node with its field path."""
    if isinstance(node, BranchNode):
        return [(("cases", i, "when"), case.when) for i, case in enumerate(node.cases)]
    if isinstance(node, SayNode):
        return [(("value",), node.value)]
    if isinstance(node, SetNode):
        return [(("expressions", name), expr) for name, expr in node.expressions.items()]
    return []


def node_prompts(node: BaseModel) -> list[tuple[PathKey, str]]:
    """Every sound name a node plays, with its field path."""
    out: list[tuple[PathKey, str]] = []
    for name in _PROMPT_FIELDS:
        value = getattr(node, name, None)
        if isinstance(value, str):
            out.append(((name,), value))
        elif isinstance(value, list):
            out += [((name, i), item) for i, item in enumerate(value)]
    if isinstance(node, SurveyNode):
        out += [(("questions", i, "prompt"), q.prompt) for i, q in enumerate(node.questions)]
    if isinstance(node, QueueNode):
        # The engine's own announcements need Asterisk's queue sounds.
        if node.announce_position:
            out += [(("announce_position",), name) for name in POSITION_SOUNDS]
        if node.announce_wait:
            out += [(("announce_wait",), name) for name in WAIT_SOUNDS]
    return out


def _expression_position(source: SourceMap, path: PathKey, error: ConditionError) -> tuple[int, int]:
    """Where the character CEL complained about sits in the file, given how the scalar was written."""
    line, col = source.value(path)
    style = source.styles.get(path, "")
    if style in ("|", ">"):
        # The block starts on the line after the indicator; its first line sets the indentation.
        first = source.lines[line] if line < len(source.lines) else ""
        return line + error.line, len(first) - len(first.lstrip()) + error.column
    if error.line > 1:
        return line + error.line - 1, error.column
    return line, col + (1 if style in ('"', "'") else 0) + error.column - 1


def _reachable(flow: Flow) -> set[str]:
    seen = {flow.entry} if flow.entry in flow.nodes else set()
    todo = deque(seen)
    while todo:
        for _, target in node_targets(flow.nodes[todo.popleft()]):
            if target in flow.nodes and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _can_leave(flow: Flow) -> set[str]:
    """Nodes from which some path reaches a node that can end the session."""
    parents: dict[str, set[str]] = {node_id: set() for node_id in flow.nodes}
    for node_id, node in flow.nodes.items():
        for _, target in node_targets(node):
            if target in parents:
                parents[target].add(node_id)
    # A dangling target is reported on its own; do not also call its node a trap.
    exits = {
        node_id
        for node_id, node in flow.nodes.items()
        if ends_call_by_default(node) or any(t not in flow.nodes for _, t in node_targets(node))
    }
    todo = deque(exits)
    while todo:
        for parent in parents[todo.popleft()]:
            if parent not in exits:
                exits.add(parent)
                todo.append(parent)
    return exits


def _dangling_targets(node_id: str, node: BaseModel, known: set[str], source: SourceMap) -> list[Problem]:
    problems = []
    for path, target in node_targets(node):
        if target not in known:
            message = f"node '{node_id}': {path[-1]} goes to unknown node '{target}'"
            problems.append(source.problem(("nodes", node_id, *path), message))
    return problems


def _graph_problems(flow: Flow, source: SourceMap) -> list[Problem]:
    problems = []
    if flow.entry not in flow.nodes:
        problems.append(source.problem(("entry",), f"entry '{flow.entry}' is not a node of this flow"))
    for node_id, node in flow.nodes.items():
        problems += _dangling_targets(node_id, node, set(flow.nodes), source)
    reachable = _reachable(flow)
    for node_id in flow.nodes:
        if node_id not in reachable and flow.entry in flow.nodes:
            problems.append(source.problem(("nodes", node_id), f"node '{node_id}' is never reached", at="key"))
    leave = _can_leave(flow)
    trapped = reachable - leave
    for node_id in sorted(trapped, key=list(flow.nodes).index):
        parents_outside = any(
            target == node_id and other not in trapped
            for other in reachable
            for _, target in node_targets(flow.nodes[other])
        )
        if node_id == flow.entry or parents_outside:
            message = f"node '{node_id}' starts a loop the caller can never leave (no hangup, queue or transfer)"
            problems.append(source.problem(("nodes", node_id), message, at="key"))
    return problems


def _node_problems(node_id: str, node: BaseModel, source: SourceMap, options: CheckOptions) -> list[Problem]:
    base: PathKey = ("nodes", node_id)
    problems = []
    for path, expression in node_expressions(node):
        try:
            Condition(expression, EXPRESSION_NAMES)
        except ConditionError as error:
            line, col = _expression_position(source, (*base, *path), error)
            problems.append(Problem(source.file, line, col, f"node '{node_id}': {error.message}"))
    if isinstance(node, CollectNode) and node.pattern is not None:
        try:
            re.compile(node.pattern)
        except re.error as error:
            problems.append(source.problem((*base, "pattern"), f"node '{node_id}': bad pattern: {error}"))
    if isinstance(node, HoursNode):
        try:
            if not compile_schedule(node.schedule).is_ever_open():
                problems.append(
                    source.problem((*base, "schedule"), f"node '{node_id}': schedule is never open", at="key")
                )
        except ScheduleError as error:
            problems.append(source.problem((*base, "schedule", *error.path), f"node '{node_id}': {error}"))
    if options.queues is not None and isinstance(node, QueueNode | CallbackNode):
        if node.queue is not None and node.queue not in options.queues:
            known = ", ".join(sorted(options.queues)) or "none"
            problems.append(
                source.problem((*base, "queue"), f"node '{node_id}': unknown queue '{node.queue}' ({known})")
            )
    if options.flows is not None and isinstance(node, SubflowNode | GotoNode):
        if node.flow is not None and node.flow not in options.flows:
            problems.append(source.problem((*base, "flow"), f"node '{node_id}': unknown flow '{node.flow}'"))
    if options.sounds_dir is not None:
        for path, prompt in node_prompts(node):
            if not sound_exists(options.sounds_dir, prompt):
                problems.append(source.problem((*base, *path), f"node '{node_id}': no sound file '{prompt}'"))
    return problems


def sound_exists(sounds_dir: Path, name: str) -> bool:
    """True when ``name`` exists in the sounds directory, in any format, directly or in a language folder."""
    target = Path(name)
    for folder in (sounds_dir, *(p for p in sounds_dir.iterdir() if p.is_dir())) if sounds_dir.is_dir() else ():
        if any((folder / target.parent).glob(f"{target.name}.*")):
            return True
    return False


def check_loaded(loaded: LoadedFlow, options: CheckOptions = CheckOptions()) -> list[Problem]:
    """All problems of one loaded flow, sorted by position."""
    problems = list(loaded.problems)
    flow = loaded.flow
    if flow is None:
        # Type errors already reported: still check what the valid nodes say, without guessing at
        # reachability through the broken ones.
        for node_id, node in loaded.partial.items():
            problems += _dangling_targets(node_id, node, set(loaded.partial) | loaded.broken, loaded.source)
            problems += _node_problems(node_id, node, loaded.source, options)
    else:
        problems += _graph_problems(flow, loaded.source)
        for node_id, node in flow.nodes.items():
            problems += _node_problems(node_id, node, loaded.source, options)
        stem = Path(loaded.file).stem
        if loaded.file.endswith((".yaml", ".yml")) and stem != flow.name:
            message = f"flow name '{flow.name}' differs from the file name '{stem}' (the AGI URL uses the name)"
            problems.append(loaded.source.problem(("name",), message))
    return sorted(set(problems))


def flow_files(paths: Iterable[Path]) -> list[Path]:
    """The flow files named, with directories expanded to their *.yaml / *.yml files (not recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            files.append(path)
    return files


def check_paths(paths: Iterable[Path], options: CheckOptions = CheckOptions()) -> list[Problem]:
    """Load and check every flow file under ``paths``; subflows may name any flow beside them."""
    files = flow_files(paths)
    loaded = [load_flow_file(path) for path in files]
    names = {item.flow.name for item in loaded if item.flow is not None}
    for folder in {path.parent for path in files}:
        names |= {p.stem for p in flow_files([folder])}
    flows = options.flows if options.flows is not None else frozenset(names)
    scoped = CheckOptions(queues=options.queues, sounds_dir=options.sounds_dir, flows=flows)
    problems: list[Problem] = []
    for item in loaded:
        problems += check_loaded(item, scoped)
    return problems
