"""Callbacks the IVR books, stored in the contact repository as pending callbacks.

A caller the IVR did not identify gets the customer their number belongs to, created as an
unknown customer when nobody has it yet, exactly like a contact logged from any channel.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.contacts import service, work_service
from callcenter.contacts.identities import normalize_phone
from callcenter.contacts.models import IdentityKind
from callcenter.contacts.schemas import CallbackCreate
from callcenter.db import unit_of_work
from callcenter.errors import InvalidInput
from callcenter.ivr.services import CallbackRefused, CallbackRequest
from callcenter.users.actor import SYSTEM


class RepositoryCallbacks:
    """:class:`~callcenter.ivr.services.CallbackBooker` writing to the repository, one unit of work per booking."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        default_region: str,
        window: dt.timedelta = dt.timedelta(hours=4),
    ) -> None:
        self._sessions = sessions
        self._region = default_region
        self._window = window

    def _phone(self, raw: str) -> str | None:
        try:
            return normalize_phone(raw, self._region)
        except InvalidInput:
            return None

    async def book_callback(self, request: CallbackRequest) -> None:
        """Create a pending callback within the booking window, for the caller's customer."""
        number = self._phone(request.number)
        if number is None:
            raise CallbackRefused(f"{request.number!r} is not a phone number")
        async with unit_of_work(self._sessions) as session:
            if request.customer_id is not None:
                customer_id = int(request.customer_id)
            else:
                # Whose call was it: the number that called, else the one they asked to be called on.
                phone = self._phone(request.caller_number) or number
                customer = await service.customer_by_identity(session, kind=IdentityKind.PHONE, value=phone)
                customer_id = customer.id
            data = CallbackCreate(
                customer_id=customer_id,
                number=number,
                window_start=request.requested_at,
                window_end=request.requested_at + self._window,
                queue=request.queue,
                reason=f"asked for in the IVR ({request.flow})",
            )
            await work_service.create_callback(session, data=data, actor=SYSTEM, region=self._region)
