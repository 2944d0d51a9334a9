"""Each kind of disagreement, on a modified copy of asterisk_conf/, at its exact file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.config import AmiServerSettings
from tests.asterisk_conf.confkit import AMI_SERVERS, FLOWS, SHIPPED, check, copy_shipped, edit, line_of, settings


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    return copy_shipped(tmp_path)


def test_shipped_copy_has_no_findings(conf: Path) -> None:
    assert check(conf) == []


# --- extensions.conf: FastAGI URL and flows -----------------------------------------------------


def test_literal_agi_url_with_wrong_host_is_reported_at_the_step(conf: Path) -> None:
    line = edit(
        conf / "extensions.conf",
        "AGI(${CALLCENTER_AGI}/post-call-survey,",
        "AGI(agi://10.9.9.9:4573/post-call-survey,",
    )
    assert check(conf) == [
        f"{conf}/extensions.conf:{line}: FastAGI host 10.9.9.9 is not the service's (127.0.0.1, CALLCENTER_AGI__HOST)"
    ]


def test_agi_url_without_port_means_4573(conf: Path) -> None:
    line = edit(conf / "extensions.conf", "CALLCENTER_AGI = agi://127.0.0.1:4573", "CALLCENTER_AGI = agi://127.0.0.1")
    assert check(conf) == []
    findings = check(conf, settings(agi={"port": 4575}))
    assert findings and set(findings) == {
        f"{conf}/extensions.conf:{line}: FastAGI port 4573 is not the service's (4575, CALLCENTER_AGI__PORT)"
    }


def test_service_listening_on_all_addresses_accepts_any_host(conf: Path) -> None:
    assert check(conf, settings(agi={"host": "0.0.0.0"})) == []


def test_flow_missing_is_reported_at_the_agi_step(conf: Path) -> None:
    line = edit(conf / "extensions.conf", "AGI(${CALLCENTER_AGI}/main-menu,", "AGI(${CALLCENTER_AGI}/main-menu-v2,")
    [finding] = check(conf)
    assert finding.startswith(f"{conf}/extensions.conf:{line}: AGI script 'main-menu-v2' is not a flow in {FLOWS}")
    assert "identification, main-menu, post-call-survey, support-queue, vip-routing" in finding


def test_flow_named_through_a_variable_is_reported_where_the_variable_is_set(conf: Path) -> None:
    line = edit(conf / "extensions.conf", "Set(IVR_FLOW=main-menu)", "Set(IVR_FLOW=mainmenu)")
    findings = check(conf)
    # Two steps resume the flow from ${IVR_FLOW}; both point at the Set() that wrote the bad name.
    assert findings and set(findings) == {
        f"{conf}/extensions.conf:{line}: AGI script 'mainmenu' is not a flow in {FLOWS} "
        "(flows: identification, main-menu, post-call-survey, support-queue, vip-routing)"
    }


def test_no_agi_step_at_all(conf: Path) -> None:
    path = conf / "extensions.conf"
    path.write_text(path.read_text().replace("AGI(", "NoOp("))
    assert check(conf) == [
        f"{conf}/extensions.conf: no AGI(agi://127.0.0.1:4573/<flow>) step: no call ever reaches the service's IVR"
    ]


# --- queues ---------------------------------------------------------------------------------------


def test_queue_a_flow_uses_but_queues_conf_lacks_is_reported_in_the_flow(conf: Path) -> None:
    path = conf / "queues.conf"
    text = path.read_text()
    path.write_text(text[: text.index("; Sales:")])
    line = line_of(FLOWS / "main-menu.yaml", "queue: sales")
    assert sorted(check(conf)) == sorted(
        [
            f"{FLOWS}/main-menu.yaml:{line}: flow 'main-menu' node 'sales' sends callers to queue 'sales', "
            "which queues.conf does not define (queues: support)",
            # The transfer extension 2000 of the dialplan queues to sales too.
            f"{conf}/extensions.conf:{line_of(conf / 'extensions.conf', 'Queue(sales,')}: "
            "Queue(sales): no such queue in queues.conf",
        ]
    )


def test_dialplan_queue_from_a_global_is_reported_at_the_global(conf: Path) -> None:
    line = edit(conf / "extensions.conf", "CALLCENTER_FALLBACK_QUEUE = support", "CALLCENTER_FALLBACK_QUEUE = helpdesk")
    assert check(conf) == [f"{conf}/extensions.conf:{line}: Queue(helpdesk): no such queue in queues.conf"]


def test_a_template_is_not_a_queue(conf: Path) -> None:
    edit(conf / "queues.conf", "[support](callcenter-queue)", "[support](!,callcenter-queue)")
    findings = check(conf)
    line = line_of(FLOWS / "support-queue.yaml", "queue: support")
    assert (
        f"{FLOWS}/support-queue.yaml:{line}: flow 'support-queue' node 'queue' sends callers to queue 'support', "
        "which queues.conf does not define (queues: sales)" in findings
    )


def test_member_without_a_pjsip_endpoint(conf: Path) -> None:
    line = edit(
        conf / "queues.conf",
        "member => Local/agent1004@agents/n,0,Agent 1004,PJSIP/agent1004",
        "member => PJSIP/agent1999",
    )
    assert check(conf) == [
        f"{conf}/queues.conf:{line}: member PJSIP/agent1999: no PJSIP endpoint [agent1999] in pjsip.conf"
    ]


def test_member_whose_local_extension_does_not_exist(conf: Path) -> None:
    line = edit(conf / "queues.conf", "member => Local/agent1001@agents/n", "member => Local/agent1001@agentz/n")
    assert check(conf) == [
        f"{conf}/queues.conf:{line}: member Local/agent1001@agentz/n: "
        "no extension agent1001 in [agentz] of extensions.conf"
    ]


# --- manager.conf ---------------------------------------------------------------------------------


def test_ami_user_missing(conf: Path) -> None:
    edit(conf / "manager.conf", "[callcenter](callcenter-service)", "[callcentre](callcenter-service)")
    assert check(conf) == [
        f"{conf}/manager.conf: no AMI user [callcenter] (the username of server 'pbx1' in CALLCENTER_AMI_SERVERS); "
        "templates [name](!) are not users"
    ]


def test_logging_in_as_the_template_is_refused(conf: Path) -> None:
    server = AmiServerSettings.model_validate(AMI_SERVERS[0] | {"username": "callcenter-service"})
    [finding] = check(conf, settings(ami_servers=[server]))
    assert finding.startswith(f"{conf}/manager.conf: no AMI user [callcenter-service]")


def test_missing_read_class_is_reported_at_the_template_line_the_user_inherits(conf: Path) -> None:
    line = edit(conf / "manager.conf", "read = call,agent,system", "read = call,system")
    assert check(conf) == [
        f"{conf}/manager.conf:{line}: [callcenter] read lacks agent: the service subscribes to call,agent,system "
        "and would miss those events"
    ]


def test_read_classes_follow_the_events_setting(conf: Path) -> None:
    server = AmiServerSettings.model_validate(AMI_SERVERS[0] | {"events": "call,agent,system,dtmf"})
    line = line_of(conf / "manager.conf", "read = call,agent,system")
    assert check(conf, settings(ami_servers=[server])) == [
        f"{conf}/manager.conf:{line}: [callcenter] read lacks dtmf: the service subscribes to call,agent,system,dtmf "
        "and would miss those events"
    ]


def test_missing_write_class(conf: Path) -> None:
    line = edit(conf / "manager.conf", "write = originate,call,agent,reporting", "write = call,agent,reporting")
    assert check(conf) == [
        f"{conf}/manager.conf:{line}: [callcenter] write lacks 'originate': Originate (click-to-call, callbacks) "
        "would be refused"
    ]


def test_excess_write_all_in_the_user_overrides_the_template_and_is_flagged(conf: Path) -> None:
    path = conf / "manager.conf"
    path.write_text(path.read_text() + "write = all\n")
    line = len(path.read_text().splitlines())
    assert check(conf) == [
        f"{conf}/manager.conf:{line}: warning: [callcenter] write=all grants every action, including Command, "
        "Restart and UpdateConfig; the service needs none of it"
    ]


def test_system_and_command_rights_are_flagged_with_the_reason(conf: Path) -> None:
    line = edit(
        conf / "manager.conf",
        "write = originate,call,agent,reporting",
        "write = originate,call,agent,reporting,system,command,user",
    )
    findings = check(conf)
    assert [f.split(": warning: ")[0] for f in findings] == [f"{conf}/manager.conf:{line}"] * 3
    assert any("system allows Restart, Shutdown" in f for f in findings)
    assert any("command runs any CLI command" in f for f in findings)
    assert any("write grants user, which the service never uses" in f for f in findings)


def test_user_without_the_template_lacks_everything_at_its_header(conf: Path) -> None:
    line = edit(conf / "manager.conf", "[callcenter](callcenter-service)", "[callcenter]")
    findings = check(conf)
    assert (
        f"{conf}/manager.conf:{line}: [callcenter] read lacks call,agent,system: the service subscribes to "
        "call,agent,system and would miss those events" in findings
    )
    assert len([f for f in findings if f.startswith(f"{conf}/manager.conf:{line}: [callcenter] write lacks")]) == 4


def test_unknown_class_name_is_named(conf: Path) -> None:
    line = edit(conf / "manager.conf", "read = call,agent,system", "read = call,agents,system")
    findings = check(conf)
    assert f"{conf}/manager.conf:{line}: read: unknown class agents (Asterisk ignores it)" in findings


def test_secret_that_differs_from_the_service_setting(conf: Path) -> None:
    line = edit(conf / "manager.conf", "secret = change-me-callcenter-ami-secret", "secret = something-else")
    findings = check(conf)
    assert findings == [
        f"{conf}/manager.conf:{line}: [callcenter] secret differs from the one the service logs in with"
    ]
    assert "change-me" not in findings[0]


def test_user_open_to_every_address_is_flagged(conf: Path) -> None:
    edit(conf / "manager.conf", "deny = 0.0.0.0/0.0.0.0", "")
    edit(conf / "manager.conf", "permit = 127.0.0.1/255.255.255.255", "")
    line = line_of(conf / "manager.conf", "[callcenter](callcenter-service)")
    [finding] = check(conf)
    assert finding.startswith(f"{conf}/manager.conf:{line}: warning: [callcenter] has no permit/acl")


def test_ami_port_and_bind_address_against_the_service(conf: Path) -> None:
    server = AmiServerSettings.model_validate(AMI_SERVERS[0] | {"host": "10.0.0.7", "port": 5039})
    port_line = line_of(conf / "manager.conf", "port = 5038")
    bind_line = line_of(conf / "manager.conf", "bindaddr = 127.0.0.1")
    assert check(conf, settings(ami_servers=[server])) == [
        f"{conf}/manager.conf:{port_line}: AMI port is 5038 but the service connects to 5039 (server 'pbx1')",
        f"{conf}/manager.conf:{bind_line}: AMI listens on 127.0.0.1 only but the service connects to 10.0.0.7",
    ]


def test_service_without_ami_login(conf: Path) -> None:
    assert check(conf, settings(ami_servers=[])) == [
        f"{conf}/manager.conf: the service has no AMI login (CALLCENTER_AMI_SERVERS is empty): "
        "nothing will read this Asterisk"
    ]


# --- flows' transfers and mailboxes, endpoints ----------------------------------------------------


def test_transfer_to_a_context_the_dialplan_lacks(conf: Path) -> None:
    path = conf / "extensions.conf"
    path.write_text(path.read_text().replace("include => operators\n", "").replace("[operators]", "[reception]"))
    main = line_of(FLOWS / "main-menu.yaml", 'to: "1000"')
    vip = line_of(FLOWS / "vip-routing.yaml", 'to: "1000"')
    assert check(conf) == [
        f"{FLOWS}/main-menu.yaml:{main}: flow 'main-menu' node 'operator' transfers to context [operators], "
        "which extensions.conf does not define",
        f"{FLOWS}/vip-routing.yaml:{vip}: flow 'vip-routing' node 'vip-overflow' transfers to context [operators], "
        "which extensions.conf does not define",
    ]


def test_transfer_to_an_extension_that_does_not_match(conf: Path) -> None:
    edit(conf / "extensions.conf", "exten => 1000,1,Dial(PJSIP/operator,30)", "exten => 1001,1,Dial(PJSIP/operator,30)")
    findings = check(conf)
    line = line_of(FLOWS / "main-menu.yaml", 'to: "1000"')
    assert (
        f"{FLOWS}/main-menu.yaml:{line}: flow 'main-menu' node 'operator' transfers to 1000@operators, "
        "but no extension there matches it" in findings
    )


def test_mailbox_a_flow_uses_must_exist(conf: Path) -> None:
    edit(conf / "voicemail.conf", "5000 => 5000,Support team", "5001 => 5001,Support team")
    line = line_of(FLOWS / "main-menu.yaml", 'mailbox: "5000@support"')
    assert check(conf) == [
        f"{FLOWS}/main-menu.yaml:{line}: flow 'main-menu' node 'message' leaves messages in mailbox 5000@support, "
        "which voicemail.conf does not define"
    ]


def test_endpoint_context_inherited_from_the_template_must_exist(conf: Path) -> None:
    line = edit(conf / "pjsip.conf", "context = agents-phones ", "context = agent-phones ")
    findings = check(conf)
    assert findings == [
        f"{conf}/pjsip.conf:{line}: endpoint [{name}]: context [agent-phones] is not in extensions.conf"
        for name in ("agent1001", "agent1002", "agent1003", "agent1004", "operator")
    ]


# --- includes -------------------------------------------------------------------------------------


def test_include_is_followed_and_its_lines_are_named_by_their_own_file(conf: Path) -> None:
    path = conf / "queues.conf"
    text = path.read_text()
    sales = text[text.index("; Sales:") :]
    path.write_text(text.replace(sales, "#include queues-sales.conf\n"))
    (conf / "queues-sales.conf").write_text(
        sales.replace("PJSIP/agent1004\n", "PJSIP/agent1004\nmember => PJSIP/nobody\n")
    )
    line = line_of(conf / "queues-sales.conf", "PJSIP/nobody")
    assert check(conf) == [
        f"{conf}/queues-sales.conf:{line}: member PJSIP/nobody: no PJSIP endpoint [nobody] in pjsip.conf"
    ]


def test_missing_include_is_reported_at_the_directive(conf: Path) -> None:
    path = conf / "queues.conf"
    path.write_text(path.read_text() + '#include "queues-extra.conf"\n')
    line = len(path.read_text().splitlines())
    assert check(conf) == [f"{conf}/queues.conf:{line}: #include queues-extra.conf: no such file"]


def test_missing_required_file(conf: Path) -> None:
    (conf / "queues.conf").unlink()
    assert check(conf) == [f"{conf}/queues.conf: missing: the service needs queues.conf"]


def test_flows_that_do_not_load_are_reported(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main-menu.yaml").write_text("name: main-menu\nentry: [\n")
    findings = check(SHIPPED, flows=flows)
    assert findings[0].startswith(f"{flows}/main-menu.yaml:")


# --- Asterisk's own leniencies --------------------------------------------------------------------


def test_hagi_url_is_a_fastagi_call_whose_flow_is_still_checked(conf: Path) -> None:
    line = edit(
        conf / "extensions.conf", "CALLCENTER_AGI = agi://127.0.0.1:4573", "CALLCENTER_AGI = hagi://ivr.example"
    )
    assert check(conf) == []
    edit(conf / "extensions.conf", "/post-call-survey,survey", "/survey,survey")
    survey = line_of(conf / "extensions.conf", "/survey,survey")
    [finding] = check(conf)
    assert finding.startswith(f"{conf}/extensions.conf:{survey}: AGI script 'survey' is not a flow")
    assert line != survey


def test_url_naming_no_flow(conf: Path) -> None:
    line = edit(conf / "extensions.conf", "AGI(${CALLCENTER_AGI}/main-menu,", "AGI(agi://127.0.0.1:4573,")
    [finding] = check(conf)
    assert finding.startswith(f"{conf}/extensions.conf:{line}: the FastAGI URL names no flow; flows are in {FLOWS}")


def test_names_asterisk_matches_regardless_of_case(conf: Path) -> None:
    edit(conf / "manager.conf", "[callcenter](callcenter-service)", "[CallCenter](callcenter-service)")
    edit(conf / "queues.conf", "[sales](callcenter-queue)", "[Sales](callcenter-queue)")
    assert check(conf) == []


def test_events_off_needs_no_read_class(conf: Path) -> None:
    edit(conf / "manager.conf", "read = call,agent,system", "read = call")
    server = AmiServerSettings.model_validate(AMI_SERVERS[0] | {"events": "off"})
    assert check(conf, settings(ami_servers=[server])) == []


def test_deny_permit_that_shuts_out_the_local_service(conf: Path) -> None:
    edit(conf / "manager.conf", "permit = 127.0.0.1/255.255.255.255", "permit = 10.0.0.0/8")
    line = line_of(conf / "manager.conf", "deny = 0.0.0.0/0.0.0.0")
    assert check(conf) == [
        f"{conf}/manager.conf:{line}: [callcenter] deny=0.0.0.0/0.0.0.0 refuses the service, which connects from "
        "this machine (127.0.0.1)"
    ]
    # A later permit matching the address wins, as in Asterisk (the last matching rule decides).
    path = conf / "manager.conf"
    path.write_text(path.read_text() + "permit = 127.0.0.0/8\n")
    assert check(conf) == []
    # A service on another machine connects from an address the check cannot know.
    server = AmiServerSettings.model_validate(AMI_SERVERS[0] | {"host": "192.0.2.10"})
    edit(conf / "manager.conf", "bindaddr = 127.0.0.1", "bindaddr = 0.0.0.0")
    edit(conf / "manager.conf", "permit = 127.0.0.0/8\n", "")
    assert check(conf, settings(ami_servers=[server])) == []


def test_queues_the_service_is_told_about_must_exist(conf: Path) -> None:
    assert check(conf, settings(ivr={"flows_dir": FLOWS, "queues": ["support", "sales"]})) == []
    assert check(conf, settings(ivr={"flows_dir": FLOWS, "queues": ["support", "billing"]})) == [
        f"{conf}/queues.conf: CALLCENTER_IVR__QUEUES lists 'billing', which queues.conf does not define"
    ]


def test_member_state_interface_must_be_an_endpoint(conf: Path) -> None:
    line = edit(conf / "queues.conf", "Agent 1002,PJSIP/agent1002", "Agent 1002,PJSIP/agent1o02")
    assert check(conf) == [
        f"{conf}/queues.conf:{line}: member Local/agent1002@agents/n: "
        "state interface PJSIP/agent1o02 is no PJSIP endpoint"
    ]
