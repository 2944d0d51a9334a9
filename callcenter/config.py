"""Settings, read from ``CALLCENTER_*`` environment variables (nested with ``__``)."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AmiServerSettings(BaseModel):
    """One Asterisk Manager Interface to listen to (``CALLCENTER_AMI_SERVERS`` is a JSON list of these)."""

    name: str = Field(description="Unique name of this Asterisk; tagged on every event and call.")
    host: str = "127.0.0.1"
    port: int = 5038
    username: str
    secret: SecretStr
    events: str | None = Field(
        "call,agent,system", description="Event classes requested at login (Events:); None sends no filter."
    )
    action_timeout: float = 10.0
    keepalive_interval: float = Field(0.8, description="Seconds between keepalive Pings.")
    keepalive_timeout: float = Field(1.0, description="A Ping unanswered this long drops the connection.")
    reconnect_min_delay: float = 0.5
    reconnect_max_delay: float = 30.0
    max_backlog: int = Field(10_000, description="Events buffered for a slow consumer before reading pauses.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLCENTER_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the default SQLite file and the generated secret live.")
    database_url: str = Field(
        "sqlite+aiosqlite:///var/callcenter.db",
        description="SQLAlchemy URL of the contact repository (sqlite+aiosqlite or postgresql+asyncpg).",
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    secret_key: SecretStr | None = Field(
        None, description="Signs session cookies and API tokens; generated into data_dir when unset."
    )
    default_region: str = Field("US", description="Region for phone numbers written without a country code.")
    session_max_age_seconds: int = 12 * 3600
    token_ttl_seconds: int = 8 * 3600
    cookie_secure: bool = False
    agents_read_others_private_notes: bool = Field(
        False, description="When false, an agent sees only their own private notes."
    )
    log_level: str = "INFO"
    ami_servers: list[AmiServerSettings] = []

    def resolved_secret(self) -> str:
        """The signing secret: the configured one, or one generated once and kept in data_dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret)
        path.chmod(0o600)
        return secret
