"""`callcenter ami replay` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TRACES = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces"
REQUIRED = {
    "linkedid",
    "caller_number",
    "queue",
    "agent_interface",
    "agent_name",
    "outcome",
    "wait_seconds",
    "talk_seconds",
    "ring_attempts",
    "hangup_by",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcenter", "ami", "replay", *args], capture_output=True, text=True, timeout=60
    )


def test_json_lines_one_per_finished_call() -> None:
    result = run(str(TRACES / "ami-09-burst-sales-ringall.txt"), "--json", "--timeline", "--wrapup", "sales=5")
    assert result.returncode == 0, result.stderr
    calls = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(calls) == 10
    assert all(REQUIRED <= set(call) for call in calls)
    assert sorted(c["outcome"] for c in calls) == ["abandoned"] * 3 + ["handled"] * 7
    first = next(c for c in calls if c["linkedid"] == "1795439491.0")
    assert (first["agent_interface"], first["wait_seconds"], first["talk_seconds"], first["ring_attempts"]) == (
        "Local/agent1003@agents/n",
        2.0,
        12.0,
        2,
    )
    assert first["wrapup_seconds"] == 5
    types = [e["type"] for e in first["timeline"]]
    assert types[:4] == ["call.started", "call.ivr_entered", "call.ivr_left", "call.queued"]
    assert types.count("call.agent_ringing") == 2 and types[-1] == "call.ended"
    abandoned = [c for c in calls if c["outcome"] == "abandoned"]
    assert sorted(c["timeline"][-2]["wait_seconds"] for c in abandoned) == [14, 18, 22]


def test_table_without_json() -> None:
    result = run(str(TRACES / "ami-01-handled-call.txt"))
    assert result.returncode == 0, result.stderr
    assert "1795438657.0" in result.stdout and "+15551230001" in result.stdout and "handled" in result.stdout


def test_replaying_twice_into_one_repository_stores_each_call_once(database_url: str) -> None:
    capture = str(TRACES / "ami-02-abandoned-call.txt")
    first = run(capture, "--json", "--database-url", database_url)
    second = run(capture, "--json", "--database-url", database_url)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    (a,), (b,) = ([json.loads(x) for x in r.stdout.splitlines()] for r in (first, second))
    assert (a["created"], b["created"]) == (True, False)
    assert a["contact_id"] == b["contact_id"]


@pytest.mark.parametrize("content", [None, b"\x00\x01 not an AMI capture \xff"])
def test_unreadable_file_exits_1_with_a_message(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "capture.txt"
    if content is not None:
        path.write_bytes(content)
    result = run(str(path))
    assert result.returncode == 1
    assert str(path) in result.stderr and "error:" in result.stderr
    assert result.stdout == ""


def test_repository_without_schema_exits_1_with_a_hint(tmp_path: Path) -> None:
    result = run(str(TRACES / "ami-01-handled-call.txt"), "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 1
    assert "cannot record into" in result.stderr and "callcenter db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
