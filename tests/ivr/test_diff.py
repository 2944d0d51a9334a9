"""Version differences read like a person wrote them."""

from __future__ import annotations

from callcenter.ivr.diff import describe_changes
from tests.ivr.flowkit import compiled

OLD = """
name: menu
entry: hours
nodes:
  main:
    type: menu
    prompt: vm-options
    options: {1: support, 2: sales, 3: bye}
    timeout_s: 5
  support: {type: queue, queue: support}
  sales: {type: queue, queue: sales}
  bye: {type: hangup, prompt: vm-goodbye}
  hours:
    type: hours
    schedule: {timezone: Europe/London, weekly: {mon: ["09:00-17:00"]}}
    open: main
    closed: bye
"""


def test_menu_target_timeout_and_added_node() -> None:
    new = (
        OLD.replace("3: bye}", "3: billing, 4: bye}")
        .replace("timeout_s: 5", "timeout_s: 8")
        .replace("  bye:", "  billing: {type: queue, queue: billing, priority: 2}\n  bye:")
        .replace('"09:00-17:00"', '"08:00-17:00"')
        .replace("entry: hours", "entry: welcome")
        .replace("nodes:\n", "nodes:\n  welcome: {type: play, prompt: hello, next: hours}\n")
    )
    assert describe_changes(compiled(OLD).flow, compiled(new).flow) == [
        "the call now starts at welcome (was hours)",
        "node 'welcome' added (play)",
        "node 'billing' added (queue)",
        "node 'main': option 3 now goes to billing (was bye)",
        "node 'main': option 4 added, goes to bye",
        "node 'main': timeout 5 -> 8 s",
        "node 'hours': schedule.weekly.mon [09:00-17:00] -> [08:00-17:00]",
    ]


def test_removed_nodes_options_and_type_changes() -> None:
    new = (
        OLD.replace(", 2: sales", "")
        .replace("  sales: {type: queue, queue: sales}\n", "")
        .replace("bye: {type: hangup, prompt: vm-goodbye}", "bye: {type: voicemail, mailbox: '5000'}")
    )
    assert describe_changes(compiled(OLD).flow, compiled(new).flow) == [
        "node 'sales' removed (queue)",
        "node 'main': option 2 removed (went to sales)",
        "node 'bye' is now a voicemail (was a hangup)",
    ]
    assert describe_changes(compiled(OLD).flow, compiled(OLD).flow) == []
