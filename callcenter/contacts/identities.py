"""Normalising the ways a customer is recognised, so one number written five ways is one identity."""

from __future__ import annotations

import phonenumbers

from callcenter.contacts.models import IdentityKind
from callcenter.errors import InvalidInput


def normalize_phone(raw: str, default_region: str) -> str:
    """E.164 form of ``raw``, read in ``default_region`` when it has no country code.

    Only the number's shape is checked (``is_possible_number``): fictional ranges such as
    +1 555 01xx, which call centres use in tests and demos, are real numbers to Asterisk.
    """
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"{raw!r} is not a phone number: {exc._msg}") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput(f"{raw!r} is not a possible phone number in region {default_region.upper()}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    value = raw.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value:
        raise InvalidInput(f"{raw!r} is not an e-mail address")
    return value


def normalize_identity(kind: IdentityKind, raw: str, default_region: str) -> str:
    """The stored form of an identity value of ``kind``."""
    if kind is IdentityKind.PHONE:
        return normalize_phone(raw, default_region)
    if kind is IdentityKind.EMAIL:
        return normalize_email(raw)
    value = raw.strip()
    if not value:
        raise InvalidInput(f"an empty {kind.value} identity is not allowed")
    return value
