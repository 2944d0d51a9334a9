"""All SQL of the flow store."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.flowstore.models import FlowPublication, FlowVersion


async def next_number(session: AsyncSession, flow_name: str) -> int:
    highest = await session.scalar(select(func.max(FlowVersion.number)).where(FlowVersion.flow_name == flow_name))
    return (highest or 0) + 1


async def add(session: AsyncSession, row: FlowVersion | FlowPublication) -> None:
    session.add(row)
    await session.flush()


async def get_version(session: AsyncSession, flow_name: str, number: int) -> FlowVersion | None:
    query = select(FlowVersion).where(FlowVersion.flow_name == flow_name, FlowVersion.number == number)
    return await session.scalar(query)


async def list_versions(session: AsyncSession, flow_name: str) -> Sequence[FlowVersion]:
    query = select(FlowVersion).where(FlowVersion.flow_name == flow_name).order_by(FlowVersion.number)
    return (await session.scalars(query)).all()


async def flow_names(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(FlowVersion.flow_name).distinct().order_by(FlowVersion.flow_name))).all())


async def publications(session: AsyncSession, flow_name: str) -> Sequence[tuple[FlowPublication, FlowVersion]]:
    """A flow's publications, newest first, each with its version."""
    query = (
        select(FlowPublication, FlowVersion)
        .join(FlowVersion, FlowVersion.id == FlowPublication.version_id)
        .where(FlowPublication.flow_name == flow_name)
        .order_by(FlowPublication.id.desc())
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def live_versions(session: AsyncSession) -> Sequence[tuple[FlowPublication, FlowVersion]]:
    """For every flow ever published, its latest publication and the version it put live."""
    latest = select(func.max(FlowPublication.id)).group_by(FlowPublication.flow_name)
    query = (
        select(FlowPublication, FlowVersion)
        .join(FlowVersion, FlowVersion.id == FlowPublication.version_id)
        .where(FlowPublication.id.in_(latest))
        .order_by(FlowPublication.flow_name)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]
