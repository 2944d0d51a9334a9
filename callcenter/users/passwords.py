"""Argon2 password hashing (pwdlib)."""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


@cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher().verify(password, password_hash)


# Checked against when the username is unknown, so a login takes as long either way.
_DUMMY_HASH: list[str] = []


def verify_unknown_user(password: str) -> None:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("not a password"))
    verify_password(password, _DUMMY_HASH[0])
