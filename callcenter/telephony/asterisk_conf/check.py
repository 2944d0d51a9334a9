"""``callcenter asterisk check DIR``: does an Asterisk configuration directory agree with the service?

Reads ``extensions.conf``, ``manager.conf`` and ``queues.conf`` (required) and ``pjsip.conf`` and
``voicemail.conf`` (checked when present) from DIR with their ``#include`` files, and compares them
with the service's facts. Every finding names the file and line that causes it.
"""

from __future__ import annotations

from pathlib import Path

from callcenter.telephony.asterisk_conf.dialplan import Dialplan, read_dialplan
from callcenter.telephony.asterisk_conf.dialplan_check import check_dialplan
from callcenter.telephony.asterisk_conf.findings import Finding, ServiceFacts
from callcenter.telephony.asterisk_conf.manager_check import check_manager
from callcenter.telephony.asterisk_conf.parser import AsteriskConfig, Origin, load_config
from callcenter.telephony.asterisk_conf.queues_check import (
    check_endpoint_contexts,
    check_flow_queues,
    check_known_queues,
    check_mailboxes,
    check_members,
    pjsip_endpoints,
    queue_names,
)

REQUIRED = ("extensions.conf", "manager.conf", "queues.conf")
OPTIONAL = ("pjsip.conf", "voicemail.conf")


def _load(directory: Path, name: str, findings: list[Finding]) -> AsteriskConfig | None:
    path = directory / name
    display = str(path)
    if not path.is_file():
        if name in REQUIRED:
            findings.append(Finding(Origin(display, 0), f"missing: the service needs {name}"))
        return None
    config = load_config(path, display)
    findings.extend(Finding(problem.origin, problem.message) for problem in config.problems)
    return config


def check_directory(directory: Path, facts: ServiceFacts) -> list[Finding]:
    """Every disagreement between the configuration in ``directory`` and the service, sorted by file and line."""
    findings: list[Finding] = []
    configs = {name: _load(directory, name, findings) for name in (*REQUIRED, *OPTIONAL)}
    extensions, manager, queues_conf = (configs[name] for name in REQUIRED)
    pjsip, voicemail = (configs[name] for name in OPTIONAL)
    plan: Dialplan | None = read_dialplan(extensions) if extensions is not None else None
    queues = queue_names(queues_conf) if queues_conf is not None else None
    endpoints = pjsip_endpoints(pjsip) if pjsip is not None else None
    if plan is not None and extensions is not None:
        findings += check_dialplan(plan, extensions.file, facts, queues)
    if manager is not None:
        findings += check_manager(manager, facts.ami_logins)
    if queues_conf is not None and queues is not None:
        findings += check_flow_queues(facts, queues)
        findings += check_known_queues(facts, queues, queues_conf.file)
        findings += check_members(queues_conf, plan, endpoints)
    if endpoints is not None and plan is not None:
        findings += check_endpoint_contexts(endpoints, plan)
    if voicemail is not None:
        findings += check_mailboxes(facts, voicemail)
    return sorted(set(findings))
