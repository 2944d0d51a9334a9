"""Asterisk's queue_log: `<epoch>|<call id>|<queue>|<agent>|<EVENT>|<data...>`, one line per event.

The agent column holds the member name (`log_membername_as_agent = yes`), except for PENALTY, which
logs the interface; manager-driven membership changes use the call id `MANAGER`, other non-call
lines `NONE`.
"""

from __future__ import annotations

from pathlib import Path


class QueueLog:
    """Appends queue_log lines to a file (when given) and keeps them in memory for inspection."""

    def __init__(self, path: str | Path | None = None, *, keep: int = 100_000) -> None:
        self.path = Path(path) if path else None
        self.lines: list[str] = []
        self._keep = keep
        self._file = self.path.open("a", encoding="utf-8", buffering=1) if self.path else None

    def write(self, when: float, call_id: str, queue: str, agent: str, event: str, *data: object) -> str:
        """Append one line; `data` fields are joined with `|` (an event with no data ends in `|`)."""
        fields = [str(int(when)), call_id, queue, agent, event, *(str(d) for d in data)]
        line = "|".join(fields) + ("|" if not data else "")
        if len(self.lines) >= self._keep:
            del self.lines[: self._keep // 2]
        self.lines.append(line)
        if self._file is not None:
            self._file.write(line + "\n")
        return line

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None
