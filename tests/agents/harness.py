"""The service wired to the PBX simulator over real sockets: AMI to pbxsim, FastAGI back to the service."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from callcenter.config import AmiServerSettings, ConsoleSettings, Settings
from callcenter.contacts import service
from callcenter.contacts.schemas import ContactCreate, CustomerCreate, IdentityIn
from callcenter.db import create_engine, create_sessionmaker, unit_of_work
from callcenter.pbxsim.clock import Clock
from callcenter.pbxsim.config import PbxConfig
from callcenter.pbxsim.fastagi_ivr import FastAgiIvr
from callcenter.pbxsim.simulator import PbxSimulator
from callcenter.pbxsim.truth import CallSpec
from callcenter.users.models import Role, User
from callcenter.users.tokens import issue_token
from tests.conftest import TEST_SECRET
from tests.realtime.conftest import Service, running

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
# A Tuesday at 10:00 in New York: the main menu's opening hours are on whatever the real time.
OPEN_HOURS = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
CALLER = "+15551230042"


@dataclass
class Floor:
    """A running service + simulator, two agents and a known customer."""

    service: Service
    sim: PbxSimulator
    tokens: dict[str, str]
    ids: dict[str, int]
    customer_id: int

    def call(self, number: str = CALLER, *, talk: float = 4.0, ring: float = 1.0, known: bool = True) -> None:
        """A caller dials in, picks support (1) in the menu and talks ``talk`` seconds once answered.

        An unknown caller is asked for an account number first: they type one not on file (0000#).
        """
        account = "" if known else "0000"
        spec = CallSpec(
            caller_num=number,
            caller_name="Hana",
            choice="1",
            account=account,
            hold=600.0,
            talk=talk,
            answers_prompts=True,
        )
        spec.ring_seconds = ring
        self.sim.pbx.originate(spec)


async def seed(url: str, password_hash: str) -> tuple[dict[str, str], dict[str, int], int]:
    """Agents alice (1001) and bob (1002), supervisor sue, and the customer Hana Sato with history on two channels."""
    engine = create_engine(url)
    tokens, ids = {}, {}
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            people = [
                ("alice", Role.AGENT, "Local/agent1001@agents/n"),
                ("bob", Role.AGENT, "Local/agent1002@agents/n"),
                ("sue", Role.SUPERVISOR, None),
            ]
            for username, role, interface in people:
                user = User(
                    username=username,
                    display_name=f"{username.title()} {role.value.title()}",
                    role=role,
                    password_hash=password_hash,
                    interface=interface,
                    queues=["support"] if interface else [],
                )
                session.add(user)
                await session.flush()
                tokens[username] = issue_token(user, secret=TEST_SECRET, ttl_seconds=600)
                ids[username] = user.id
            view = await service.create_customer(
                session,
                region="US",
                data=CustomerCreate(
                    display_name="Hana Sato",
                    segment="gold",
                    value_score=640,
                    identities=[IdentityIn(kind="phone", value=CALLER)],
                ),
            )
            for days, channel, subject in [(3, "email", "Invoice question"), (1, "web", "Contact form: refund")]:
                await service.log_contact(
                    session,
                    region="US",
                    data=ContactCreate(
                        channel=channel,
                        source=channel,
                        external_id=f"seed-{days}",
                        customer_id=view.customer.id,
                        started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days),
                        subject=subject,
                    ),
                )
        return tokens, ids, view.customer.id
    finally:
        await engine.dispose()


def floor_settings(
    database_url: str, data_dir: Path, ami_port: int, backplane: str | None = None, **console: object
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=TEST_SECRET,
        backplane=backplane,
        ami_servers=[AmiServerSettings(name="pbx1", port=ami_port, username="callcenter", secret="lab-secret")],
        agi={"port": 0},
        ivr={"flows_dir": FLOWS},
        console=ConsoleSettings(serve_fastagi=True, **console),
    )


@asynccontextmanager
async def floor(
    database_url: str, data_dir: Path, password_hash: str, backplane: str | None = None, **console: object
) -> AsyncIterator[Floor]:
    """pbxsim (only agents 1001 and 1002 take support calls) and the service listening to it."""
    tokens, ids, customer_id = await seed(database_url, password_hash)
    ivr = FastAgiIvr("127.0.0.1", 0)
    sim = PbxSimulator(PbxConfig(), clock=Clock(speed=4.0), ivr=ivr)
    await sim.start()
    sim.pbx.pause("Local/agent1003@agents/n", None, True, "not in this test")
    settings = floor_settings(database_url, data_dir, sim.ami_port, backplane, **console)
    try:
        async with running_with_clock(settings) as svc:
            agi = svc.app.state.telephony.agi
            ivr.port = agi.port
            sim.pbx.agi_url = f"agi://127.0.0.1:{agi.port}"
            await svc.app.state.telephony.links.clients["pbx1"].wait_connected()
            yield Floor(svc, sim, tokens, ids, customer_id)
    finally:
        await sim.stop()


@asynccontextmanager
async def running_with_clock(settings: Settings) -> AsyncIterator[Service]:
    async with running(settings, ivr_clock=lambda: OPEN_HOURS) as svc:
        yield svc
