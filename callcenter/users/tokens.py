"""Credentials a signed-in user presents: bearer tokens (JWT) for API clients, a signed cookie for browsers.

Both carry a fingerprint of the password hash, so changing a password signs the user out everywhere.
"""

from __future__ import annotations

import hashlib
import time

import jwt
from itsdangerous import BadSignature, URLSafeTimedSerializer

from callcenter.users.models import User

SESSION_COOKIE = "callcenter_session"
_ALGORITHM = "HS256"


def password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def issue_token(user: User, *, secret: str, ttl_seconds: int) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user.id),
        "role": user.role.value,
        "pwd": password_fingerprint(user),
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(token: str, *, secret: str) -> tuple[int, str] | None:
    """(user id, password fingerprint) of a valid, unexpired token; None otherwise."""
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["sub", "exp", "pwd"]})
        return int(claims["sub"]), str(claims["pwd"])
    except (jwt.PyJWTError, ValueError):
        return None


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="callcenter-session")


def issue_session_cookie(user: User, *, secret: str) -> str:
    return _serializer(secret).dumps({"uid": user.id, "pwd": password_fingerprint(user)})


def read_session_cookie(value: str, *, secret: str, max_age: int) -> tuple[int, str] | None:
    try:
        data = _serializer(secret).loads(value, max_age=max_age)
        return int(data["uid"]), str(data["pwd"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
