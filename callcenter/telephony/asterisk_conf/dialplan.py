"""extensions.conf read as a dialplan: contexts, numbered steps, application calls, patterns.

``exten => name,priority,App(args)`` adds a step; ``same => n,App(args)`` continues the last
extension; a priority is a number, ``n`` (previous + 1) or either with a ``(label)``; ``hint`` steps
are device hints, not applications. ``[general]`` and ``[globals]`` are settings, not contexts.

Variables: ``${NAME}`` in an application's arguments is resolved from ``[globals]`` and from every
literal ``Set(NAME=value)`` in the dialplan (the values a variable can take that are written in the
file); anything else (functions, expressions, variables the IVR sets at run time) stays unresolved.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from callcenter.telephony.asterisk_conf.parser import AsteriskConfig, Origin

SETTINGS_SECTIONS = frozenset({"general", "globals"})
_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_PRIORITY = re.compile(r"^(?P<base>\d+|n|hint)(?:\+(?P<plus>\d+))?(?:\((?P<label>[^)]*)\))?$", re.IGNORECASE)
MAX_CANDIDATES = 32


@dataclass(frozen=True)
class Step:
    """One dialplan step: an application call at ``context,exten,priority``."""

    context: str
    exten: str
    priority: int
    label: str | None
    app: str
    args: str
    origin: Origin

    def arguments(self) -> list[str]:
        """The application's arguments split on top-level commas."""
        return split_arguments(self.args)


@dataclass(frozen=True)
class Piece:
    """A run of resolved text and the line that wrote it (None: written literally in the step)."""

    text: str
    origin: Origin | None


@dataclass
class Dialplan:
    """Contexts with their steps and includes, plus the variable values written in the file."""

    contexts: dict[str, list[Step]] = field(default_factory=dict)
    includes: dict[str, list[str]] = field(default_factory=dict)
    bindings: dict[str, list[tuple[str, Origin]]] = field(default_factory=dict)
    problems: list[tuple[Origin, str]] = field(default_factory=list)

    def steps(self) -> list[Step]:
        """Every step of every context, in file order."""
        return sorted(itertools.chain.from_iterable(self.contexts.values()), key=lambda step: step.origin)

    def has_extension(self, context: str, exten: str, _seen: frozenset[str] = frozenset()) -> bool:
        """True when dialling ``exten`` in ``context`` (or a context it includes) finds a step."""
        if context not in self.contexts or context in _seen:
            return False
        if any(extension_matches(step.exten, exten) for step in self.contexts[context]):
            return True
        return any(self.has_extension(inner, exten, _seen | {context}) for inner in self.includes.get(context, []))

    def resolve(self, text: str) -> list[list[Piece]] | None:
        """Every way ``text`` reads once its ``${NAME}`` are replaced by known values; None if any is unknown."""
        parts: list[list[Piece]] = []
        position = 0
        for match in _VARIABLE.finditer(text):
            if match.start() > position:
                parts.append([Piece(text[position : match.start()], None)])
            values = self.bindings.get(match.group(1))
            if not values:
                return None
            parts.append([Piece(value, origin) for value, origin in values])
            position = match.end()
        if position < len(text):
            parts.append([Piece(text[position:], None)])
        if "${" in "".join(piece.text for part in parts for piece in part if piece.origin is None):
            return None
        combos = itertools.islice(itertools.product(*parts), MAX_CANDIDATES)
        return [list(combo) for combo in combos]


def split_arguments(args: str) -> list[str]:
    """Split application arguments on commas outside ``()``, ``[]``, ``{}`` and quotes, as Asterisk does."""
    out: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    escaped = False
    for char in args:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            quoted = not quoted
            current.append(char)
        elif char in "([{" and not quoted:
            depth += 1
            current.append(char)
        elif char in ")]}" and not quoted:
            depth = max(depth - 1, 0)
            current.append(char)
        elif char == "," and depth == 0 and not quoted:
            out.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    out.append("".join(current).strip())
    return out


def split_application(text: str) -> tuple[str, str]:
    """``App(args)`` (or the old ``App,args``) -> (``App``, ``args``)."""
    text = text.strip()
    paren = text.find("(")
    comma = text.find(",")
    if paren >= 0 and (comma < 0 or paren < comma):
        body = text[paren + 1 :]
        return text[:paren].strip(), body[: body.rfind(")")] if body.rstrip().endswith(")") else body
    if comma >= 0:
        return text[:comma].strip(), text[comma + 1 :]
    return text, ""


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """An Asterisk extension pattern (``_NXX.``) as a regular expression."""
    out = []
    i = 0
    body = pattern[1:]
    while i < len(body):
        char = body[i]
        upper = char.upper()
        if upper == "X":
            out.append("[0-9]")
        elif upper == "Z":
            out.append("[1-9]")
        elif upper == "N":
            out.append("[2-9]")
        elif char == ".":
            out.append(".+")
        elif char == "!":
            out.append(".*")
        elif char == "[":
            end = body.find("]", i)
            end = len(body) if end < 0 else end
            out.append("[" + body[i + 1 : end].replace("\\", "\\\\") + "]")
            i = end
        elif char != "-":
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def extension_matches(pattern: str, exten: str) -> bool:
    """True when ``pattern`` (literal or ``_``-pattern, optionally ``/callerid``) takes ``exten``."""
    pattern = pattern.split("/", 1)[0]
    if pattern.startswith("_"):
        try:
            return _pattern_regex(pattern).match(exten) is not None
        except re.error:
            return False
    return pattern == exten


def _add_binding(plan: Dialplan, name: str, value: str, origin: Origin) -> None:
    if "${" in value or "$[" in value:
        return
    plan.bindings.setdefault(name.lstrip("_"), []).append((value, origin))


def read_dialplan(config: AsteriskConfig) -> Dialplan:
    """The dialplan of a parsed extensions.conf; malformed steps are listed in ``problems``."""
    plan = Dialplan()
    for section in config.real_sections():
        if section.name.lower() == "globals":
            for entry in section.entries:
                _add_binding(plan, entry.key, entry.value, entry.origin)
    for section in config.real_sections():
        if section.name.lower() in SETTINGS_SECTIONS:
            continue
        steps = plan.contexts.setdefault(section.name, [])
        includes = plan.includes.setdefault(section.name, [])
        last: tuple[str, int] | None = None
        for entry in section.entries:
            key = entry.key.lower()
            if key == "include":
                includes.append(entry.value.split(",", 1)[0].strip())
                continue
            if key not in ("exten", "same"):
                continue
            if key == "exten":
                exten, _, rest = entry.value.partition(",")
                exten = exten.strip()
            else:
                if last is None:
                    plan.problems.append((entry.origin, "'same =>' before any 'exten =>' in this context"))
                    continue
                exten, rest = last[0], entry.value
            priority_text, comma, app_text = rest.partition(",")
            match = _PRIORITY.match(priority_text.strip())
            if not exten or not comma or match is None:
                plan.problems.append((entry.origin, f"not a dialplan step (exten,priority,App(args)): {entry.value}"))
                continue
            base = match.group("base").lower()
            if base == "hint":
                continue
            if base == "n":
                # As pbx_config does: one past the previous line's priority, whatever its extension.
                if last is None:
                    plan.problems.append((entry.origin, "priority 'n' on the first step of the context"))
                    continue
                number = last[1] + 1
            else:
                number = int(base)
            number += int(match.group("plus") or 0)
            label = match.group("label") or None
            app, args = split_application(app_text)
            step = Step(section.name, exten, number, label, app, args, entry.origin)
            steps.append(step)
            last = (exten, number)
            if app.lower() == "set":
                name, equals, value = args.partition("=")
                if equals:
                    _add_binding(plan, name.strip(), value.strip(), entry.origin)
    return plan
