"""Load a flow from YAML, keeping the line and column of every key and value.

ruamel.yaml's round-trip loader gives positions and rejects duplicate keys; it reads YAML 1.2, so
``no`` stays a string. Menu digits written bare (``1:``) become the string ``"1"``; ``*`` and ``#``
must be quoted (bare ``*`` is an alias and bare ``#`` starts a comment), and both mistakes are
reported with a hint. Problems come back as :class:`Problem`, printed ``file:line:col: message``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from callcenter.ivr.model import NODE_TYPES, Flow, Node

PathKey = tuple[str | int, ...]
Position = tuple[int, int]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a flow, at a 1-based line and column."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


@dataclass
class SourceMap:
    """Where each key and value of a loaded document sits in its file (1-based)."""

    file: str
    keys: dict[PathKey, Position] = field(default_factory=dict)
    values: dict[PathKey, Position] = field(default_factory=dict)
    styles: dict[PathKey, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def key(self, path: PathKey) -> Position:
        """Position of the key naming ``path``, or of its nearest ancestor."""
        for i in range(len(path), 0, -1):
            if path[:i] in self.keys:
                return self.keys[path[:i]]
        return (1, 1)

    def value(self, path: PathKey) -> Position:
        """Position of the value at ``path``, or of its nearest ancestor's key."""
        if path in self.values:
            return self.values[path]
        return self.key(path)

    def problem(self, path: PathKey, message: str, *, at: str = "value") -> Problem:
        """A problem located at the key or the value of ``path``."""
        line, col = self.key(path) if at == "key" else self.value(path)
        return Problem(self.file, line, col, message)


@dataclass
class LoadedFlow:
    """The outcome of loading one file: the flow (None when unusable), its positions and the problems."""

    file: str
    flow: Flow | None
    source: SourceMap
    data: Any
    problems: list[Problem]
    partial: dict[str, BaseModel] = field(default_factory=dict)
    """When the flow has type errors: its nodes that are valid on their own, so more checks can run."""
    broken: frozenset[str] = frozenset()
    """Ids of nodes that failed their own type check."""


NODE_ADAPTER: TypeAdapter[BaseModel] = TypeAdapter(Node)
_STYLE = {
    DoubleQuotedScalarString: '"',
    SingleQuotedScalarString: "'",
    LiteralScalarString: "|",
    FoldedScalarString: ">",
}
_BARE_HASH_KEY = re.compile(r"^(\s*)#\s*:\s*\S")
_BARE_STAR_KEY = re.compile(r"^(\s*)\*\s*:")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    return yaml


def _plain(node: Any, path: PathKey, source: SourceMap, problems: list[Problem]) -> Any:
    """Turn ruamel containers into dicts/lists of plain values, recording positions as we go."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            kline, kcol = node.lc.key(key)
            vline, vcol = node.lc.value(key)
            if isinstance(key, bool) or key is None or not isinstance(key, str | int):
                problems.append(Problem(source.file, kline + 1, kcol + 1, f"key {key!r} must be a name or a digit"))
                continue
            name = str(key)
            if name in out:
                what = "menu digit" if path and path[-1] == "options" else "key"
                problems.append(Problem(source.file, kline + 1, kcol + 1, f"duplicate {what} '{name}'"))
                continue
            child = (*path, name)
            source.keys[child] = (kline + 1, kcol + 1)
            source.values[child] = (vline + 1, vcol + 1)
            out[name] = _plain(value, child, source, problems)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            line, col = node.lc.item(i)
            child = (*path, i)
            source.keys[child] = source.values[child] = (line + 1, col + 1)
            items.append(_plain(value, child, source, problems))
        return items
    if isinstance(node, str):
        source.styles[path] = _STYLE.get(type(node), "")
        return str(node)
    if isinstance(node, dt.date | dt.datetime):
        return node.isoformat()
    return node


def _yaml_error(file: str, text: str, error: MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = (error.problem or error.context or "invalid YAML").split("\n")[0]
    if "duplicate key" in message:
        message = message.split(" with value")[0]
    return Problem(file, line, col, f"YAML: {message}")


def _bare_special_keys(file: str, text: str) -> list[Problem]:
    """Bare ``#:`` is a comment (the option silently vanishes) and bare ``*:`` an alias: say so."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern, key in ((_BARE_HASH_KEY, "#"), (_BARE_STAR_KEY, "*")):
            match = pattern.match(line)
            if match:
                col = len(match.group(1)) + 1
                message = f'write the menu key {key} as "{key}"' + (" (a bare # is a comment)" if key == "#" else "")
                problems.append(Problem(file, number, col, message))
    return problems


def _strip_union_tags(loc: tuple[Any, ...], data: Any) -> PathKey:
    """Drop the node-type tag pydantic inserts after a node id in error locations."""
    loc = tuple(loc)
    if len(loc) >= 3 and loc[0] == "nodes" and isinstance(data, dict):
        node = (data.get("nodes") or {}).get(loc[1]) if isinstance(data.get("nodes"), dict) else None
        if isinstance(node, dict) and node.get("type") == loc[2]:
            loc = loc[:2] + loc[3:]
    return tuple(x for x in loc if x != "[key]")


def _where(path: PathKey) -> str:
    if len(path) >= 2 and path[0] == "nodes":
        rest = ".".join(str(p) for p in path[2:])
        return f"node '{path[1]}'" + (f": {rest}" if rest else "")
    return ".".join(str(p) for p in path) or "flow"


def _pydantic_problems(error: ValidationError, data: Any, source: SourceMap) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        kind = item["type"]
        path = _strip_union_tags(item["loc"], data)
        if kind == "extra_forbidden":
            problems.append(source.problem(path, f"{_where(path[:-1])}: unknown field '{path[-1]}'", at="key"))
        elif kind == "missing":
            problems.append(source.problem(path[:-1], f"{_where(path[:-1])}: missing field '{path[-1]}'", at="key"))
        elif kind == "union_tag_invalid":
            got = item["ctx"]["tag"]
            message = f"{_where(path)}: unknown node type '{got}' (known: {', '.join(NODE_TYPES)})"
            problems.append(source.problem((*path, "type"), message))
        elif kind == "union_tag_not_found":
            problems.append(source.problem(path, f"{_where(path)}: missing field 'type'", at="key"))
        elif item["loc"] and item["loc"][-1] == "[key]":
            if len(path) >= 2 and path[-2] == "options":
                message = f"{_where(path[:-2])}: menu option '{path[-1]}' must be one key: 0-9, * or #"
            else:
                message = f"{_where(path)}: bad key: {item['msg']}"
            problems.append(source.problem(path, message, at="key"))
        else:
            message = item["msg"].removeprefix("Value error, ")
            at = "key" if kind == "value_error" else "value"
            problems.append(source.problem(path, f"{_where(path)}: {message}", at=at))
    return problems


def load_flow_text(text: str, file: str = "<flow>") -> LoadedFlow:
    """Parse and type-check one flow given as YAML text."""
    source = SourceMap(file, lines=text.splitlines())
    problems = _bare_special_keys(file, text)
    try:
        document = _yaml().load(text)
    except MarkedYAMLError as error:
        # A bare * derails the parser somewhere later; the hint at the key is the useful line.
        return LoadedFlow(file, None, source, None, problems or [_yaml_error(file, text, error)])
    data = _plain(document, (), source, problems)
    if not isinstance(data, dict):
        return LoadedFlow(file, None, source, data, [*problems, Problem(file, 1, 1, "a flow is a mapping")])
    try:
        flow = Flow.model_validate(data)
    except ValidationError as error:
        problems += _pydantic_problems(error, data, source)
        loaded = LoadedFlow(file, None, source, data, sorted(set(problems)))
        loaded.partial, loaded.broken = _valid_nodes(data.get("nodes"))
        return loaded
    return LoadedFlow(file, flow, source, data, sorted(set(problems)))


def _valid_nodes(nodes: Any) -> tuple[dict[str, BaseModel], frozenset[str]]:
    """Split a flow's nodes into those that type-check alone and the ids of the others."""
    if not isinstance(nodes, dict):
        return {}, frozenset()
    valid, broken = {}, set()
    for node_id, node in nodes.items():
        try:
            valid[node_id] = NODE_ADAPTER.validate_python(node)
        except ValidationError:
            broken.add(node_id)
    return valid, frozenset(broken)


def load_flow_file(path: Path | str) -> LoadedFlow:
    """Parse and type-check one flow file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return LoadedFlow(str(path), None, SourceMap(str(path)), None, [Problem(str(path), 1, 1, str(error))])
    return load_flow_text(text, str(path))
