"""Asterisk's configuration file syntax, read the way Asterisk's own loader (config.c) reads it.

* ``[name]`` opens a section (Asterisk: a category). ``[name](!)`` is a template: it is not a
  section of its own (no user, queue or endpoint), only a source of lines. ``[name](tpl1,tpl2)``
  starts with a copy of the lines of earlier sections ``tpl1`` and ``tpl2``; ``[name](+)`` adds
  lines to the existing section of that name. Options combine: ``[name](!,tpl)``.
* ``key = value`` and ``key => value`` (an "object", as in ``exten =>`` / ``member =>``) are the
  same thing to the reader; the first ``=`` splits; both sides are trimmed.
* ``;`` starts a comment (``\\;`` is a literal semicolon); ``;--`` ... ``--;`` is a block comment
  that may span lines.
* ``#include file`` / ``#include "file"`` reads another file in place, relative to the directory
  of the top file (Asterisk's config directory), glob patterns allowed; the included lines
  continue the current section. ``#tryinclude`` is the same but a missing file is no error.
  ``#exec`` runs a program in Asterisk; the checker never runs anything, so it skips it.

Every line keeps its file and line number so a checker can point at it. Duplicate section names
are allowed (pjsip.conf uses one name for an endpoint, its auth and its aor).
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_INCLUDE_DEPTH = 16


@dataclass(frozen=True, order=True)
class Origin:
    """A place in a configuration file: its path as given and a 1-based line (0: the file itself)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Entry:
    """One ``key = value`` line; ``origin`` is where it was written (in a template when inherited)."""

    key: str
    value: str
    origin: Origin
    arrow: bool = False


@dataclass
class Section:
    """A ``[name]`` section with its own lines after the lines it inherited."""

    name: str
    origin: Origin
    template: bool = False
    inherits: tuple[str, ...] = ()
    entries: list[Entry] = field(default_factory=list)

    def get(self, key: str) -> Entry | None:
        """The last line setting ``key`` (case-insensitive): the one Asterisk keeps for a single value."""
        found = self.get_all(key)
        return found[-1] if found else None

    def get_all(self, key: str) -> list[Entry]:
        """Every line setting ``key`` (case-insensitive), inherited ones first."""
        wanted = key.lower()
        return [entry for entry in self.entries if entry.key.lower() == wanted]

    def value(self, key: str, default: str | None = None) -> str | None:
        """The value of :meth:`get`, or ``default``."""
        entry = self.get(key)
        return entry.value if entry is not None else default


@dataclass(frozen=True, order=True)
class ConfigProblem:
    """A line Asterisk would reject or a file it could not read."""

    origin: Origin
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


@dataclass
class AsteriskConfig:
    """One configuration file with everything it includes."""

    file: str
    sections: list[Section] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def real_sections(self) -> Iterator[Section]:
        """Sections that are not templates: the ones Asterisk acts on."""
        return (section for section in self.sections if not section.template)

    def all_named(self, name: str, *, ignore_case: bool = False) -> list[Section]:
        """Every non-template section called ``name`` (pjsip.conf repeats names across types)."""
        if ignore_case:
            return [section for section in self.real_sections() if section.name.lower() == name.lower()]
        return [section for section in self.real_sections() if section.name == name]

    def section(self, name: str, *, ignore_case: bool = False) -> Section | None:
        """The first non-template section called ``name``."""
        found = self.all_named(name, ignore_case=ignore_case)
        return found[0] if found else None


def _excerpt(text: str, limit: int = 60) -> str:
    """``text`` fit for a one-line message: control characters escaped, long text cut."""
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def strip_comment(text: str, in_block: bool) -> tuple[str, bool]:
    """``text`` without its comments, and whether a ``;--`` block comment is still open at its end."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if in_block:
            end = text.find("--;", i)
            if end < 0:
                return "".join(out), True
            i = end + 3
            in_block = False
            continue
        char = text[i]
        if char == "\\" and text.startswith(";", i + 1):
            out.append(";")
            i += 2
        elif char == ";":
            if text.startswith(";--", i):
                in_block = True
                i += 3
            else:
                break
        else:
            out.append(char)
            i += 1
    return "".join(out), in_block


class _Reader:
    """Reads lines from the top file and its includes into one :class:`AsteriskConfig`."""

    def __init__(self, top: Path, display: str) -> None:
        self.base = top.parent
        self.config = AsteriskConfig(display)
        self.current: Section | None = None
        self._by_name: dict[str, Section] = {}
        self._stack: list[Path] = []
        self._top_display = display
        self._top = top

    def display(self, path: Path) -> str:
        """How problems name ``path``: the top file as given, includes relative to it."""
        if path == self._top:
            return self._top_display
        try:
            relative = path.relative_to(self.base)
        except ValueError:
            return str(path)
        return str(Path(self._top_display).parent / relative)

    def problem(self, origin: Origin, message: str) -> None:
        self.config.problems.append(ConfigProblem(origin, message))

    def read_file(self, path: Path, origin: Origin | None) -> None:
        resolved = path.resolve()
        if resolved in self._stack:
            self.problem(origin or Origin(self.display(path), 0), f"#include loop: {path.name} includes itself")
            return
        if len(self._stack) >= MAX_INCLUDE_DEPTH:
            self.problem(origin or Origin(self.display(path), 0), "#include nested too deeply")
            return
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            self.problem(origin or Origin(self.display(path), 0), f"cannot read {path.name}: {error.strerror}")
            return
        name = self.display(path)
        self.config.files.append(name)
        self._stack.append(resolved)
        in_block = False
        for number, raw in enumerate(text.splitlines(), start=1):
            line, in_block = strip_comment(raw, in_block)
            line = line.strip()
            if line:
                self.read_line(line, Origin(name, number))
        self._stack.pop()

    def read_line(self, line: str, origin: Origin) -> None:
        if line.startswith("["):
            self.header(line, origin)
        elif line.startswith("#"):
            self.directive(line, origin)
        else:
            self.assignment(line, origin)

    def header(self, line: str, origin: Origin) -> None:
        close = line.find("]")
        if close < 0:
            self.problem(origin, f"section header without ']': {_excerpt(line)}")
            return
        name = line[1:close].strip()
        rest = line[close + 1 :].strip()
        options: list[str] = []
        if rest:
            if not (rest.startswith("(") and rest.endswith(")")):
                self.problem(origin, f"unexpected text after [{_excerpt(name)}]: {_excerpt(rest)}")
                return
            options = [option.strip() for option in rest[1:-1].split(",") if option.strip()]
        if "+" in options:
            existing = self._by_name.get(name)
            if existing is None:
                self.problem(origin, f"[{name}](+) adds to a section that does not exist yet")
                return
            self.current = existing
            return
        section = Section(name, origin, template="!" in options)
        for parent_name in (option for option in options if option != "!"):
            parent = self._by_name.get(parent_name)
            if parent is None:
                self.problem(origin, f"[{name}] inherits from '{parent_name}', which is not defined above it")
                continue
            section.inherits += (parent_name,)
            section.entries.extend(parent.entries)
        self.config.sections.append(section)
        self._by_name[name] = section
        self.current = section

    def directive(self, line: str, origin: Origin) -> None:
        word, _, argument = line[1:].partition(" ")
        word = word.lower()
        if word == "exec":
            return
        if word not in ("include", "tryinclude"):
            self.problem(origin, f"unknown directive #{word}")
            return
        target = argument.strip().strip('"').strip("<>").strip()
        if not target:
            self.problem(origin, f"#{word} without a file name")
            return
        pattern = Path(target) if Path(target).is_absolute() else self.base / target
        matches = sorted(glob.glob(str(pattern))) if glob.has_magic(str(pattern)) else [str(pattern)]
        existing = [Path(match) for match in matches if Path(match).is_file()]
        if not existing and word == "include":
            self.problem(origin, f"#include {target}: no such file")
        for path in existing:
            self.read_file(path, origin)

    def assignment(self, line: str, origin: Origin) -> None:
        key, equals, value = line.partition("=")
        if not equals:
            self.problem(origin, f"expected 'name = value', got: {_excerpt(line)}")
            return
        arrow = value.startswith(">")
        value = value[1:] if arrow else value
        if self.current is None:
            self.problem(origin, f"'{key.strip()}' before any [section]")
            return
        self.current.entries.append(Entry(key.strip(), value.strip(), origin, arrow))


def load_config(path: Path | str, display: str | None = None) -> AsteriskConfig:
    """Read ``path`` and its includes; problems are collected, never raised."""
    path = Path(path)
    reader = _Reader(path, display if display is not None else str(path))
    reader.read_file(path, None)
    return reader.config
