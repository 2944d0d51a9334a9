"""Creating, changing and authenticating users."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.errors import Conflict, NotFound
from callcenter.users import repository
from callcenter.users.models import User
from callcenter.users.passwords import hash_password, verify_password, verify_unknown_user
from callcenter.users.schemas import UserCreate, UserUpdate


async def create_user(session: AsyncSession, *, data: UserCreate) -> User:
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        password_hash=await asyncio.to_thread(hash_password, data.password),
        interface=data.interface or None,
        queues=data.queues,
    )
    if not await repository.save_user(session, user):
        raise Conflict(f"username {data.username!r} or interface {data.interface!r} is already taken")
    return user


async def update_user(session: AsyncSession, *, user_id: int, data: UserUpdate) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    changes = data.model_dump(exclude_unset=True)
    if "password" in changes:
        user.password_hash = await asyncio.to_thread(hash_password, changes.pop("password"))
    for field, value in changes.items():
        setattr(user, field, value)
    if not await repository.save_user(session, user):
        raise Conflict(f"interface {data.interface!r} is already another user's")
    return user


async def authenticate(session: AsyncSession, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost whether or not the user exists).

    Argon2 is deliberately slow, so it runs in a worker thread, off the event loop.
    """
    user = await repository.get_by_username(session, username)
    if user is None:
        await asyncio.to_thread(verify_unknown_user, password)
        return None
    if not await asyncio.to_thread(verify_password, password, user.password_hash) or not user.active:
        return None
    return user
