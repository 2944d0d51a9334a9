"""Demo users and customers with history on several channels; running it again changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.contacts import repository, service, work_service
from callcenter.contacts.models import IdentityKind
from callcenter.contacts.schemas import (
    CallbackCreate,
    CaseCreate,
    ContactCreate,
    CustomerCreate,
    IdentityIn,
    NoteCreate,
)
from callcenter.users import repository as users
from callcenter.users.actor import SYSTEM, Actor
from callcenter.users.models import Role, User
from callcenter.users.passwords import hash_password

SOURCE = "demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: Role
    password: str
    extension: int | None = None  # agent phone: Local/agent<ext>@agents/n
    answered_by_simulator: bool = True

    @property
    def interface(self) -> str | None:
        return f"Local/agent{self.extension}@agents/n" if self.extension else None


DEMO_USERS = [
    DemoUser("admin", "Ada Admin", Role.ADMIN, "demo-admin"),
    DemoUser("supervisor", "Sam Supervisor", Role.SUPERVISOR, "demo-supervisor"),
    DemoUser("you", "You (try me)", Role.AGENT, "demo-agent", 1001, answered_by_simulator=False),
    DemoUser("lee", "Lee Agent", Role.AGENT, "demo-agent", 1002),
    DemoUser("mia", "Mia Agent", Role.AGENT, "demo-agent", 1003),
    DemoUser("noah", "Noah Agent", Role.AGENT, "demo-agent", 1004),
]


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    phone: str
    account: str
    segment: str
    value: int
    story: tuple[tuple[int, str, str, str], ...]  # (days ago, channel, subject, note)


DEMO_CUSTOMERS = [
    DemoCustomer("Hana Sato", "+15550100001", "4321", "vip", 920, (
        (40, "email", "Upgrade to the premium plan", "Wants a yearly invoice"),
        (12, "voice", "Router keeps rebooting", "Sent a replacement router"),
        (2, "chat", "Replacement not arrived", "Tracking shows delayed at depot"),
    )),
    DemoCustomer("Omar Haddad", "+15550100002", "5678", "gold", 610, (
        (25, "web", "Contact form: moving house", "Move on the 3rd, keep the number"),
        (5, "voice", "Installation date", "Booked for Thursday morning"),
    )),
    DemoCustomer("Grace Kim", "+15550100003", "1111", "standard", 120, (
        (60, "voice", "Billing question", ""),
        (9, "email", "Refund request", "Double charge in October"),
        (1, "sms", "Refund status?", ""),
    )),
    DemoCustomer("Lucas Moreau", "+15550100004", "2222", "standard", 80, (
        (3, "chat", "Password reset", "Reset link sent"),
    )),
    DemoCustomer("Priya Nair", "+15550100005", "3333", "gold", 540, (
        (18, "email", "Business line quote", "Quote Q-2231 sent"),
        (4, "voice", "Quote follow-up", "Wants 10 lines, not 8"),
    )),
    DemoCustomer("Tom Becker", "+15550100006", "4444", "standard", 60, (
        (7, "web", "Contact form: slow internet", "Line test OK, suggested a new router"),
    )),
    DemoCustomer("Sofia Rossi", "+15550100007", "5555", "vip", 880, (
        (30, "voice", "Roaming charges", "Credited 25 EUR"),
        (6, "email", "Roaming again", "Escalated to billing"),
    )),
    DemoCustomer("Ken Ito", "+15550100008", "6666", "standard", 150, (
        (2, "chat", "Change of address", ""),
    )),
]  # fmt: skip


async def seed_users(session: AsyncSession) -> dict[str, int]:
    """Create the demo users that do not exist yet; their ids by username."""
    ids: dict[str, int] = {}
    for person in DEMO_USERS:
        user = await users.get_by_username(session, person.username)
        if user is None:
            user = User(
                username=person.username,
                display_name=person.name,
                role=person.role,
                password_hash=hash_password(person.password),
                interface=person.interface,
                queues=["support", "sales"] if person.extension else [],
            )
            session.add(user)
            await session.flush()
        ids[person.username] = user.id
    return ids


async def seed_customers(session: AsyncSession, *, region: str, agent_id: int, now: dt.datetime) -> int:
    """Create the demo customers and their history once; how many were new."""
    created = 0
    for index, person in enumerate(DEMO_CUSTOMERS, start=1):
        if await repository.find_identity(session, IdentityKind.PHONE, person.phone) is not None:
            continue
        created += 1
        view = await service.create_customer(
            session,
            region=region,
            data=CustomerCreate(
                display_name=person.name,
                segment=person.segment,
                value_score=person.value,
                identities=[
                    IdentityIn(kind="phone", value=person.phone),
                    IdentityIn(kind="account", value=person.account),
                ],
            ),
        )
        customer_id = view.customer.id
        contact_ids = []
        for number, (days, channel, subject, note) in enumerate(person.story):
            started = now - dt.timedelta(days=days, hours=number)
            contact, _ = await service.log_contact(
                session,
                region=region,
                data=ContactCreate(
                    channel=channel,
                    source=SOURCE,
                    external_id=f"{index}-{number}",
                    customer_id=customer_id,
                    started_at=started,
                    ended_at=started + dt.timedelta(minutes=6),
                    subject=subject,
                    agent_id=agent_id if channel in ("voice", "chat") else None,
                    outcome="handled",
                ),
            )
            contact_ids.append(contact.id)
            if note:
                agent = Actor(user_id=agent_id, role=Role.AGENT)
                await service.add_note(session, data=NoteCreate(body=note), actor=agent, contact_id=contact.id)
        if person.segment == "vip":
            case = CaseCreate(
                customer_id=customer_id,
                subject=person.story[-1][2],
                owner_id=agent_id,
                reply_due_at=now + dt.timedelta(days=1),
                contact_ids=contact_ids[-1:],
            )
            await work_service.create_case(session, data=case, actor=SYSTEM)
        if person.segment == "gold":
            callback = CallbackCreate(
                customer_id=customer_id,
                number=person.phone,
                window_start=now + dt.timedelta(hours=2),
                window_end=now + dt.timedelta(hours=4),
                queue="support",
                reason="Promised a call back with the quote",
            )
            await work_service.create_callback(session, data=callback, actor=SYSTEM, region=region)
    return created
