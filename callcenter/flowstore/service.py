"""Flow versions: save a validated draft, describe what changed, publish, roll back, load what is live.

Services flush and never commit; the caller's unit of work does. The running engine's
:class:`FlowCatalog` is updated by the caller once the transaction has committed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.errors import Conflict, InvalidInput, NotFound
from callcenter.flowstore import repository
from callcenter.flowstore.models import FlowPublication, FlowVersion, PublicationKind
from callcenter.ivr.catalog import CompiledFlow, FlowCatalog, compile_flow
from callcenter.ivr.diff import describe_changes
from callcenter.ivr.loader import Problem, load_flow_text
from callcenter.ivr.model import Flow
from callcenter.ivr.validate import CheckOptions, check_loaded


class FlowRejected(InvalidInput):
    """A draft with problems; each is a ``file:line:col: message`` line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [str(p) for p in problems]
        super().__init__(f"the flow has {len(problems)} problem(s):\n" + "\n".join(self.problems))


@dataclass(frozen=True)
class LiveFlow:
    """A version that is live, ready for the engine."""

    version: FlowVersion
    compiled: CompiledFlow


def _file_name(flow_name: str) -> str:
    return f"{flow_name}.yaml"


def _parse(version: FlowVersion) -> Flow:
    """A stored version's flow (it was validated when saved)."""
    loaded = load_flow_text(version.source, _file_name(version.flow_name))
    if loaded.flow is None:
        raise InvalidInput(f"version {version.number} of {version.flow_name} no longer loads")
    return loaded.flow


def _version_label(version: FlowVersion) -> str:
    return f"{version.flow_name}@{version.number}"


def _compile(version: FlowVersion) -> CompiledFlow:
    return compile_flow(_parse(version), _version_label(version))


async def known_flow_names(session: AsyncSession, shipped: frozenset[str]) -> frozenset[str]:
    """Flows a subflow or goto may name: the shipped files and every flow stored here."""
    return shipped | frozenset(await repository.flow_names(session))


async def save_draft(
    session: AsyncSession,
    *,
    flow_name: str,
    source: str,
    message: str,
    author_id: int | None,
    based_on: int | None,
    options: CheckOptions,
) -> FlowVersion:
    """Validate ``source`` and store it as the flow's next version; raise FlowRejected with every problem."""
    loaded = load_flow_text(source, _file_name(flow_name))
    flows = (options.flows or frozenset()) | {flow_name}
    scoped = CheckOptions(queues=options.queues, sounds_dir=options.sounds_dir, flows=flows)
    problems = check_loaded(loaded, scoped)
    if problems:
        raise FlowRejected(problems)
    if based_on is not None and await repository.get_version(session, flow_name, based_on) is None:
        raise InvalidInput(f"{flow_name} has no version {based_on} to base this one on")
    version = FlowVersion(
        flow_name=flow_name,
        number=await repository.next_number(session, flow_name),
        source=source,
        message=message,
        author_id=author_id,
        based_on=based_on,
    )
    await repository.add(session, version)
    return version


async def require_version(session: AsyncSession, flow_name: str, number: int) -> FlowVersion:
    """The version, or NotFound."""
    version = await repository.get_version(session, flow_name, number)
    if version is None:
        raise NotFound(f"{flow_name} has no version {number}")
    return version


async def live_version(session: AsyncSession, flow_name: str) -> FlowVersion | None:
    """The version callers hear now, if the flow was ever published."""
    history = await repository.publications(session, flow_name)
    return history[0][1] if history else None


async def diff(session: AsyncSession, flow_name: str, from_number: int | None, to_number: int) -> list[str]:
    """What changes from one version to another (default: from the live version, else the one before)."""
    target = await require_version(session, flow_name, to_number)
    if from_number is None:
        live = await live_version(session, flow_name)
        from_number = live.number if live is not None and live.number != to_number else to_number - 1
    if from_number < 1:
        return [f"node '{node}' added ({node_type})" for node, node_type in _node_types(_parse(target))]
    base = await require_version(session, flow_name, from_number)
    return describe_changes(_parse(base), _parse(target))


def _node_types(flow: Flow) -> list[tuple[str, str]]:
    return [(node_id, node.type) for node_id, node in flow.nodes.items()]


async def publish(session: AsyncSession, *, flow_name: str, number: int, actor_id: int | None) -> LiveFlow:
    """Put a version live; calls that start afterwards use it."""
    version = await require_version(session, flow_name, number)
    live = await live_version(session, flow_name)
    if live is not None and live.id == version.id:
        raise Conflict(f"version {number} of {flow_name} is already live")
    compiled = _compile(version)
    await repository.add(
        session,
        FlowPublication(
            flow_name=flow_name, version_id=version.id, kind=PublicationKind.PUBLISH, published_by_id=actor_id
        ),
    )
    return LiveFlow(version, compiled)


async def rollback(session: AsyncSession, *, flow_name: str, actor_id: int | None) -> LiveFlow:
    """Put back live the version that was live before the current one."""
    history = await repository.publications(session, flow_name)
    if not history:
        raise NotFound(f"{flow_name} was never published")
    current = history[0][1]
    previous = next((version for _, version in history[1:] if version.id != current.id), None)
    if previous is None:
        raise Conflict(f"{flow_name} has no earlier published version to go back to")
    compiled = _compile(previous)
    await repository.add(
        session,
        FlowPublication(
            flow_name=flow_name, version_id=previous.id, kind=PublicationKind.ROLLBACK, published_by_id=actor_id
        ),
    )
    return LiveFlow(previous, compiled)


async def load_live(session: AsyncSession, catalog: FlowCatalog) -> int:
    """Put every flow's live stored version into the catalog (over the shipped files); return how many."""
    count = 0
    for _, version in await repository.live_versions(session):
        current = catalog.get(version.flow_name)
        if current is None or current.version != _version_label(version):
            catalog.publish(_compile(version))
            count += 1
    return count
