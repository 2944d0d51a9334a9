"""FastAGI settings: read from CALLCENTER_AGI__* and never able to allow a shell application."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from callcenter.config import Settings


def test_agi_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_AGI__PORT", "4600")
    monkeypatch.setenv("CALLCENTER_AGI__DEFAULT_SCRIPT", "main-menu")
    monkeypatch.setenv("CALLCENTER_AGI__LIMITS__COMMAND_TIMEOUT_S", "12.5")
    monkeypatch.setenv("CALLCENTER_AGI__LIMITS__ALLOWED_APPLICATIONS", '["Playback", "Queue"]')
    agi = Settings().agi
    assert (agi.host, agi.port, agi.default_script) == ("127.0.0.1", 4600, "main-menu")
    assert agi.limits.command_timeout_s == 12.5
    assert agi.limits.allowed() == {"playback", "queue"}


def test_defaults_are_asterisks_port_and_no_fallback_script() -> None:
    agi = Settings().agi
    assert agi.port == 4573 and agi.default_script is None
    assert "system" not in agi.limits.allowed()


def test_shell_application_in_settings_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_AGI__LIMITS__ALLOWED_APPLICATIONS", '["Playback", "TrySystem"]')
    with pytest.raises(ValidationError, match="TrySystem"):
        Settings()
