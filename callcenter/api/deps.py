"""Dependencies shared by the routers: the request's unit of work, the signed-in user, role checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db import unit_of_work
from callcenter.errors import InvalidInput
from callcenter.runtime import Runtime
from callcenter.users import repository as users
from callcenter.users.actor import Actor
from callcenter.users.models import Role, User
from callcenter.users.tokens import SESSION_COOKIE, password_fingerprint, read_session_cookie, read_token


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(runtime(request).sessions) as session:
        yield session


# scope="function": the transaction commits before the response leaves, so a client that got a 2xx
# can rely on the write being durable.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/auth/login")


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


class NotSignedIn(Exception):
    """The credentials are missing, invalid or no longer valid; the message says what to do."""


async def authenticate(parts: Runtime, session: AsyncSession, *, bearer: str | None, cookie: str | None) -> User:
    """The active user behind a bearer token or, failing that, a session cookie; raises :class:`NotSignedIn`."""
    if bearer is not None:
        claim = read_token(bearer, secret=parts.secret)
        if claim is None:
            raise NotSignedIn("the bearer token is invalid or expired; sign in again")
    elif cookie:
        claim = read_session_cookie(cookie, secret=parts.secret, max_age=parts.settings.session_max_age_seconds)
        if claim is None:
            raise NotSignedIn("the session has expired; sign in again")
    else:
        raise NotSignedIn("sign in first: POST /api/auth/login, then send the bearer token or the cookie")
    user_id, fingerprint = claim
    user = await users.get_user(session, user_id)
    if user is None or not user.active or password_fingerprint(user) != fingerprint:
        raise NotSignedIn("this sign-in is no longer valid; sign in again")
    return user


async def current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user behind the bearer token or, for browsers, the session cookie."""
    try:
        return await authenticate(
            runtime(request),
            session,
            bearer=credentials.credentials if credentials is not None else None,
            cookie=request.cookies.get(SESSION_COOKIE),
        )
    except NotSignedIn as exc:
        raise _unauthorized(str(exc)) from exc


CurrentUser = Annotated[User, Depends(current_user)]


async def current_actor(request: Request, user: CurrentUser) -> Actor:
    return Actor.of(user, agents_read_others_private_notes=runtime(request).settings.agents_read_others_private_notes)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_role(*roles: Role) -> Callable[[User], User]:
    """A dependency letting only ``roles`` through (403 for the others)."""
    allowed = ", ".join(r.value for r in roles)

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the role {allowed}; you are {user.role.value}")
        return user

    return check


AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]
SupervisorUser = Annotated[User, Depends(require_role(Role.SUPERVISOR, Role.ADMIN))]


def default_region(request: Request) -> str:
    return runtime(request).settings.default_region


RegionDep = Annotated[str, Depends(default_region)]


def after_id_cursor(cursor: str | None) -> int | None:
    """Read the opaque cursor of id-ordered pages (the last id of the previous page)."""
    if cursor is None:
        return None
    if not cursor.isdigit():
        raise InvalidInput("cursor is not one this API returned")
    return int(cursor)
