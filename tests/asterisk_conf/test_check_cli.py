"""`callcenter asterisk check DIR` as an admin runs it: the shipped configuration, exit codes, lines."""

from __future__ import annotations

from pathlib import Path

from tests.asterisk_conf.confkit import SHIPPED, copy_shipped, edit, line_of, run_cli


def test_shipped_configuration_agrees_with_the_service() -> None:
    result = run_cli(SHIPPED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agrees with the service (FastAGI 127.0.0.1:4573, 5 flows, AMI user callcenter)" in result.stdout


def test_wrong_agi_port_in_globals_is_reported_at_that_line(tmp_path: Path) -> None:
    conf = copy_shipped(tmp_path)
    line = edit(
        conf / "extensions.conf", "CALLCENTER_AGI = agi://127.0.0.1:4573", "CALLCENTER_AGI = agi://127.0.0.1:4574"
    )
    result = run_cli(conf)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    expected = f"{conf}/extensions.conf:{line}: FastAGI port 4574 is not the service's (4573, CALLCENTER_AGI__PORT)"
    # Every AGI step builds its URL from that one global: one line per step, all pointing at the global.
    assert lines and set(lines) == {expected}


def test_service_settings_come_from_the_environment(tmp_path: Path) -> None:
    result = run_cli(SHIPPED, {"CALLCENTER_AGI__PORT": "4600", "CALLCENTER_AGI__HOST": "10.1.2.3"})
    assert result.returncode == 1
    line = line_of(SHIPPED / "extensions.conf", "CALLCENTER_AGI = agi://")
    assert f"{SHIPPED}/extensions.conf:{line}: FastAGI port 4573 is not the service's (4600" in result.stdout
    assert f"{SHIPPED}/extensions.conf:{line}: FastAGI host 127.0.0.1 is not the service's (10.1.2.3" in result.stdout


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "nope")
    assert result.returncode == 1
    assert result.stdout.strip() == f"{tmp_path / 'nope'}: not a directory"
