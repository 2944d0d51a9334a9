"""Every kind of flow problem is reported once, at the exact line and column of the key or value at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.ivr.loader import load_flow_text
from callcenter.ivr.validate import CheckOptions, check_paths

GOOD = """\
name: demo
entry: menu
nodes:
  menu:
    type: menu
    prompt: vm-options
    options:
      1: support
      "#": bye
    invalid: bye
    no_input: bye
  support:
    type: queue
    queue: support
  bye:
    type: hangup
    prompt: vm-goodbye
"""


def problems(tmp_path: Path, text: str, **options) -> list[str]:
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    return [str(p).removeprefix(f"{tmp_path}/") for p in check_paths([path], CheckOptions(**options))]


def test_a_good_flow_has_no_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD, queues=frozenset({"support"})) == []


def test_yaml_syntax_error(tmp_path: Path) -> None:
    text = GOOD.replace("prompt: vm-options", "prompt: [vm-options")
    assert problems(tmp_path, text) == ["demo.yaml:7:12: YAML: expected ',' or ']', but got ':'"]


def test_duplicate_key(tmp_path: Path) -> None:
    text = GOOD.replace("    prompt: vm-goodbye\n", "    prompt: vm-goodbye\n    prompt: beep\n")
    assert problems(tmp_path, text) == ['demo.yaml:18:5: YAML: found duplicate key "prompt"']


def test_duplicate_menu_digit_written_bare_and_quoted(tmp_path: Path) -> None:
    text = GOOD.replace('      "#": bye\n', '      "#": bye\n      "1": bye\n')
    assert problems(tmp_path, text) == ["demo.yaml:10:7: duplicate menu digit '1'"]


def test_bare_star_and_hash_keys_get_a_hint(tmp_path: Path) -> None:
    star = GOOD.replace('"#": bye', "*: bye")
    assert problems(tmp_path, star) == ['demo.yaml:9:7: write the menu key * as "*"']
    bare_hash = GOOD.replace('"#": bye', "#: bye")
    assert problems(tmp_path, bare_hash) == ['demo.yaml:9:7: write the menu key # as "#" (a bare # is a comment)']


def test_unknown_node_type(tmp_path: Path) -> None:
    text = GOOD.replace("type: queue", "type: queu")
    [problem] = problems(tmp_path, text)
    assert problem.startswith("demo.yaml:13:11: node 'support': unknown node type 'queu' (known: play, menu,")


def test_unknown_field(tmp_path: Path) -> None:
    text = GOOD.replace("    invalid: bye\n", "    timeout: 5\n    invalid: bye\n")
    assert problems(tmp_path, text) == ["demo.yaml:10:5: node 'menu': unknown field 'timeout'"]


def test_wrong_value_type(tmp_path: Path) -> None:
    text = GOOD.replace("    invalid: bye\n", "    retries: lots\n    invalid: bye\n")
    assert problems(tmp_path, text) == [
        "demo.yaml:10:14: node 'menu': retries: Input should be a valid integer, unable to parse string as an integer"
    ]


def test_missing_field_points_at_the_node(tmp_path: Path) -> None:
    text = GOOD.replace("    queue: support\n", "")
    assert problems(tmp_path, text) == ["demo.yaml:12:3: node 'support': missing field 'queue'"]


def test_dangling_target(tmp_path: Path) -> None:
    text = GOOD.replace("1: support", "1: suport")
    assert problems(tmp_path, text) == [
        "demo.yaml:8:10: node 'menu': 1 goes to unknown node 'suport'",
        "demo.yaml:12:3: node 'support' is never reached",
    ]


def test_missing_entry(tmp_path: Path) -> None:
    text = GOOD.replace("entry: menu", "entry: start")
    assert problems(tmp_path, text) == ["demo.yaml:2:8: entry 'start' is not a node of this flow"]


def test_unreachable_node(tmp_path: Path) -> None:
    text = GOOD + "  orphan:\n    type: hangup\n"
    assert problems(tmp_path, text) == ["demo.yaml:18:3: node 'orphan' is never reached"]


def test_loop_with_no_way_out(tmp_path: Path) -> None:
    text = GOOD.replace("1: support", "1: ping") + (
        "  ping:\n    type: goto\n    target: pong\n  pong:\n    type: play\n    prompt: beep\n    next: ping\n"
    )
    assert problems(tmp_path, text) == [
        "demo.yaml:12:3: node 'support' is never reached",
        "demo.yaml:18:3: node 'ping' starts a loop the caller can never leave (no hangup, queue or transfer)",
    ]


BRANCH = """\
name: demo
entry: check
nodes:
  check:
    type: branch
    cases:
      - when: customer.segment == "vip" &&
        goto: bye
      - when: 'vars.x = 1'
        goto: bye
      - when: |
          caller.number.startsWith("+44")
            || customr.found
        goto: bye
    else: bye
  bye:
    type: hangup
"""


def test_invalid_cel_with_its_column(tmp_path: Path) -> None:
    assert problems(tmp_path, BRANCH) == [
        # end of the plain scalar: the value starts at column 15 and has 28 characters
        "demo.yaml:7:43: node 'check': invalid expression: Syntax error: unexpected end of expression",
        # inside quotes, the '=' after 'vars.x '
        "demo.yaml:9:23: node 'check': invalid expression: Syntax error: token recognition error at: '= '",
        # in the block scalar: second line of the expression, after its two extra spaces and '|| '
        "demo.yaml:13:16: node 'check': unknown name 'customr' in expression (use caller, customer, time, vars)",
    ]


def test_unknown_queue(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD, queues=frozenset({"sales"})) == [
        "demo.yaml:14:12: node 'support': unknown queue 'support' (sales)"
    ]


HOURS = """\
name: demo
entry: hours
nodes:
  hours:
    type: hours
    schedule:
      timezone: Europe/London
      weekly:
        mon: []
        sat: []
      holidays: {country: GB, subdiv: ENG, dates: ["2026-12-24"]}
    open: bye
    closed: bye
  bye:
    type: hangup
"""


def test_schedule_never_open(tmp_path: Path) -> None:
    assert problems(tmp_path, HOURS) == ["demo.yaml:6:5: node 'hours': schedule is never open"]


def test_bad_schedule_values(tmp_path: Path) -> None:
    assert problems(tmp_path, HOURS.replace("Europe/London", "Europe/Lundon")) == [
        "demo.yaml:7:17: node 'hours': unknown time zone 'Europe/Lundon'"
    ]
    assert problems(tmp_path, HOURS.replace("mon: []", 'mon: ["09:00-07:00"]')) == [
        "demo.yaml:9:15: node 'hours': opening range '09:00-07:00' ends before it starts"
    ]
    assert problems(tmp_path, HOURS.replace("mon: []", 'mon: ["9-5"]')) == [
        "demo.yaml:9:15: node 'hours': opening range '9-5' is not HH:MM-HH:MM"
    ]
    assert problems(tmp_path, HOURS.replace("mon: []", 'mon: ["09:00-17:00"]').replace("ENG", "XYZ")) == [
        "demo.yaml:11:39: node 'hours': holidays: Entity `GB` does not have subdivision XYZ"
    ]


def test_missing_prompts_when_a_sounds_directory_is_configured(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    (sounds / "en").mkdir(parents=True)
    (sounds / "en" / "vm-options.gsm").write_bytes(b"")
    (sounds / "vm-goodbye.ulaw").write_bytes(b"")
    assert problems(tmp_path, GOOD, sounds_dir=sounds) == []
    text = GOOD.replace("prompt: vm-goodbye", "prompt: vm-goodby")
    assert problems(tmp_path, text, sounds_dir=sounds) == ["demo.yaml:17:13: node 'bye': no sound file 'vm-goodby'"]


def test_unknown_subflow_and_bad_pattern(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  support:\n    type: queue\n    queue: support\n",
        "  support:\n    type: subflow\n    flow: identify\n    next: acct\n"
        "  acct:\n    type: collect\n    prompt: agent-pass\n    store: acct\n    max_digits: 4\n"
        "    pattern: '[0-9'\n    next: bye\n",
    )
    assert problems(tmp_path, text) == [
        "demo.yaml:14:11: node 'support': unknown flow 'identify'",
        "demo.yaml:21:14: node 'acct': bad pattern: unterminated character set at position 0",
    ]


def test_flow_name_must_match_the_file_name(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace("name: demo", "name: other")) == [
        "demo.yaml:1:7: flow name 'other' differs from the file name 'demo' (the AGI URL uses the name)"
    ]


def test_yaml_1_2_keeps_no_a_string_and_digit_keys_become_strings() -> None:
    loaded = load_flow_text(
        GOOD.replace("  bye:\n", "  bye:\n").replace(
            "  support:\n    type: queue\n    queue: support\n",
            "  support:\n    type: set\n    values: {answer: no}\n    next: bye\n",
        ),
        "demo.yaml",
    )
    assert loaded.problems == []
    assert loaded.flow is not None
    assert loaded.flow.nodes["support"].values == {"answer": "no"}
    assert set(loaded.flow.nodes["menu"].options) == {"1", "#"}


def test_shipped_flows_pass_with_their_queues() -> None:
    flows = Path(__file__).parents[2] / "ivr_flows"
    assert check_paths([flows], CheckOptions(queues=frozenset({"support", "sales"}))) == []


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "name: x\n"])
def test_not_a_flow_at_all(text: str) -> None:
    loaded = load_flow_text(text, "x.yaml")
    assert loaded.flow is None
    assert loaded.problems


def test_node_without_type_and_inconsistent_fields_point_at_the_node(tmp_path: Path) -> None:
    text = GOOD.replace("    type: queue\n    queue: support\n", "    queue: support\n")
    assert problems(tmp_path, text) == ["demo.yaml:12:3: node 'support': missing field 'type'"]
    text = GOOD.replace(
        "    type: queue\n    queue: support\n",
        "    type: collect\n    prompt: agent-pass\n    store: acct\n    min_digits: 6\n    max_digits: 4\n"
        "    next: bye\n",
    )
    assert problems(tmp_path, text) == ["demo.yaml:12:3: node 'support': min_digits is greater than max_digits"]
    text = GOOD.replace("    type: queue\n    queue: support\n", "    type: goto\n    target: bye\n    flow: other\n")
    assert problems(tmp_path, text) == ["demo.yaml:12:3: node 'support': goto needs exactly one of 'target' or 'flow'"]


def test_bad_menu_digit_points_at_the_key(tmp_path: Path) -> None:
    text = GOOD.replace("      1: support", "      12: support")
    assert problems(tmp_path, text) == ["demo.yaml:8:7: node 'menu': menu option '12' must be one key: 0-9, * or #"]


def test_queue_announcements_need_the_queue_sounds(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    for name in ("vm-options", "vm-goodbye", "queue-youarenext", "queue-thereare"):
        (sounds / f"{name}.wav").write_bytes(b"")
    text = GOOD.replace("    queue: support\n", "    queue: support\n    announce_position: true\n")
    assert problems(tmp_path, text, sounds_dir=sounds) == [
        "demo.yaml:15:24: node 'support': no sound file 'queue-callswaiting'"
    ]


def test_type_errors_do_not_hide_the_other_problems_of_valid_nodes(tmp_path: Path) -> None:
    text = GOOD.replace("    invalid: bye\n", "    retries: lots\n    invalid: bye\n").replace(
        "    prompt: vm-goodbye\n",
        "    prompt: vm-goodbye\n  extra:\n    type: queue\n    queue: billing\n    timeout: nowhere\n",
    )
    assert problems(tmp_path, text, queues=frozenset({"support"})) == [
        "demo.yaml:10:14: node 'menu': retries: Input should be a valid integer, unable to parse string as an integer",
        "demo.yaml:21:12: node 'extra': unknown queue 'billing' (support)",
        "demo.yaml:22:14: node 'extra': timeout goes to unknown node 'nowhere'",
    ]
