"""AMI servers come from the settings (a JSON list in CALLCENTER_AMI_SERVERS)."""

from __future__ import annotations

import json

import pytest

from callcenter.config import Settings
from callcenter.telephony.ami import AmiClient, AmiServers


def test_ami_servers_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    servers = [
        {"name": "east", "host": "10.0.0.5", "username": "callcenter", "secret": "s3cret", "auth": "md5"},
        {"name": "west", "host": "10.0.0.6", "port": 5039, "username": "callcenter", "secret": "other"},
    ]
    monkeypatch.setenv("CALLCENTER_AMI_SERVERS", json.dumps(servers))
    settings = Settings()
    assert [s.name for s in settings.ami_servers] == ["east", "west"]
    assert "s3cret" not in repr(settings.ami_servers[0])  # the secret is never printed
    group = AmiServers.from_settings(settings.ami_servers, consumer=lambda event: None)
    east, west = group["east"], group["west"]
    assert isinstance(east, AmiClient)
    assert (east.host, east.port, east.auth, east.events) == ("10.0.0.5", 5038, "md5", "call,agent,system")
    assert (west.port, west.auth, west.keepalive_interval + west.keepalive_timeout) == (5039, "plain", 1.8)
