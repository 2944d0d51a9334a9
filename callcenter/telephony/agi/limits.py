"""Limits and the application allow-list of the FastAGI server (part of the settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

# Applications that run programs or shell commands, or run arbitrary dialplan/AGI: never allowed,
# whatever the configuration says.
FORBIDDEN_APPLICATIONS = frozenset(
    {"system", "trysystem", "exec", "tryexec", "execif", "agi", "eagi", "deadagi", "externalivr", "gosub",
     "gosubif", "macro", "macroif", "mixmonitor", "monitor", "ices", "mp3player", "nbscat", "jack", "originate"}
)  # fmt: skip

DEFAULT_ALLOWED_APPLICATIONS = (
    "Playback", "Background", "Queue", "Dial", "VoiceMail", "VoiceMailMain", "Transfer", "Wait",
    "MusicOnHold", "SayDigits", "SayNumber", "SayAlpha", "Read", "Progress", "Ringing", "Echo",
)  # fmt: skip


class AgiLimits(BaseModel):
    """How much a FastAGI peer may send and how long it may take, and which applications EXEC may run."""

    handshake_timeout_s: float = Field(5.0, gt=0, description="Time for the environment block to arrive.")
    max_handshake_bytes: int = Field(16384, ge=256, description="Largest environment block accepted.")
    max_line_bytes: int = Field(8192, ge=128, description="Longest line accepted from the peer.")
    command_timeout_s: float = Field(
        300.0, gt=0, description="Longest wait for one reply, added to the command's own timeout (prompts play)."
    )
    close_timeout_s: float = Field(5.0, gt=0, description="After the half-close, how long Asterisk has to close.")
    max_sessions: int = Field(20000, ge=1, description="Concurrent sessions; more connections are refused.")
    max_hangup_notices: int = Field(8, ge=1, description="HANGUP lines tolerated per session (a flood is dropped).")
    allowed_applications: tuple[str, ...] = Field(
        DEFAULT_ALLOWED_APPLICATIONS, description="Applications the IVR may run with EXEC (case-insensitive)."
    )

    @field_validator("allowed_applications")
    @classmethod
    def _no_shell(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = sorted(app for app in value if app.lower() in FORBIDDEN_APPLICATIONS)
        if bad:
            raise ValueError(f"applications that run programs or arbitrary dialplan cannot be allowed: {bad}")
        return value

    def allowed(self) -> frozenset[str]:
        """The allow-list, lower-cased, with the forbidden applications removed."""
        return frozenset(app.lower() for app in self.allowed_applications) - FORBIDDEN_APPLICATIONS
