"""Inventory: a full snapshot, then diffs against it; a diff on the wrong base is a 409 that stores
nothing; every change is a row, so "what changed on this host last week" is one indexed query."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
import time_machine

from openmsp.agent_api.models import AgentBatch
from openmsp.agent_api.tests.agents import SignedAgent
from openmsp.assets.models import Asset, InventoryChange, InventorySnapshot
from openmsp.assets.queries import inventory_changes
from openmsp.metrics.models import Sample

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)
SNAPSHOT: dict[str, Any] = {
    "os": {"name": "Ubuntu", "version": "24.04", "kernel": "6.8.0-45", "arch": "x86_64"},
    "hardware": {
        "vendor": "Dell Inc.",
        "product": "PowerEdge R650",
        "serial": "7XK2M93",
        "cores": 16,
    },
    "packages": {"nginx": "1.24.0", "openssl": "3.0.13", "bash": "5.2.21"},
    "services": {"nginx.service": {"active": "active", "sub": "running"}},
    "users": {},
}


def _hash(snapshot: dict[str, Any]) -> str:
    """The agent's hash: SHA-256 of canonical JSON, empty sections left out."""
    kept = {k: v for k, v in snapshot.items() if v}
    return hashlib.sha256(
        json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def _full(agent: SignedAgent, snapshot: dict[str, Any], **extra: Any) -> Any:
    return agent.batch(
        inventory={"full": True, "hash": _hash(snapshot), "snapshot": snapshot}, **extra
    )


def _diff(
    agent: SignedAgent, base: dict[str, Any], new: dict[str, Any], changes: dict[str, Any], **extra
) -> Any:
    inventory = {"full": False, "base_hash": _hash(base), "hash": _hash(new), "changes": changes}
    return agent.batch(inventory=inventory, **extra)


def _upgrade() -> tuple[dict[str, Any], dict[str, Any]]:
    new = copy.deepcopy(SNAPSHOT)
    new["packages"]["openssl"] = "3.0.15"
    new["packages"]["curl"] = "8.5.0"
    del new["packages"]["bash"]
    changes = {
        "packages": {
            "added": [{"key": "curl", "value": "8.5.0"}],
            "removed": ["bash"],
            "changed": [{"key": "openssl", "value": "3.0.15"}],
        }
    }
    return new, changes


def test_a_full_snapshot_is_stored_and_fills_in_the_assets_facts(agent_a: SignedAgent) -> None:
    assert _full(agent_a, SNAPSHOT).status_code == 200
    stored = InventorySnapshot.objects.get(asset_id=agent_a.agent.asset_id)
    assert stored.hash == _hash(SNAPSHOT)
    assert stored.data["packages"]["nginx"] == "1.24.0"
    assert "users" not in stored.data
    asset = Asset.objects.get(pk=agent_a.agent.asset_id)
    assert (asset.os_name, asset.os_version) == ("Ubuntu", "24.04")
    assert (asset.vendor, asset.model, asset.serial) == ("Dell Inc.", "PowerEdge R650", "7XK2M93")
    assert InventoryChange.objects.count() == 0  # history starts with the first snapshot


def test_a_diff_is_applied_and_every_item_change_is_recorded(agent_a: SignedAgent) -> None:
    _full(agent_a, SNAPSHOT)
    new, changes = _upgrade()
    with time_machine.travel(T0, tick=False):
        assert _diff(agent_a, SNAPSHOT, new, changes).status_code == 200
    stored = InventorySnapshot.objects.get(asset_id=agent_a.agent.asset_id)
    assert stored.data["packages"] == {"nginx": "1.24.0", "openssl": "3.0.15", "curl": "8.5.0"}
    assert stored.hash == _hash(new)
    rows = {(c.change, c.key): (c.before, c.after) for c in InventoryChange.objects.all()}
    assert rows == {
        ("added", "curl"): (None, "8.5.0"),
        ("removed", "bash"): ("5.2.21", None),
        ("changed", "openssl"): ("3.0.13", "3.0.15"),
    }
    assert {c.at for c in InventoryChange.objects.all()} == {T0}


def test_what_changed_last_week_is_a_simple_query(agent_a: SignedAgent) -> None:
    _full(agent_a, SNAPSHOT)
    new, changes = _upgrade()
    with time_machine.travel(T0, tick=False):
        _diff(agent_a, SNAPSHOT, new, changes)
    newer = copy.deepcopy(new)
    newer["services"]["nginx.service"] = {"active": "failed", "sub": "failed"}
    service_change = {
        "services": {
            "added": [],
            "removed": [],
            "changed": [{"key": "nginx.service", "value": newer["services"]["nginx.service"]}],
        }
    }
    with time_machine.travel(T0 + dt.timedelta(days=10), tick=False):
        _diff(agent_a, new, newer, service_change)
    asset = Asset.objects.get(pk=agent_a.agent.asset_id)
    week = inventory_changes(
        asset, since=T0 - dt.timedelta(days=1), until=T0 + dt.timedelta(days=6)
    )
    assert sorted(c.key for c in week) == ["bash", "curl", "openssl"]
    services = inventory_changes(asset, section="services")
    assert [(c.key, (c.before or {})["active"], (c.after or {})["active"]) for c in services] == [
        ("nginx.service", "active", "failed")
    ]


def test_a_diff_on_another_base_is_a_409_and_stores_nothing_of_the_batch(
    agent_a: SignedAgent,
) -> None:
    _full(agent_a, SNAPSHOT)
    stale_base = copy.deepcopy(SNAPSHOT)
    stale_base["packages"]["zsh"] = "5.9"
    new, changes = _upgrade()
    samples = [{"t": dt.datetime.now(dt.UTC).isoformat(), "m": "cpu.percent", "v": 1.0, "l": {}}]
    batches_before = AgentBatch.objects.count()
    response = _diff(agent_a, stale_base, new, changes, samples=samples)
    assert response.status_code == 409
    assert response.json() == {"detail": "inventory base mismatch", "need_full": True}
    assert Sample.objects.count() == 0
    assert AgentBatch.objects.count() == batches_before
    assert InventorySnapshot.objects.get(asset_id=agent_a.agent.asset_id).hash == _hash(SNAPSHOT)


def test_a_diff_before_any_full_snapshot_asks_for_one(agent_a: SignedAgent) -> None:
    new, changes = _upgrade()
    assert _diff(agent_a, SNAPSHOT, new, changes).status_code == 409


def test_a_diff_that_does_not_give_the_announced_hash_asks_for_a_full_snapshot(
    agent_a: SignedAgent,
) -> None:
    _full(agent_a, SNAPSHOT)
    new, changes = _upgrade()
    changes["packages"]["changed"] = [{"key": "openssl", "value": "9.9.9"}]  # not what `new` has
    assert _diff(agent_a, SNAPSHOT, new, changes).status_code == 409


def test_removing_an_item_the_server_does_not_have_asks_for_a_full_snapshot(
    agent_a: SignedAgent,
) -> None:
    _full(agent_a, SNAPSHOT)
    changes = {"packages": {"added": [], "removed": ["not-installed"], "changed": []}}
    assert _diff(agent_a, SNAPSHOT, SNAPSHOT, changes).status_code == 409


def test_a_later_full_snapshot_records_what_changed_since_the_stored_one(
    agent_a: SignedAgent,
) -> None:
    _full(agent_a, SNAPSHOT)
    new, _changes = _upgrade()
    assert _full(agent_a, new).status_code == 200
    assert sorted(InventoryChange.objects.values_list("change", "key")) == [
        ("added", "curl"),
        ("changed", "openssl"),
        ("removed", "bash"),
    ]


def test_a_malformed_inventory_is_a_422_naming_the_field(agent_a: SignedAgent) -> None:
    response = agent_a.batch(
        inventory={"full": True, "hash": "x", "snapshot": {"packages": ["nginx"]}}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "inventory.snapshot.packages"
    _full(agent_a, SNAPSHOT)
    bad = {
        "full": False,
        "base_hash": _hash(SNAPSHOT),
        "hash": "y",
        "changes": {"packages": {"added": ["curl"]}},
    }
    response = agent_a.batch(inventory=bad)
    assert response.status_code == 422
    assert response.json()["field"] == "inventory.changes.packages.added.0"
