"""Structured logs (structlog on stdlib logging) with personal data masked."""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog

_PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")


def mask_personal_data(text: str) -> str:
    """Keep the last three digits of phone numbers and the domain of e-mail addresses."""
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group())[-3:], text)


def _mask_processor(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key, value in event_dict.items():
        if isinstance(value, str) and key not in {"timestamp", "level", "logger"}:
            event_dict[key] = mask_personal_data(value)
    return event_dict


def configure_logging(level: str = "INFO") -> None:
    """Route structlog through stdlib logging with call/agent context from contextvars."""
    logging.basicConfig(level=level.upper(), format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask_processor,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
