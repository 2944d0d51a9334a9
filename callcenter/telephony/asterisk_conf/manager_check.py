"""manager.conf against the service's AMI logins: the user, its secret, its event classes and rights.

Asterisk grants an action when the user's ``write`` classes share one class with the action's
(manager.c); an event reaches the user when its class is in ``read`` and in the login's
``Events:`` filter. Unknown class names are ignored by Asterisk without a word, so a typo
silently removes a right: the checker names them.
"""

from __future__ import annotations

import ipaddress

from callcenter.telephony.asterisk_conf.findings import AmiLogin, Finding
from callcenter.telephony.asterisk_conf.parser import AsteriskConfig, Entry, Origin, Section

CLASSES = frozenset(
    "system call log verbose command agent user config dtmf reporting cdr dialplan originate agi cc aoc test "
    "security message all".split()
)
# Classes the service's actions need, and the actions that need them (any one class of an action suffices).
WRITE_NEEDED = {
    "originate": "Originate (click-to-call, callbacks)",
    "call": "Redirect, Hangup, BlindTransfer",
    "agent": "QueuePause, QueueAdd, QueueRemove, QueuePenalty",
    "reporting": "CoreShowChannels (QueueStatus and QueueSummary need no class)",
}
# Read classes the service needs when it sends no Events: filter (the call tracker's events).
DEFAULT_EVENTS = ("call", "agent", "system")
WRITE_DANGER = {
    "all": "write=all grants every action, including Command, Restart and UpdateConfig",
    "system": "system allows Restart, Shutdown, ModuleLoad and Originate of shell applications (System, TrySystem)",
    "command": "command runs any CLI command over AMI (e.g. 'core stop now')",
    "config": "config reads and rewrites every configuration file, manager.conf included (GetConfig/UpdateConfig)",
}
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _classes(entry: Entry | None) -> set[str]:
    if entry is None:
        return set()
    return {name.strip().lower() for name in entry.value.split(",") if name.strip()}


def _unknown(entry: Entry | None, classes: set[str]) -> list[Finding]:
    unknown = sorted(classes - CLASSES)
    if entry is None or not unknown:
        return []
    return [Finding(entry.origin, f"{entry.key}: unknown class {', '.join(unknown)} (Asterisk ignores it)")]


def wanted_read_classes(events: str | None) -> tuple[str, ...]:
    """The event classes the login asks for: its Events: filter, or the tracker's classes without one."""
    if events is None or events.strip().lower() in ("on", "yes", "all"):
        return DEFAULT_EVENTS
    if events.strip().lower() in ("off", "no"):
        return ()
    return tuple(name.strip().lower() for name in events.split(",") if name.strip())


def _check_rights(user: Section, login: AmiLogin) -> list[Finding]:
    findings: list[Finding] = []
    read_entry, write_entry = user.get("read"), user.get("write")
    read, write = _classes(read_entry), _classes(write_entry)
    findings += _unknown(read_entry, read) + _unknown(write_entry, write)
    missing_read = [name for name in wanted_read_classes(login.events) if name not in read and "all" not in read]
    if missing_read:
        at = read_entry.origin if read_entry else user.origin
        findings.append(
            Finding(
                at,
                f"[{user.name}] read lacks {','.join(missing_read)}: the service subscribes to "
                f"{','.join(wanted_read_classes(login.events))} and would miss those events",
            )
        )
    missing_write = [name for name in WRITE_NEEDED if name not in write and "all" not in write]
    for name in missing_write:
        at = write_entry.origin if write_entry else user.origin
        findings.append(Finding(at, f"[{user.name}] write lacks '{name}': {WRITE_NEEDED[name]} would be refused"))
    for name, why in WRITE_DANGER.items():
        if name in write and write_entry is not None:
            findings.append(Finding(write_entry.origin, f"[{user.name}] {why}; the service needs none of it", True))
    extra = sorted(write - set(WRITE_NEEDED) - set(WRITE_DANGER) - {"all"})
    if extra and write_entry is not None:
        findings.append(
            Finding(
                write_entry.origin, f"[{user.name}] write grants {','.join(extra)}, which the service never uses", True
            )
        )
    if "all" in read and read_entry is not None:
        findings.append(
            Finding(
                read_entry.origin,
                f"[{user.name}] read=all also sends dialplan (VarSet/Newexten, most of the volume), security and "
                f"agi events; list the classes the service uses ({','.join(wanted_read_classes(login.events))})",
                True,
            )
        )
    return findings


def _acl_verdict(user: Section, address: str) -> tuple[bool, Entry | None]:
    """Whether the user's deny/permit lines let ``address`` in, and the rule that decided.

    Asterisk starts from "allow" and applies every matching rule in order, so the last match wins.
    """
    ip = ipaddress.ip_address(address)
    allowed, deciding = True, None
    for entry in user.entries:
        sense = entry.key.lower()
        if sense not in ("deny", "permit"):
            continue
        network_text, _, mask = entry.value.partition("/")
        try:
            base = ipaddress.ip_address(network_text.strip())
            network = ipaddress.ip_network(f"{base}/{mask.strip() or base.max_prefixlen}", strict=False)
        except ValueError:
            continue
        if ip.version == network.version and ip in network:
            allowed, deciding = sense == "permit", entry
    return allowed, deciding


def _check_access(user: Section, login: AmiLogin) -> list[Finding]:
    if user.get("acl"):
        return []
    if user.get("permit"):
        if login.host.lower() not in LOOPBACK_NAMES:
            return []
        # The service dials Asterisk on this machine, so it connects from the loopback address.
        allowed, rule = _acl_verdict(user, "::1" if login.host == "::1" else "127.0.0.1")
        if allowed or rule is None:
            return []
        return [
            Finding(
                rule.origin,
                f"[{user.name}] {rule.key}={rule.value} refuses the service, which connects from this machine "
                f"({login.host})",
            )
        ]
    return [
        Finding(
            user.origin,
            f"[{user.name}] has no permit/acl: any address that reaches the AMI port may try its secret "
            "(add deny=0.0.0.0/0.0.0.0 and permit=<the service's address>)",
            True,
        )
    ]


def _check_general(general: Section | None, config: AsteriskConfig, login: AmiLogin) -> list[Finding]:
    if general is None:
        return [Finding(Origin(config.file, 0), "no [general] section: the AMI is disabled")]
    findings = []
    enabled = general.get("enabled")
    if enabled is None or enabled.value.lower() not in ("yes", "true", "on", "1"):
        findings.append(Finding(enabled.origin if enabled else general.origin, "AMI is not enabled (enabled = yes)"))
    port = general.get("port")
    port_value = port.value if port else "5038"
    if port_value != str(login.port):
        at = port.origin if port else general.origin
        findings.append(
            Finding(at, f"AMI port is {port_value} but the service connects to {login.port} (server '{login.server}')")
        )
    bind = general.get("bindaddr")
    if bind is not None and not _reachable(bind.value, login.host):
        findings.append(
            Finding(bind.origin, f"AMI listens on {bind.value} only but the service connects to {login.host}")
        )
    return findings


def _reachable(bindaddr: str, host: str) -> bool:
    """False only when the AMI is bound to one address and the service provably dials another."""
    try:
        bound = ipaddress.ip_address(bindaddr)
    except ValueError:
        return True
    if bound.is_unspecified:
        return True
    if host.lower() in LOOPBACK_NAMES:
        return bound.is_loopback
    try:
        return ipaddress.ip_address(host) == bound
    except ValueError:
        return True


def check_manager(config: AsteriskConfig, logins: list[AmiLogin]) -> list[Finding]:
    """Every AMI login of the service exists in manager.conf with a matching secret and the right classes."""
    if not logins:
        return [
            Finding(
                Origin(config.file, 0),
                "the service has no AMI login (CALLCENTER_AMI_SERVERS is empty): nothing will read this Asterisk",
            )
        ]
    findings: list[Finding] = []
    general = config.section("general")
    seen: set[str] = set()
    for login in logins:
        findings += _check_general(general, config, login)
        if login.username in seen:
            continue
        seen.add(login.username)
        # Asterisk finds AMI users by name regardless of case (manager.c, strcasecmp).
        user = config.section(login.username, ignore_case=True)
        if user is None or login.username.lower() == "general":
            findings.append(
                Finding(
                    Origin(config.file, 0),
                    f"no AMI user [{login.username}] (the username of server '{login.server}' in "
                    "CALLCENTER_AMI_SERVERS); templates [name](!) are not users",
                )
            )
            continue
        secret = user.get("secret")
        if secret is None or not secret.value:
            findings.append(Finding(user.origin, f"[{user.name}] has no secret: nobody can log in as it"))
        elif secret.value != login.secret:
            findings.append(
                Finding(secret.origin, f"[{user.name}] secret differs from the one the service logs in with")
            )
        findings += _check_rights(user, login) + _check_access(user, login)
    return sorted(set(findings))
