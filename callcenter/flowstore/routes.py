"""`/api/ivr/flows`: flow versions for admins: save a draft, read the diff, publish, roll back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, status

from callcenter.api.deps import AdminUser, SessionDep, runtime
from callcenter.flowstore import repository, service
from callcenter.flowstore.models import FlowPublication, FlowVersion
from callcenter.flowstore.schemas import DiffOut, DraftIn, FlowSummary, PublicationOut, VersionDetail, VersionOut
from callcenter.ivr.catalog import CompiledFlow, FlowCatalog
from callcenter.ivr.validate import CheckOptions, flow_files

router = APIRouter(prefix="/api/ivr/flows", tags=["ivr flows"])

FlowName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


def _shipped_names(request: Request) -> frozenset[str]:
    directory = runtime(request).settings.ivr.flows_dir
    return frozenset(p.stem for p in flow_files([directory])) if directory.is_dir() else frozenset()


async def _options(request: Request, session: SessionDep) -> CheckOptions:
    ivr = runtime(request).settings.ivr
    return CheckOptions(
        queues=frozenset(ivr.queues) if ivr.queues else None,
        sounds_dir=ivr.sounds_dir,
        flows=await service.known_flow_names(session, _shipped_names(request)),
    )


def _go_live(catalog: FlowCatalog | None, flow: CompiledFlow) -> None:
    """Runs after the response, so after the commit: new calls take the version, calls in progress keep theirs."""
    if catalog is not None:
        catalog.publish(flow)


def _catalog(request: Request) -> FlowCatalog | None:
    return getattr(request.app.state, "ivr_catalog", None)


def _version_out(version: FlowVersion, live: FlowVersion | None) -> VersionOut:
    out = VersionOut.model_validate(version)
    out.live = live is not None and live.id == version.id
    return out


def _publication_out(publication: FlowPublication, version: FlowVersion) -> PublicationOut:
    return PublicationOut(
        flow_name=publication.flow_name,
        number=version.number,
        kind=publication.kind,
        published_by_id=publication.published_by_id,
        published_at=publication.published_at,
    )


@router.get("")
async def list_flows(_admin: AdminUser, session: SessionDep) -> list[FlowSummary]:
    """Every stored flow with its latest and live version numbers."""
    out = []
    for name in await repository.flow_names(session):
        live = await service.live_version(session, name)
        latest = await repository.next_number(session, name) - 1
        out.append(FlowSummary(flow_name=name, latest=latest, live=live.number if live else None))
    return out


@router.get("/{flow_name}/versions")
async def list_versions(flow_name: FlowName, _admin: AdminUser, session: SessionDep) -> list[VersionOut]:
    """A flow's versions, oldest first."""
    live = await service.live_version(session, flow_name)
    return [_version_out(v, live) for v in await repository.list_versions(session, flow_name)]


@router.post("/{flow_name}/versions", status_code=status.HTTP_201_CREATED)
async def save_draft(
    flow_name: FlowName, body: DraftIn, admin: AdminUser, session: SessionDep, request: Request
) -> VersionOut:
    """Validate and store a new version (not live until published); 422 lists each problem as file:line:col."""
    version = await service.save_draft(
        session,
        flow_name=flow_name,
        source=body.source,
        message=body.message,
        author_id=admin.id,
        based_on=body.based_on,
        options=await _options(request, session),
    )
    return _version_out(version, await service.live_version(session, flow_name))


@router.get("/{flow_name}/versions/{number}")
async def get_version(flow_name: FlowName, number: int, _admin: AdminUser, session: SessionDep) -> VersionDetail:
    """One version with its YAML."""
    version = await service.require_version(session, flow_name, number)
    live = await service.live_version(session, flow_name)
    return VersionDetail(**_version_out(version, live).model_dump(), source=version.source)


@router.get("/{flow_name}/diff")
async def diff(
    flow_name: FlowName,
    _admin: AdminUser,
    session: SessionDep,
    to_number: Annotated[int, Query(alias="to", ge=1)],
    from_number: Annotated[int | None, Query(alias="from", ge=1, description="Default: the live version")] = None,
) -> DiffOut:
    """What a version changes, in words."""
    changes = await service.diff(session, flow_name, from_number, to_number)
    return DiffOut(flow_name=flow_name, from_number=from_number, to_number=to_number, changes=changes)


@router.post("/{flow_name}/versions/{number}/publish")
async def publish(
    flow_name: FlowName, number: int, admin: AdminUser, session: SessionDep, request: Request, tasks: BackgroundTasks
) -> PublicationOut:
    """Put a version live without a restart; calls already in the flow finish on their version."""
    live = await service.publish(session, flow_name=flow_name, number=number, actor_id=admin.id)
    tasks.add_task(_go_live, _catalog(request), live.compiled)
    publication, version = (await repository.publications(session, flow_name))[0]
    return _publication_out(publication, version)


@router.post("/{flow_name}/rollback")
async def rollback(
    flow_name: FlowName, admin: AdminUser, session: SessionDep, request: Request, tasks: BackgroundTasks
) -> PublicationOut:
    """Put back live the version that was live before the current one."""
    live = await service.rollback(session, flow_name=flow_name, actor_id=admin.id)
    tasks.add_task(_go_live, _catalog(request), live.compiled)
    publication, version = (await repository.publications(session, flow_name))[0]
    return _publication_out(publication, version)


@router.get("/{flow_name}/publications")
async def publications(flow_name: FlowName, _admin: AdminUser, session: SessionDep) -> list[PublicationOut]:
    """Who put which version live and when, newest first."""
    return [_publication_out(p, v) for p, v in await repository.publications(session, flow_name)]
