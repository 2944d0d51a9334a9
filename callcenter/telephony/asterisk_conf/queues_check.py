"""queues.conf, pjsip.conf and voicemail.conf against the flows and the dialplan.

Every queue a flow can send a caller to (queue and callback nodes) must be a queue; every
static member must be reachable (a PJSIP endpoint, or a Local channel whose extension exists);
every mailbox a flow leaves a message in must exist; every endpoint's context must exist.
"""

from __future__ import annotations

from callcenter.telephony.asterisk_conf.dialplan import Dialplan
from callcenter.telephony.asterisk_conf.findings import Finding, ServiceFacts
from callcenter.telephony.asterisk_conf.parser import AsteriskConfig, Entry, Origin

QUEUE_SETTINGS_SECTIONS = frozenset({"general"})


def queue_names(config: AsteriskConfig) -> set[str]:
    """The queues a queues.conf defines (templates and [general] are not queues)."""
    return {section.name for section in config.real_sections() if section.name not in QUEUE_SETTINGS_SECTIONS}


def defines_queue(queues: set[str], name: str) -> bool:
    """True when ``name`` is one of ``queues``; app_queue finds queues regardless of case."""
    return name.lower() in {queue.lower() for queue in queues}


def pjsip_endpoints(config: AsteriskConfig) -> dict[str, Entry | None]:
    """PJSIP endpoints by name, each with its ``context`` line (None when it has none)."""
    return {
        section.name: section.get("context")
        for section in config.real_sections()
        if (section.value("type") or "").lower() == "endpoint"
    }


def check_flow_queues(facts: ServiceFacts, queues: set[str]) -> list[Finding]:
    """Each queue a flow names exists in queues.conf, reported at the flow file's line."""
    findings = []
    for flow in facts.flows:
        for target in flow.targets:
            if target.kind == "queue" and not defines_queue(queues, target.value):
                known = ", ".join(sorted(queues)) or "none"
                findings.append(
                    Finding(
                        target.origin,
                        f"flow '{flow.name}' node '{target.node}' sends callers to queue '{target.value}', "
                        f"which queues.conf does not define (queues: {known})",
                    )
                )
    return findings


def check_known_queues(facts: ServiceFacts, queues: set[str], file: str) -> list[Finding]:
    """The queues the service is told exist (CALLCENTER_IVR__QUEUES) are all in queues.conf."""
    return [
        Finding(Origin(file, 0), f"CALLCENTER_IVR__QUEUES lists '{name}', which queues.conf does not define")
        for name in facts.known_queues
        if not defines_queue(queues, name)
    ]


def _missing_endpoint(interface: str, endpoints: dict[str, Entry | None] | None) -> str | None:
    """The endpoint name when ``interface`` is ``PJSIP/<name>`` and pjsip.conf has no such endpoint."""
    technology, _, resource = interface.partition("/")
    if technology.upper() != "PJSIP" or endpoints is None:
        return None
    endpoint = resource.split("/", 1)[0]
    return endpoint if endpoint not in endpoints else None


def _check_member(entry: Entry, plan: Dialplan | None, endpoints: dict[str, Entry | None] | None) -> list[Finding]:
    # member => interface[,penalty[,member name[,state interface[,ringinuse]]]]
    fields = [field.strip() for field in entry.value.split(",")]
    interface = fields[0]
    missing = _missing_endpoint(interface, endpoints)
    if missing is not None:
        return [Finding(entry.origin, f"member {interface}: no PJSIP endpoint [{missing}] in pjsip.conf")]
    technology, _, resource = interface.partition("/")
    if technology.lower() == "local" and plan is not None:
        exten, _, context = resource.split("/", 1)[0].partition("@")
        context = context or "default"
        if not plan.has_extension(context, exten):
            return [
                Finding(entry.origin, f"member {interface}: no extension {exten} in [{context}] of extensions.conf")
            ]
    state = fields[3] if len(fields) > 3 else ""
    missing = _missing_endpoint(state, endpoints)
    if missing is not None:
        # The queue reads the agent's busy/free state from this device; an unknown one is never "free".
        return [Finding(entry.origin, f"member {interface}: state interface {state} is no PJSIP endpoint")]
    return []


def check_members(
    config: AsteriskConfig, plan: Dialplan | None, endpoints: dict[str, Entry | None] | None
) -> list[Finding]:
    """Static queue members must be dialable."""
    findings: list[Finding] = []
    for section in config.real_sections():
        if section.name in QUEUE_SETTINGS_SECTIONS:
            continue
        for entry in section.get_all("member"):
            findings += _check_member(entry, plan, endpoints)
    return findings


def check_endpoint_contexts(endpoints: dict[str, Entry | None], plan: Dialplan) -> list[Finding]:
    """Each endpoint's ``context`` is a context of extensions.conf (else its calls go nowhere)."""
    return [
        Finding(entry.origin, f"endpoint [{name}]: context [{entry.value}] is not in extensions.conf")
        for name, entry in sorted(endpoints.items())
        if entry is not None and entry.value not in plan.contexts
    ]


def check_mailboxes(facts: ServiceFacts, voicemail: AsteriskConfig) -> list[Finding]:
    """Each mailbox a flow leaves messages in (``box@context``) is defined in voicemail.conf."""
    findings = []
    for flow in facts.flows:
        for target in flow.targets:
            if target.kind != "mailbox":
                continue
            box, _, context = target.value.partition("@")
            section = voicemail.section(context or "default")
            if section is None or section.get(box) is None:
                findings.append(
                    Finding(
                        target.origin,
                        f"flow '{flow.name}' node '{target.node}' leaves messages in mailbox {target.value}, "
                        "which voicemail.conf does not define",
                    )
                )
    return findings
