"""`/api/customers`: create, read, change, search, merge, identities, notes and the full history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from callcenter.api.deps import CurrentActor, RegionDep, SessionDep, SupervisorUser, after_id_cursor
from callcenter.contacts import service
from callcenter.contacts.schemas import (
    CustomerCreate,
    CustomerHistory,
    CustomerOut,
    CustomerUpdate,
    IdentityIn,
    IdentityOut,
    MergeRequest,
    MergeResult,
    NoteCreate,
    NoteOut,
    Page,
)
from callcenter.users.actor import Actor

router = APIRouter(prefix="/api/customers", tags=["customers"])


def customer_out(view: service.CustomerView) -> CustomerOut:
    out = CustomerOut.model_validate(view.customer)
    out.identities = [IdentityOut.model_validate(i) for i in view.identities]
    return out


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_customer(
    body: CustomerCreate, _actor: CurrentActor, session: SessionDep, region: RegionDep
) -> CustomerOut:
    """A new customer, optionally with phone numbers, e-mails, accounts and external ids."""
    return customer_out(await service.create_customer(session, data=body, region=region))


@router.get("")
async def search_customers(
    _actor: CurrentActor,
    session: SessionDep,
    region: RegionDep,
    name: Annotated[str | None, Query(max_length=200, description="Part of the name, any case")] = None,
    phone: Annotated[str | None, Query(max_length=40, description="In any common format")] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    account: Annotated[str | None, Query(max_length=320)] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CustomerOut]:
    """Customers by name and/or one identity; merged customers are left out."""
    found = await service.search_customers(
        session,
        region=region,
        name=name,
        phone=phone,
        email=email,
        account=account,
        after_id=after_id_cursor(cursor),
        limit=limit + 1,
    )
    next_cursor = str(found[limit - 1].customer.id) if len(found) > limit else None
    return Page(items=[customer_out(v) for v in found[:limit]], next_cursor=next_cursor)


@router.get("/{customer_id}")
async def get_customer(customer_id: int, _actor: CurrentActor, session: SessionDep) -> CustomerOut:
    """The customer; one merged into another answers with `merged_into_id` set."""
    return customer_out(await service.get_customer(session, customer_id=customer_id))


@router.patch("/{customer_id}")
async def update_customer(
    customer_id: int, body: CustomerUpdate, _actor: CurrentActor, session: SessionDep
) -> CustomerOut:
    return customer_out(await service.update_customer(session, customer_id=customer_id, data=body))


@router.post("/{customer_id}/identities", status_code=status.HTTP_201_CREATED)
async def add_identity(
    customer_id: int, body: IdentityIn, _actor: CurrentActor, session: SessionDep, region: RegionDep
) -> CustomerOut:
    """Attach a phone, e-mail, account or external id; 409 when it is someone else's."""
    return customer_out(await service.add_identity(session, customer_id=customer_id, data=body, region=region))


@router.post("/{customer_id}/merge")
async def merge_customer(
    customer_id: int, body: MergeRequest, user: SupervisorUser, session: SessionDep
) -> MergeResult:
    """Merge `source_id` into this customer: identities, contacts, notes, cases and callbacks move."""
    view, moved = await service.merge_customers(
        session, source_id=body.source_id, target_id=customer_id, actor=Actor.of(user)
    )
    return MergeResult(target=customer_out(view), moved=moved)


@router.post("/{customer_id}/notes", status_code=status.HTTP_201_CREATED)
async def add_customer_note(customer_id: int, body: NoteCreate, actor: CurrentActor, session: SessionDep) -> NoteOut:
    """A note about the customer that belongs to no single contact."""
    return NoteOut.model_validate(await service.add_note(session, data=body, actor=actor, customer_id=customer_id))


@router.get("/{customer_id}/history")
async def customer_history(
    customer_id: int,
    actor: CurrentActor,
    session: SessionDep,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CustomerHistory:
    """Every contact on every channel, newest first, with notes, open cases and pending callbacks."""
    document = await service.customer_history(session, customer_id=customer_id, actor=actor, limit=limit, cursor=cursor)
    return CustomerHistory.model_validate(document)
