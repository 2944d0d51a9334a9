"""extensions.conf against the service: FastAGI URLs, flow names, queues and transfer targets.

An ``AGI(agi://host:port/<flow>,...)`` step must name the service's FastAGI address and a flow
that exists. When the URL is built from variables (``${CALLCENTER_AGI}/main-menu``) each value
written for them is checked and a mismatch is reported at the line that wrote the value.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from callcenter.telephony.asterisk_conf.dialplan import Dialplan, Piece, Step
from callcenter.telephony.asterisk_conf.findings import Finding, ServiceFacts
from callcenter.telephony.asterisk_conf.parser import Origin
from callcenter.telephony.asterisk_conf.queues_check import defines_queue

AGI_APPLICATIONS = frozenset({"agi", "eagi"})
FASTAGI_SCHEMES = ("agi://", "hagi://")
DEFAULT_AGI_PORT = 4573


def _origin_at(pieces: list[Piece], index: int, step: Step) -> Origin:
    """The line that wrote character ``index`` of the resolved text."""
    position = 0
    for piece in pieces:
        if position <= index < position + len(piece.text):
            return piece.origin or step.origin
        position += len(piece.text)
    return step.origin


def _host_matches(url_host: str, agi_host: str) -> bool:
    try:
        if ipaddress.ip_address(agi_host).is_unspecified:
            return True
    except ValueError:
        pass
    return url_host.lower() == agi_host.lower()


def _is_fastagi(url: str) -> bool:
    return url.lower().startswith(FASTAGI_SCHEMES)


def _check_script(pieces: list[Piece], step: Step, facts: ServiceFacts, flows: set[str], path: str) -> list[Finding]:
    url = "".join(piece.text for piece in pieces)
    script = path.lstrip("/")
    if script in flows:
        return []
    known = ", ".join(sorted(flows)) or "none"
    what = f"AGI script '{script}' is not a flow" if script else "the FastAGI URL names no flow; flows are"
    return [
        Finding(
            _origin_at(pieces, url.find(path) + 1 if path else len(url) - 1, step),
            f"{what} in {facts.flows_dir} (flows: {known})",
        )
    ]


def _check_url(pieces: list[Piece], step: Step, facts: ServiceFacts, flows: set[str]) -> list[Finding]:
    url = "".join(piece.text for piece in pieces)
    if not _is_fastagi(url):
        return []
    if url.lower().startswith("hagi://"):
        # hagi:// names a DNS SRV record (_agi._tcp.<name>): host and port are in DNS, not here.
        return _check_script(pieces, step, facts, flows, urlsplit(url).path)
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_AGI_PORT
    except ValueError as error:
        return [Finding(step.origin, f"bad FastAGI URL {url}: {error}")]
    findings: list[Finding] = []
    host = parts.hostname or ""
    host_at = url.lower().find(host, len("agi://")) if host else len("agi://")
    if not _host_matches(host, facts.agi_host):
        findings.append(
            Finding(
                _origin_at(pieces, host_at, step),
                f"FastAGI host {host or '(none)'} is not the service's ({facts.agi_host}, CALLCENTER_AGI__HOST)",
            )
        )
    if port != facts.agi_port:
        port_at = url.find(":", host_at + len(host))
        findings.append(
            Finding(
                _origin_at(pieces, port_at if port_at >= 0 else host_at, step),
                f"FastAGI port {port} is not the service's ({facts.agi_port}, CALLCENTER_AGI__PORT)",
            )
        )
    findings += _check_script(pieces, step, facts, flows, parts.path)
    return findings


def check_agi_calls(plan: Dialplan, facts: ServiceFacts) -> tuple[list[Finding], int, list[Step]]:
    """Findings for every AGI step, how many call a FastAGI server, and the ones whose URL is unknown."""
    flows = {flow.name for flow in facts.flows}
    findings: list[Finding] = []
    fastagi_steps = 0
    unreadable: list[Step] = []
    for step in plan.steps():
        if step.app.lower() not in AGI_APPLICATIONS:
            continue
        url_text = step.arguments()[0]
        candidates = plan.resolve(url_text)
        if candidates is None:
            unreadable.append(step)
            continue
        for pieces in candidates:
            findings += _check_url(pieces, step, facts, flows)
            if _is_fastagi("".join(piece.text for piece in pieces)):
                fastagi_steps += 1
    return findings, fastagi_steps, unreadable


def check_queue_steps(plan: Dialplan, queues: set[str]) -> list[Finding]:
    """Queue() steps whose queue name is written in the file must name a queue of queues.conf."""
    findings = []
    for step in plan.steps():
        if step.app.lower() != "queue":
            continue
        candidates = plan.resolve(step.arguments()[0])
        for pieces in candidates or []:
            name = "".join(piece.text for piece in pieces)
            if name and not defines_queue(queues, name):
                findings.append(Finding(_origin_at(pieces, 0, step), f"Queue({name}): no such queue in queues.conf"))
    return findings


def check_flow_transfers(plan: Dialplan, facts: ServiceFacts) -> list[Finding]:
    """Each transfer a flow makes to an explicit context lands on an extension of extensions.conf."""
    findings = []
    for flow in facts.flows:
        for target in flow.targets:
            if target.kind != "transfer" or target.context is None:
                continue
            if target.context not in plan.contexts:
                message = f"flow '{flow.name}' node '{target.node}' transfers to context [{target.context}]"
                findings.append(Finding(target.origin, f"{message}, which extensions.conf does not define"))
            elif not plan.has_extension(target.context, target.value):
                message = f"flow '{flow.name}' node '{target.node}' transfers to {target.value}@{target.context}"
                findings.append(Finding(target.origin, f"{message}, but no extension there matches it"))
    return findings


def check_dialplan(plan: Dialplan, file: str, facts: ServiceFacts, queues: set[str] | None) -> list[Finding]:
    """All dialplan checks; ``queues`` is None when there is no queues.conf to compare with."""
    findings = [Finding(origin, message) for origin, message in plan.problems]
    agi_findings, fastagi_steps, unreadable = check_agi_calls(plan, facts)
    findings += agi_findings
    if fastagi_steps == 0 and unreadable:
        findings.append(
            Finding(
                unreadable[0].origin,
                f"the FastAGI URL {unreadable[0].arguments()[0]} is only known at run time, so no step provably "
                "reaches the service's IVR: write the flow name, or give the variable a literal Set() or "
                "a [globals] value",
            )
        )
    elif fastagi_steps == 0:
        findings.append(
            Finding(
                Origin(file, 0),
                f"no AGI(agi://{facts.agi_host}:{facts.agi_port}/<flow>) step: no call ever reaches the service's IVR",
            )
        )
    if queues is not None:
        findings += check_queue_steps(plan, queues)
    findings += check_flow_transfers(plan, facts)
    return findings
