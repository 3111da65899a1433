"""Inventory snapshots and diffs, as the agent sends them (pure functions, no ORM).

A snapshot maps each section (`os`, `packages`, `services` …) to a JSON object keyed by the item's
natural key (package name, unit name, mount point; field name for fixed-shape sections). A diff is

    {"<section>": {"added":   [{"key": k, "value": v}, …],
                   "removed": [k, …],
                   "changed": [{"key": k, "value": v}, …]}}

The hash of a snapshot is the hex SHA-256 of its canonical JSON (sorted keys, no spaces, UTF-8)
with empty sections left out; the agent computes it the same way (agent/src/openmsp_agent/
snapshot.py), so the server can check that a diff, applied to what it stored, gives the state the
agent has.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Snapshot = dict[str, dict[str, Any]]
MAX_KEY_LENGTH = 300  # InventoryChange.key


class InventoryMismatch(Exception):
    """The diff does not apply to the stored snapshot: the agent must send a full one."""


class InventoryFormatError(Exception):
    """The inventory object is malformed (a 422 naming `field`)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ItemChange:
    section: str
    change: str  # added | removed | changed
    key: str
    before: Any
    after: Any


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def normalize(snapshot: Mapping[str, Mapping[str, Any]]) -> Snapshot:
    return {name: dict(items) for name, items in snapshot.items() if items}


def snapshot_hash(snapshot: Mapping[str, Mapping[str, Any]]) -> str:
    return hashlib.sha256(canonical_json(normalize(snapshot))).hexdigest()


def check_snapshot(snapshot: Any, field: str = "inventory.snapshot") -> Snapshot:
    if not isinstance(snapshot, dict):
        raise InventoryFormatError("The snapshot must be a JSON object of sections.", field=field)
    for name, items in snapshot.items():
        if not isinstance(items, dict):
            raise InventoryFormatError(
                f"Section '{name}' must be a JSON object keyed by item.", field=f"{field}.{name}"
            )
    return normalize(snapshot)


def compare(old: Snapshot, new: Snapshot) -> list[ItemChange]:
    """Every item that differs between two snapshots, in section and key order."""
    out: list[ItemChange] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name) or {}, new.get(name) or {}
        for key in sorted(before.keys() | after.keys()):
            if key not in before:
                out.append(ItemChange(name, "added", key, None, after[key]))
            elif key not in after:
                out.append(ItemChange(name, "removed", key, before[key], None))
            elif canonical_json(before[key]) != canonical_json(after[key]):
                out.append(ItemChange(name, "changed", key, before[key], after[key]))
    return out


def apply_diff(base: Snapshot, changes: Any) -> tuple[Snapshot, list[ItemChange]]:
    """The snapshot after *changes*, and the item changes it made (with the values before).

    Removing or changing an item the base does not have, or adding one it already has, means the
    two sides disagree about the base: InventoryMismatch.
    """
    if not isinstance(changes, dict):
        raise InventoryFormatError(
            "changes must be a JSON object of sections.", field="inventory.changes"
        )
    result = {name: dict(items) for name, items in base.items()}
    made: list[ItemChange] = []
    for name in sorted(changes):
        section = changes[name]
        field = f"inventory.changes.{name}"
        if not isinstance(section, dict):
            raise InventoryFormatError(f"Section '{name}' must be an object.", field=field)
        items = result.setdefault(name, {})
        for key in _removed_keys(section.get("removed", []), field):
            if key not in items:
                raise InventoryMismatch(f"{name}: '{key}' cannot be removed; it is not stored.")
            made.append(ItemChange(name, "removed", key, items.pop(key), None))
        for kind in ("added", "changed"):
            for key, value in _entries(section.get(kind, []), f"{field}.{kind}"):
                if (key in items) != (kind == "changed"):
                    raise InventoryMismatch(f"{name}: '{key}' cannot be {kind}.")
                made.append(ItemChange(name, kind, key, items.get(key), value))
                items[key] = value
    return normalize(result), made


def _removed_keys(raw: Any, field: str) -> list[str]:
    if not isinstance(raw, list):
        raise InventoryFormatError("removed must be a list of keys.", field=f"{field}.removed")
    keys = []
    for index, entry in enumerate(raw):
        key = entry.get("key") if isinstance(entry, dict) else entry
        if not isinstance(key, str):
            raise InventoryFormatError(
                "Each removed key must be a string.", field=f"{field}.removed.{index}"
            )
        keys.append(key)
    return keys


def _entries(raw: Any, field: str) -> list[tuple[str, Any]]:
    if not isinstance(raw, list):
        raise InventoryFormatError("Must be a list of {key, value} objects.", field=field)
    entries = []
    for index, entry in enumerate(raw):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("key"), str)
            or "value" not in entry
        ):
            raise InventoryFormatError(
                "Each entry must be an object with a string key and a value.",
                field=f"{field}.{index}",
            )
        entries.append((entry["key"], entry["value"]))
    return entries


def asset_facts(snapshot: Snapshot) -> dict[str, str]:
    """Asset fields an agent's inventory keeps current (OS, vendor, model, serial)."""
    os_section = snapshot.get("os") or {}
    hardware = snapshot.get("hardware") or {}
    candidates = {
        "os_name": os_section.get("name"),
        "os_version": os_section.get("version"),
        "vendor": hardware.get("vendor"),
        "model": hardware.get("product"),
        "serial": hardware.get("serial"),
    }
    return {
        name: value[:100] for name, value in candidates.items() if isinstance(value, str) and value
    }
