"""Settings, read from ``CALLCENTER_*`` environment variables (nested with ``__``)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from callcenter.telephony.agi.limits import AgiLimits


class AgiSettings(BaseModel):
    """The FastAGI server Asterisk connects to (``AGI(agi://host:port/<flow>)``)."""

    host: str = Field("127.0.0.1", description="Address the FastAGI server listens on.")
    port: int = Field(4573, ge=0, le=65535, description="FastAGI port (4573 is Asterisk's default).")
    default_script: str | None = Field(
        None, description="Script (flow) run when Asterisk asks for an unknown one; unset: a polite hang-up."
    )
    limits: AgiLimits = Field(default_factory=AgiLimits)


class IvrSettings(BaseModel):
    """Where the IVR flows live and what the flow checker compares them with."""

    flows_dir: Path = Field(Path("ivr_flows"), description="Directory of the shipped flow files.")
    default_flow: str = Field("main-menu", description="Flow served when the AGI URL names an unknown one.")
    queues: list[str] = Field(
        default_factory=list, description="Known Asterisk queues; flows naming another are rejected (empty: no check)."
    )
    sounds_dir: Path | None = Field(None, description="Asterisk sounds directory; when set, every prompt must exist.")
    timezone: str = Field("UTC", description="Time zone of the `time` values CEL conditions see.")


class AmiServerSettings(BaseModel):
    """One Asterisk Manager Interface to listen to (``CALLCENTER_AMI_SERVERS`` is a JSON list of these)."""

    name: str = Field(description="Unique name of this Asterisk; tagged on every event and call.")
    host: str = "127.0.0.1"
    port: int = 5038
    username: str
    secret: SecretStr
    auth: Literal["plain", "md5"] = Field("plain", description="md5: challenge login, the secret is not sent.")
    events: str | None = Field(
        "call,agent,system", description="Event classes requested at login (Events:); None sends no filter."
    )
    action_timeout: float = 10.0
    keepalive_interval: float = Field(0.8, description="Seconds between keepalive Pings.")
    keepalive_timeout: float = Field(1.0, description="A Ping unanswered this long drops the connection.")
    reconnect_min_delay: float = 0.5
    reconnect_max_delay: float = 30.0
    max_backlog: int = Field(10_000, description="Events buffered for a slow consumer before reading pauses.")


class RealtimeSettings(BaseModel):
    """The websocket hub: replay, heartbeats, slow clients, allowed browser origins."""

    replay_buffer: int = Field(1000, ge=1, description="Messages kept per stream for clients resuming with a seq.")
    replay_max_age: int = Field(600, ge=1, description="Seconds a message stays replayable; older: a snapshot.")
    send_queue_limit: int = Field(512, ge=1, description="Queued messages that make a client too slow (closed).")
    heartbeat_interval: float = Field(20.0, gt=0, description="Seconds between the server's ping messages.")
    heartbeat_timeout: float = Field(45.0, gt=0, description="A client silent this long (no pong) is disconnected.")
    close_timeout: float = Field(5.0, gt=0, description="Seconds to wait for a close frame to reach a stuck client.")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed besides the service's own (e.g. https://console.example.com).",
    )
    token_in_query: bool = Field(
        True, description="Accept ?token= for clients that can set neither a header nor the cookie (it reaches logs)."
    )


class QueueMetricsSettings(BaseModel):
    """How one queue's service level is judged (see docs/metrics.md for the formulas)."""

    service_level_seconds: float = Field(20.0, gt=0, description="Answered within this many seconds counts as in SL.")
    short_abandon_seconds: float = Field(5.0, ge=0, description="Abandoned before this many seconds is short.")
    exclude_short_abandons: bool = Field(True, description="Leave short abandons out of the SL denominator.")
    service_level_target: float = Field(80.0, ge=0, le=100, description="Alert when today's SL falls under this.")


class MetricsSettings(BaseModel):
    """Live KPIs, interval reports and supervisor alerts."""

    timezone: str = Field("UTC", description="The centre's time zone: where days and report intervals start.")
    default: QueueMetricsSettings = Field(default_factory=QueueMetricsSettings)
    queues: dict[str, QueueMetricsSettings] = Field(default_factory=dict, description="Per-queue overrides.")
    longest_wait_alert_seconds: float = Field(120.0, gt=0, description="Alert when a caller waits longer.")
    min_offered_for_service_level_alert: int = Field(
        5, ge=1, description="Offered calls needed today before a low service level raises an alert."
    )


class WallboardSettings(BaseModel):
    """How live figures reach the supervisors' wallboard."""

    publish_interval: float = Field(
        0.25, gt=0, le=1, description="Seconds over which figure changes are coalesced into one message."
    )
    history_sample_seconds: float = Field(60.0, gt=0, description="Seconds between points of the wallboard chart.")
    history_hours: float = Field(4.0, gt=0, le=48, description="Hours of history the wallboard chart keeps.")


class ConsoleSettings(BaseModel):
    """The live agent console: FastAGI IVR serving, agent actions, wrap-up rules."""

    serve_fastagi: bool = Field(False, description="Run the FastAGI server (the IVR) inside the service.")
    disposition_queues: list[str] = Field(
        default_factory=list, description="Queues whose calls need a disposition before the agent is ready again."
    )
    pause_reasons: list[str] = Field(
        default_factory=lambda: ["Break", "Lunch", "Training", "Meeting", "Back office"],
        description="Pause reasons the console offers (QueuePause Reason).",
    )
    originate_context: str = Field("from-agents", description="Dialplan context click-to-call dials numbers in.")
    transfer_context: str = Field("transfer", description="Dialplan context of blind transfer targets.")
    users_refresh_seconds: float = Field(
        30.0, gt=0, description="How often the map of agent phones (member interface -> user) is reloaded."
    )


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
    agi: AgiSettings = Field(default_factory=AgiSettings)
    ivr: IvrSettings = Field(default_factory=IvrSettings)
    backplane: str | None = Field(
        None, description="redis://host:port/db to share websocket streams between instances; unset: in-process."
    )
    realtime: RealtimeSettings = Field(default_factory=RealtimeSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    wallboard: WallboardSettings = Field(default_factory=WallboardSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

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
