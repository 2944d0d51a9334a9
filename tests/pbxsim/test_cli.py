"""`callcenter pbxsim` runs the simulator on its own: prints where it listens, serves AMI, writes queue_log."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

from tests.pbxsim.amiclient import RawAmiClient


async def test_pbxsim_command_serves_ami_and_writes_queue_log(tmp_path: Path) -> None:
    queue_log, truth = tmp_path / "queue_log", tmp_path / "truth.jsonl"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter", "pbxsim", "--ami-port", "0", "--rate", "300", "--speed", "20",
        "--seed", "3", "--talk", "5", "--queue-log", str(queue_log), "--truth", str(truth),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.match(r"pbxsim AMI listening on 127\.0\.0\.1:(\d+) ", first)
        assert match, first
        client = await RawAmiClient().connect(int(match.group(1)))
        reply = await client.action("Login", {"Username": "callcenter", "Secret": "lab-secret"}, action_id="l")
        assert reply["Message"] == "Authentication accepted"
        await client.wait_for(lambda m: m.name == "AgentComplete", within=30)
        await client.close()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err.decode()
    assert "pbxsim stopped after" in out.decode()
    lines = queue_log.read_text().splitlines()
    assert any("|ENTERQUEUE||+1555" in line for line in lines)
    assert any(re.search(r"\|Agent 100\d\|CONNECT\|\d+\|\d+\.\d+\|\d+$", line) for line in lines)
    records = [json.loads(line) for line in truth.read_text().splitlines()]
    assert records and all(r["outcome"] for r in records)


async def test_pbxsim_refuses_a_bad_fastagi_target() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter", "pbxsim", "--ami-port", "0", "--agi", "nowhere",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 2
    assert "expected HOST:PORT" in err.decode()
