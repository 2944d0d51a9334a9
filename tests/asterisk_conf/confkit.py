"""Helpers for the asterisk_conf tests: a copy of the shipped configuration, edits, the check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from callcenter.commands.asterisk import service_facts
from callcenter.config import AmiServerSettings, Settings
from callcenter.telephony.asterisk_conf.check import check_directory

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "asterisk_conf"
FLOWS = ROOT / "ivr_flows"
CAPTURES_CONF = Path(__file__).resolve().parents[1] / "data" / "asterisk-traces" / "conf"
AMI_SECRET = "change-me-callcenter-ami-secret"
AMI_SERVERS = [{"name": "pbx1", "host": "127.0.0.1", "port": 5038, "username": "callcenter", "secret": AMI_SECRET}]


def copy_shipped(target: Path) -> Path:
    """A private copy of asterisk_conf/ to modify."""
    directory = target / "asterisk"
    shutil.copytree(SHIPPED, directory)
    return directory


def line_of(path: Path, text: str, after: str | None = None) -> int:
    """1-based number of the first line containing ``text`` (after the first line containing ``after``)."""
    lines = path.read_text().splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    return next(i for i, line in enumerate(lines[start:], start=start + 1) if text in line)


def edit(path: Path, old: str, new: str) -> int:
    """Replace the one occurrence of ``old`` in ``path``; the line number of the edit."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def settings(**overrides: object) -> Settings:
    """Settings as the service would read them, with the shipped AMI login and flows by default."""
    values: dict[str, object] = {
        "ami_servers": [AmiServerSettings.model_validate(server) for server in AMI_SERVERS],
        "ivr": {"flows_dir": FLOWS},
    }
    values.update(overrides)
    return Settings.model_validate(values)


def check(directory: Path, current: Settings | None = None, flows: Path = FLOWS) -> list[str]:
    """The check's output lines for ``directory``, run in-process through the command's own facts."""
    facts, problems = service_facts(current or settings(), flows)
    return problems + [str(finding) for finding in check_directory(directory, facts)]


def run_cli(directory: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`callcenter asterisk check DIR` as a separate process with the service's environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLCENTER_")}
    env["CALLCENTER_AMI_SERVERS"] = json.dumps(AMI_SERVERS)
    env["CALLCENTER_IVR__FLOWS_DIR"] = str(FLOWS)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "callcenter", "asterisk", "check", str(directory)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
