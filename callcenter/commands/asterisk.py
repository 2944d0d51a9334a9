"""`callcenter asterisk check DIR`: the Asterisk configuration agrees with the service's settings and flows."""

from __future__ import annotations

from pathlib import Path

import typer

from callcenter.config import Settings
from callcenter.ivr.loader import LoadedFlow, load_flow_file
from callcenter.ivr.model import CallbackNode, Flow, QueueNode, TransferNode, VoicemailNode
from callcenter.ivr.validate import flow_files
from callcenter.telephony.asterisk_conf.check import check_directory
from callcenter.telephony.asterisk_conf.findings import AmiLogin, FlowFacts, FlowTarget, ServiceFacts
from callcenter.telephony.asterisk_conf.parser import Origin

app = typer.Typer(help="Asterisk configuration for this service.", no_args_is_help=True)


def _targets(loaded: LoadedFlow, flow: Flow) -> list[FlowTarget]:
    """Queues, transfers and mailboxes of one loaded flow, each at the line of its value."""
    targets = []
    for node_id, node in flow.nodes.items():
        base = ("nodes", node_id)
        if isinstance(node, QueueNode | CallbackNode) and node.queue is not None:
            kind, value, key, context = "queue", node.queue, "queue", None
        elif isinstance(node, TransferNode):
            kind, value, key, context = "transfer", node.to, "to", node.context
        elif isinstance(node, VoicemailNode):
            kind, value, key, context = "mailbox", node.mailbox, "mailbox", None
        else:
            continue
        line, _ = loaded.source.value((*base, key))
        targets.append(FlowTarget(kind, value, Origin(loaded.file, line), node_id, context))
    return targets


def _flows(directory: Path) -> tuple[list[FlowFacts], list[str]]:
    """Facts of every flow in ``directory``, and the problems of the files that do not load."""
    facts, problems = [], []
    for path in flow_files([directory]) if directory.is_dir() else []:
        loaded = load_flow_file(path)
        if loaded.flow is None:
            problems += [str(problem) for problem in loaded.problems]
            continue
        facts.append(FlowFacts(loaded.flow.name, loaded.file, _targets(loaded, loaded.flow)))
    if not directory.is_dir():
        problems.append(f"{directory}: no such flows directory (CALLCENTER_IVR__FLOWS_DIR or --flows)")
    return facts, problems


def service_facts(settings: Settings, flows_dir: Path) -> tuple[ServiceFacts, list[str]]:
    """What the service expects of Asterisk, from its settings and flow files."""
    flows, problems = _flows(flows_dir)
    logins = [
        AmiLogin(
            server.name, server.host, server.port, server.username, server.secret.get_secret_value(), server.events
        )
        for server in settings.ami_servers
    ]
    facts = ServiceFacts(settings.agi.host, settings.agi.port, logins, flows, str(flows_dir), settings.ivr.queues)
    return facts, problems


@app.command()
def check(
    directory: Path = typer.Argument(
        ..., metavar="DIR", help="Directory with extensions.conf, manager.conf, queues.conf ..."
    ),
    flows: Path | None = typer.Option(None, help="IVR flows directory (default CALLCENTER_IVR__FLOWS_DIR)."),
) -> None:
    """Compare DIR with the service's settings and flows; print `file:line: message` per mismatch, exit 1 if any."""
    settings = Settings()
    facts, problems = service_facts(settings, flows if flows is not None else settings.ivr.flows_dir)
    if not directory.is_dir():
        typer.echo(f"{directory}: not a directory")
        raise typer.Exit(1)
    lines = problems + [str(finding) for finding in check_directory(directory, facts)]
    for line in lines:
        typer.echo(line)
    if lines:
        raise typer.Exit(1)
    users = ", ".join(sorted({login.username for login in facts.ami_logins}))
    typer.echo(
        f"{directory}: agrees with the service (FastAGI {facts.agi_host}:{facts.agi_port}, "
        f"{len(facts.flows)} flows, AMI user {users})"
    )
