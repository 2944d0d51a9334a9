"""CEL expressions for flow conditions and computed values (reused by contact rules).

An expression sees a few top-level maps: ``caller`` (number, name), ``customer`` (``found`` plus
whatever the lookup returned), ``vars`` (flow variables) and ``time`` (local date and time). Compile
errors carry the 1-based line and column inside the expression so a flow error can point at the
exact character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import cel

_CEL_ERROR = re.compile(r"<input>:(\d+):(\d+): (.*)")


@dataclass(frozen=True)
class ConditionError(Exception):
    """A CEL expression that does not compile; ``line``/``column`` are 1-based inside the expression."""

    message: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return self.message


class Condition:
    """A compiled CEL expression and the names it refers to."""

    __slots__ = ("_program", "names", "source")

    def __init__(self, source: str, allowed_names: frozenset[str] | None = None) -> None:
        self.source = source
        try:
            self._program = cel.compile(source)
        except (ValueError, RuntimeError) as error:
            raise _parse_error(str(error)) from None
        self.names = frozenset(self._program.variables())
        if allowed_names is not None:
            unknown = sorted(self.names - allowed_names)
            if unknown:
                known = ", ".join(sorted(allowed_names))
                line, column = _find_name(source, unknown[0])
                raise ConditionError(f"unknown name '{unknown[0]}' in expression (use {known})", line, column)

    def evaluate(self, context: dict[str, Any]) -> Any:
        """The value of the expression; raises EvaluationError when it cannot be computed."""
        try:
            return self._program.execute(context)
        except (ValueError, RuntimeError, TypeError, LookupError, ArithmeticError) as error:
            raise EvaluationError(f"{self.source}: {error}") from None

    def holds(self, context: dict[str, Any]) -> bool:
        """True when the expression evaluates to boolean true."""
        return self.evaluate(context) is True


class EvaluationError(Exception):
    """An expression failed at run time (missing key, wrong type, division by zero)."""


def _find_name(source: str, name: str) -> tuple[int, int]:
    """1-based line and column of the first use of ``name`` as an identifier."""
    for number, line in enumerate(source.splitlines() or [""], start=1):
        match = re.search(rf"(?<![\w.]){re.escape(name)}\b", line)
        if match:
            return number, match.start() + 1
    return 1, 1


def _parse_error(text: str) -> ConditionError:
    match = _CEL_ERROR.search(text)
    if match is None:
        return ConditionError(f"invalid expression: {text.splitlines()[0]}")
    line, column, message = int(match.group(1)), int(match.group(2)), match.group(3).strip()
    # CEL lists every token it would have accepted; the position says more than that list.
    message = message.split(" expecting ")[0].replace("mismatched input '<EOF>'", "unexpected end of expression")
    return ConditionError(f"invalid expression: {message}", line, column)
