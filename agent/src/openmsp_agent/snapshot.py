"""Inventory snapshots: their hash, and diffs between two of them (pure functions, no I/O).

A snapshot maps each section name to a JSON object keyed by the item's natural key (package name,
mount point, unit name, ``tcp/0.0.0.0:22`` …); fixed-shape sections (``os``, ``hardware``,
``time_sync``) are keyed by field name. Keying every section makes the diff uniform:

    {"<section>": {"added":   [{"key": k, "value": v}, …],   # keys only in the new snapshot
                   "removed": [k, …],                          # keys only in the old one
                   "changed": [{"key": k, "value": v}, …]}}    # same key, new value

Lists are sorted by key, sections without changes are left out. The hash is the hex SHA-256 of the
canonical JSON of the snapshot with its empty sections left out, so an empty section and a missing
one are the same state. ``apply_diff(a, diff(a, b))`` has the hash of ``b``: the server applies
diffs the same way and compares hashes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from openmsp_agent.encoding import canonical_json

Snapshot = dict[str, dict[str, Any]]
Changes = dict[str, dict[str, list[Any]]]


def normalize(snapshot: Snapshot) -> Snapshot:
    return {name: dict(items) for name, items in snapshot.items() if items}


def snapshot_hash(snapshot: Snapshot) -> str:
    return hashlib.sha256(canonical_json(normalize(snapshot))).hexdigest()


def diff(old: Snapshot, new: Snapshot) -> Changes:
    changes: Changes = {}
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name) or {}, new.get(name) or {}
        added = [{"key": k, "value": after[k]} for k in sorted(after.keys() - before.keys())]
        removed = sorted(before.keys() - after.keys())
        changed = [
            {"key": k, "value": after[k]}
            for k in sorted(after.keys() & before.keys())
            if canonical_json(after[k]) != canonical_json(before[k])
        ]
        if added or removed or changed:
            changes[name] = {"added": added, "removed": removed, "changed": changed}
    return changes


def apply_diff(base: Snapshot, changes: Changes) -> Snapshot:
    result = {name: dict(items) for name, items in base.items()}
    for name, section in changes.items():
        items = result.setdefault(name, {})
        for key in section.get("removed", []):
            items.pop(key, None)
        for entry in [*section.get("added", []), *section.get("changed", [])]:
            items[entry["key"]] = entry["value"]
    return normalize(result)
