"""Sign-in (`/api/auth`) and user management (`/api/users`, admins only)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from limits import RateLimitItemPerMinute

from callcenter.api.deps import AdminUser, CurrentUser, SessionDep, runtime
from callcenter.errors import NotFound
from callcenter.users import repository, service
from callcenter.users.schemas import LoginRequest, LoginResult, UserCreate, UserOut, UserUpdate
from callcenter.users.tokens import SESSION_COOKIE, issue_session_cookie, issue_token

auth_router = APIRouter(prefix="/api/auth", tags=["auth"])
users_router = APIRouter(prefix="/api/users", tags=["users"])

# Ten wrong guesses a minute per username and per client address, then 429 until the window moves on.
_LOGIN_LIMIT = RateLimitItemPerMinute(10)


@auth_router.post("/login")
async def login(body: LoginRequest, request: Request, response: Response, session: SessionDep) -> LoginResult:
    """Check username and password; answer a bearer token and set the browser's session cookie."""
    parts = runtime(request)
    client = request.client.host if request.client else "unknown"
    keys = (f"user:{body.username}", f"addr:{client}")
    for key in keys:
        if not await parts.login_limiter.test(_LOGIN_LIMIT, key):
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many failed sign-ins; wait a minute")
    user = await service.authenticate(session, username=body.username, password=body.password)
    if user is None:
        for key in keys:
            await parts.login_limiter.hit(_LOGIN_LIMIT, key)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    response.set_cookie(
        SESSION_COOKIE,
        issue_session_cookie(user, secret=parts.secret),
        max_age=parts.settings.session_max_age_seconds,
        httponly=True,
        samesite="strict",
        secure=parts.settings.cookie_secure,
    )
    token = issue_token(user, secret=parts.secret, ttl_seconds=parts.settings.token_ttl_seconds)
    return LoginResult(
        access_token=token, expires_in=parts.settings.token_ttl_seconds, user=UserOut.model_validate(user)
    )


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(response: Response) -> None:
    """Forget the browser's session cookie (bearer tokens simply expire)."""
    response.delete_cookie(SESSION_COOKIE)


@auth_router.get("/me")
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@users_router.get("")
async def list_users(_admin: AdminUser, session: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await repository.list_users(session)]


@users_router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, _admin: AdminUser, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.create_user(session, data=body))


@users_router.get("/{user_id}")
async def get_user(user_id: int, _admin: AdminUser, session: SessionDep) -> UserOut:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return UserOut.model_validate(user)


@users_router.patch("/{user_id}")
async def update_user(user_id: int, body: UserUpdate, _admin: AdminUser, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.update_user(session, user_id=user_id, data=body))
