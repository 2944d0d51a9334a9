"""Differences between two versions of a flow, in terms a person reads.

``option 3 now goes to billing (was goodbye)``, ``timeout 5 -> 8 s``, ``node 'billing' added (queue)``.
"""

from __future__ import annotations

from typing import Any

from callcenter.ivr.model import Flow


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _field_changes(prefix: str, old: Any, new: Any) -> list[str]:
    """Changes between two plain values, walking into mappings so a schedule change names the day."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in [*old, *(k for k in new if k not in old)]:
            name = f"{prefix}.{key}" if prefix else str(key)
            if key not in new:
                changes.append(f"{name} removed (was {_show(old[key])})")
            elif key not in old:
                changes.append(f"{name} set to {_show(new[key])}")
            else:
                changes += _field_changes(name, old[key], new[key])
        return changes
    if prefix.endswith("_s"):
        return [f"{prefix.removesuffix('_s')} {_show(old)} -> {_show(new)} s"]
    return [f"{prefix} {_show(old)} -> {_show(new)}"]


def _menu_changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    changes = []
    for digit in sorted({*old, *new}, key="0123456789*#".index):
        if digit not in new:
            changes.append(f"option {digit} removed (went to {old[digit]})")
        elif digit not in old:
            changes.append(f"option {digit} added, goes to {new[digit]}")
        elif old[digit] != new[digit]:
            changes.append(f"option {digit} now goes to {new[digit]} (was {old[digit]})")
    return changes


def describe_changes(old: Flow, new: Flow) -> list[str]:
    """One line per change from ``old`` to ``new``: nodes added or removed, then each field that changed."""
    changes = []
    if old.entry != new.entry:
        changes.append(f"the call now starts at {new.entry} (was {old.entry})")
    if old.description != new.description:
        changes.append("description changed")
    for node_id in new.nodes:
        if node_id not in old.nodes:
            changes.append(f"node '{node_id}' added ({new.nodes[node_id].type})")
    for node_id in old.nodes:
        if node_id not in new.nodes:
            changes.append(f"node '{node_id}' removed ({old.nodes[node_id].type})")
    for node_id, new_node in new.nodes.items():
        old_node = old.nodes.get(node_id)
        if old_node is None or old_node == new_node:
            continue
        if old_node.type != new_node.type:
            changes.append(f"node '{node_id}' is now a {new_node.type} (was a {old_node.type})")
            continue
        before = old_node.model_dump(by_alias=True, exclude_defaults=False)
        after = new_node.model_dump(by_alias=True, exclude_defaults=False)
        lines = []
        if "options" in before:
            lines += _menu_changes(before.pop("options"), after.pop("options"))
        lines += _field_changes("", before, after)
        changes += [f"node '{node_id}': {line}" for line in lines]
    return changes
