"""The config parser on the files the captures' Asterisk ran with, and on each piece of the syntax."""

from __future__ import annotations

from pathlib import Path

from callcenter.telephony.asterisk_conf.dialplan import extension_matches, read_dialplan, split_arguments
from callcenter.telephony.asterisk_conf.parser import load_config
from tests.asterisk_conf.confkit import CAPTURES_CONF, SHIPPED, line_of


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


# --- the real files -------------------------------------------------------------------------------


def test_capture_manager_conf() -> None:
    path = CAPTURES_CONF / "manager.conf"
    config = load_config(path)
    assert config.problems == []
    assert [s.name for s in config.sections] == ["general", "callcenter", "reporting"]
    general, user, reporting = config.sections
    assert general.value("bindaddr") == "127.0.0.1"
    assert user.value("secret") == "lab-secret"
    read = user.get("read")
    assert read is not None and read.value == "all"
    assert read.origin.line == line_of(path, "read = all")
    assert reporting.value("read") == "system,call,agent,user"
    assert reporting.value("write") == "reporting"


def test_capture_queues_conf() -> None:
    path = CAPTURES_CONF / "queues.conf"
    config = load_config(path)
    assert config.problems == []
    support, sales = config.section("support"), config.section("sales")
    assert support is not None and sales is not None
    assert support.value("strategy") == "rrmemory" and sales.value("strategy") == "ringall"
    assert [support.value(key) for key in ("timeout", "wrapuptime", "servicelevel")] == ["15", "5", "20"]
    members = support.get_all("member")
    assert [m.value for m in members] == [f"Local/agent100{n}@agents/n,0,Agent 100{n}" for n in (1, 2, 3)]
    assert all(m.arrow for m in members)
    assert members[0].origin.line == line_of(path, "member => Local/agent1001@agents/n")
    assert config.section("general").value("log_membername_as_agent") == "yes"


def test_capture_extensions_conf_as_a_dialplan() -> None:
    path = CAPTURES_CONF / "extensions.conf"
    config = load_config(path)
    assert config.problems == []
    plan = read_dialplan(config)
    assert plan.problems == []
    assert sorted(plan.contexts) == ["agents", "customer", "ivr-in", "transfer"]
    ivr = plan.contexts["ivr-in"]
    assert [step.priority for step in ivr] == list(range(1, 15))
    agi = next(step for step in ivr if step.app == "AGI")
    assert agi.origin.line == line_of(path, "AGI(agi://")
    assert agi.arguments() == ["agi://127.0.0.1:4573/${IVRSCRIPT}", "inbound", "${CALLERID(num)}"]
    queues = [(step.label, step.args) for step in ivr if step.app == "Queue"]
    assert queues == [("support", "support,,,,300"), ("sales", "sales,,,,300")]
    # "same => n(midprompt),Wait(1.5)" keeps its label and numbering.
    customer = plan.contexts["customer"]
    midprompt = next(step for step in customer if step.label == "midprompt")
    assert (midprompt.app, midprompt.args, midprompt.priority) == ("Wait", "1.5", 11)
    # The variable is built with IF() at run time: nothing can be resolved statically.
    assert plan.resolve(agi.arguments()[0]) is None
    # Queue members Local/agent1001@agents reach the "_age[n]t10XX" pattern ("n" itself means 2-9).
    assert plan.has_extension("agents", "agent1001")
    assert not plan.has_extension("agents", "agent2001")
    assert plan.has_extension("transfer", "agent1004") and plan.has_extension("transfer", "2000")


def test_shipped_files_parse_cleanly() -> None:
    for path in sorted(SHIPPED.glob("*.conf")):
        config = load_config(path)
        assert config.problems == [], path.name
    pjsip = load_config(SHIPPED / "pjsip.conf")
    # One name, three types: the endpoint, its auth and its aor.
    assert [s.value("type") for s in pjsip.all_named("agent1001")] == ["endpoint", "auth", "aor"]
    endpoint = pjsip.all_named("agent1001")[0]
    context = endpoint.get("context")
    assert context is not None and context.value == "agents-phones"
    assert context.origin.line == line_of(SHIPPED / "pjsip.conf", "context = agents-phones")  # the template's line
    assert pjsip.section("agent-endpoint") is None  # a template is not a section of its own


# --- syntax ---------------------------------------------------------------------------------------


def test_comments_escapes_and_block_comments(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.conf",
        "[a] ; header comment\n"
        "k1 = v1 ; trailing\n"
        "k2 = semi\\;colon\n"
        ";-- a block\n"
        "k3 = hidden\n"
        "--; k4 = after\n"
        "k5 = x ;-- inline block --; \n"
        "k6=no spaces\n",
    )
    section = load_config(path).sections[0]
    assert [(e.key, e.value, e.origin.line) for e in section.entries] == [
        ("k1", "v1", 2),
        ("k2", "semi;colon", 3),
        ("k4", "after", 6),
        ("k5", "x", 7),
        ("k6", "no spaces", 8),
    ]


def test_templates_inheritance_order_and_append(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.conf",
        "[base](!)\nread = call\nwrite = call\n"
        "[extra](!)\nwrite = agent\n"
        "[user](base,extra)\nsecret = s\n"
        "[user](+)\nread = system\n",
    )
    config = load_config(path)
    assert config.problems == []
    assert [s.name for s in config.real_sections()] == ["user"]
    user = config.section("user")
    assert user is not None and user.inherits == ("base", "extra")
    assert [(e.key, e.value) for e in user.entries] == [
        ("read", "call"),
        ("write", "call"),
        ("write", "agent"),
        ("secret", "s"),
        ("read", "system"),
    ]
    # The last line wins, and it says where it was written.
    assert user.value("write") == "agent" and user.get("write").origin.line == 5
    assert user.value("read") == "system" and user.get("read").origin.line == 9


def test_include_continues_the_current_section_and_globs(tmp_path: Path) -> None:
    write(tmp_path, "part-a.conf", "member => A\n")
    write(tmp_path, "part-b.conf", "member => B\n[other]\nx = 1\n")
    top = write(tmp_path, "top.conf", '[q]\n#include "part-*.conf"\nmember => C\n#tryinclude nothing.conf\n')
    config = load_config(top)
    assert config.problems == []
    q = config.section("q")
    assert q is not None and [m.value for m in q.get_all("member")] == ["A", "B"]
    # The section opened inside part-b.conf stays open after the include: C belongs to [other].
    assert [e.value for e in config.section("other").get_all("member")] == ["C"]
    assert [str(m.origin) for m in q.get_all("member")] == [f"{tmp_path}/part-a.conf:1", f"{tmp_path}/part-b.conf:1"]


def test_problems_are_reported_with_their_line(tmp_path: Path) -> None:
    write(tmp_path, "loop.conf", "#include top.conf\n")
    top = write(
        tmp_path,
        "top.conf",
        "orphan = 1\n[broken\n[s](missing)\nno equals here\n#frobnicate x\n#include loop.conf\n#include gone.conf\n",
    )
    problems = [str(problem) for problem in load_config(top).problems]
    assert problems == [
        f"{top}:1: 'orphan' before any [section]",
        f"{top}:2: section header without ']': [broken",
        f"{top}:3: [s] inherits from 'missing', which is not defined above it",
        f"{top}:4: expected 'name = value', got: no equals here",
        f"{top}:5: unknown directive #frobnicate",
        f"{tmp_path}/loop.conf:1: #include loop: top.conf includes itself",
        f"{top}:7: #include gone.conf: no such file",
    ]


def test_dialplan_priorities_same_and_bad_steps(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "extensions.conf",
        "[globals]\nURL = agi://h:1\n[c]\n"
        "exten => s,1,Set(__FLOW=a)\n"
        " same => n(x),AGI(${URL}/${FLOW},resume=${RESUME})\n"
        "exten => s,hint,PJSIP/x\n"
        "exten => 5,1,Answer\n"
        "same => n,Hangup()\n"
        "exten => broken\n"
        "exten => 6,n,NoOp(one past the previous line, as pbx_config counts)\n"
        "[d]\nsame => n,NoOp()\n"
        "[e]\nexten => s,n,NoOp()\n",
    )
    plan = read_dialplan(load_config(path))
    assert [(s.exten, s.priority, s.label, s.app) for s in plan.contexts["c"]] == [
        ("s", 1, None, "Set"),
        ("s", 2, "x", "AGI"),
        ("5", 1, None, "Answer"),
        ("5", 2, None, "Hangup"),
        ("6", 3, None, "NoOp"),
    ]
    assert [(origin.line, message.split(":")[0]) for origin, message in plan.problems] == [
        (9, "not a dialplan step (exten,priority,App(args))"),
        (12, "'same =>' before any 'exten =>' in this context"),
        (14, "priority 'n' on the first step of the context"),
    ]
    [candidate] = plan.resolve("${URL}/${FLOW}")
    assert "".join(piece.text for piece in candidate) == "agi://h:1/a"
    assert [piece.origin.line if piece.origin else None for piece in candidate] == [2, None, 4]


def test_argument_splitting_and_patterns() -> None:
    assert split_arguments('a,${IF($[1=1]?x,y:z)},"q,r",f(1,2)') == ["a", "${IF($[1=1]?x,y:z)}", '"q,r"', "f(1,2)"]
    assert split_arguments("") == [""]
    assert extension_matches("_NXX", "200") and not extension_matches("_NXX", "100")
    assert extension_matches("_9X.", "95551234") and not extension_matches("_9X.", "9")
    assert extension_matches("_+X.", "+15551230001")
    assert extension_matches("_100[1-9]", "1005") and not extension_matches("_100[1-9]", "1000")
    assert extension_matches("_X!", "5") and extension_matches("1234/5551212", "1234")


def test_binary_garbage_gives_readable_one_line_problems(tmp_path: Path) -> None:
    path = tmp_path / "x.conf"
    path.write_bytes(b"\x00\x01\xff\xfe garbage " * 40 + b"\n[ok]\nk = v\n")
    config = load_config(path)
    [problem] = config.problems
    assert problem.origin.line == 1
    assert problem.message.startswith("expected 'name = value', got: \\x00\\x01")
    assert len(problem.message) < 120 and problem.message.endswith("...") and str(problem).isprintable()
    assert config.section("ok").value("k") == "v"
