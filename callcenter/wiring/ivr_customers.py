"""The IVR's customer directory over the contact repository.

Each lookup is its own short unit of work, so no database session is held while a caller listens
to a prompt. Numbers are normalised like the repository stores them (E.164); a merged customer
is followed to the one it was merged into.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.contacts import repository, service
from callcenter.contacts.identities import normalize_phone
from callcenter.contacts.models import Customer, IdentityKind
from callcenter.db import unit_of_work
from callcenter.errors import InvalidInput
from callcenter.ivr.services import Customer as CustomerRecord


class RepositoryCustomers:
    """:class:`~callcenter.ivr.services.CustomerDirectory` backed by the repository's identities."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, default_region: str) -> None:
        self._sessions = sessions
        self._region = default_region

    async def find_by_phone(self, number: str) -> CustomerRecord | None:
        """The customer owning this phone number, whatever way Asterisk wrote it."""
        try:
            value = normalize_phone(number, self._region)
        except InvalidInput:
            return None  # anonymous, "unknown", or not a number at all
        return await self._find(IdentityKind.PHONE, value)

    async def find_by_account(self, account: str) -> CustomerRecord | None:
        """The customer with this account number."""
        return await self._find(IdentityKind.ACCOUNT, account.strip())

    async def _find(self, kind: IdentityKind, value: str) -> CustomerRecord | None:
        async with unit_of_work(self._sessions) as session:
            identity = await repository.find_identity(session, kind, value)
            if identity is None:
                return None
            return _record(await service.require_customer(session, identity.customer_id))


def _record(customer: Customer) -> CustomerRecord:
    """What flows see as ``customer``: no notes, no contact history."""
    return {
        "id": customer.id,
        "name": customer.display_name,
        "segment": customer.segment or "",
        "value": customer.value_score,
        "language": customer.language or "",
    }
