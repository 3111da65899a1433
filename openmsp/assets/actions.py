"""Every change to assets.

People's changes (`create_asset`, `update_asset`, `retire_asset`) take the actor, check the role,
validate, save and audit in one transaction; callers pass assets fetched through
`openmsp.assets.queries`, so tenant visibility is already settled.

What hosts report about themselves (`check_in`, `record_inventory`) and what the offline detector
observes (`detect_offline`) are telemetry, not decisions: they are recorded in their own history
tables (AssetStatusChange, InventoryChange), not in the audit chain, which a fleet would otherwise
flood with a row per host per minute.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from openmsp.accounts.roles import Perm
from openmsp.assets import inventory as inv
from openmsp.assets.models import (
    Asset,
    AssetStatusChange,
    AssetTag,
    InventoryChange,
    InventorySnapshot,
)
from openmsp.assets.signals import asset_offline, asset_online
from openmsp.core import audit, spine
from openmsp.core.actions import apply_changes, full_clean, require
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.tenants.models import Client

EDITABLE_FIELDS = {
    "site", "hostname", "role", "criticality", "os_name", "os_version", "serial", "vendor",
    "model", "warranty_until", "end_of_life", "notes", "offline_period_seconds",
}  # fmt: skip
MAX_TAGS = 30
_TAG = re.compile(r"^[^\s,][^,\x00-\x1f]{0,49}$")
log = logging.getLogger("openmsp.assets")

OFFLINE_BATCH = 500  # assets flipped per detector run; the next run (15 s later) takes the rest


# --- People's changes -------------------------------------------------------------------------


def clean_tags(tags: Iterable[str]) -> list[str]:
    names = sorted({str(t).strip() for t in tags})
    for name in names:
        if not _TAG.match(name):
            raise ValidationFailed(
                f"'{name}' is not a usable tag: 1-50 characters, no commas, not blank.",
                field="tags",
            )
    if len(names) > MAX_TAGS:
        raise ValidationFailed(f"An asset can have at most {MAX_TAGS} tags.", field="tags")
    return names


def _state(asset: Asset) -> dict[str, Any]:
    data = audit.snapshot(asset)
    data["tags"] = sorted(t.name for t in asset.tags.all()) if asset.pk else []
    return data


def _check(asset: Asset) -> None:
    if asset.site is not None and asset.site.client_id != asset.client_id:
        raise ValidationFailed("The site belongs to another client.", field="site")
    if (
        asset.warranty_until is not None
        and asset.end_of_life is not None
        and asset.end_of_life < asset.warranty_until
    ):
        raise ValidationFailed(
            "End of life cannot be before the end of warranty.", field="end_of_life"
        )
    full_clean(asset, exclude=["client", "site"])


def _set_tags(asset: Asset, names: list[str]) -> None:
    AssetTag.objects.filter(asset=asset).exclude(name__in=names).delete()
    existing = set(AssetTag.objects.filter(asset=asset).values_list("name", flat=True))
    AssetTag.objects.bulk_create(
        [AssetTag(asset=asset, name=n) for n in names if n not in existing]
    )


@transaction.atomic
def create_asset(*, actor: Actor, client: Client, name: str, **fields: Any) -> Asset:
    """A manual asset (switch, printer, firewall …): a device without an agent."""
    require(actor, Perm.ASSET_MANAGE)
    tags = clean_tags(fields.pop("tags", None) or [])
    asset = Asset(client=client, name=name, kind=Asset.Kind.MANUAL)
    apply_changes(asset, fields, EDITABLE_FIELDS)
    _check(asset)
    asset.save()
    _set_tags(asset, tags)
    audit.record(actor=actor, action="asset.created", obj=asset, after=_state(asset))
    return asset


@transaction.atomic
def update_asset(*, actor: Actor, asset: Asset, changes: Mapping[str, Any]) -> Asset:
    """Only the given fields change; `tags`, when given, replaces all tags. On an agent asset the
    OS, vendor, model and serial are refreshed by the next inventory."""
    require(actor, Perm.ASSET_MANAGE)
    changes = dict(changes)
    before = _state(asset)
    tags = clean_tags(changes.pop("tags")) if "tags" in changes else None
    apply_changes(asset, changes, EDITABLE_FIELDS | {"name"})
    _check(asset)
    asset.save()
    if tags is not None:
        _set_tags(asset, tags)
    after = _state(asset)
    changed = sorted(k for k in after if after[k] != before.get(k) and k != "updated_at")
    if changed:
        audit.record(
            actor=actor,
            action="asset.updated",
            obj=asset,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    return asset


@transaction.atomic
def retire_asset(*, actor: Actor, asset: Asset) -> Asset:
    """Take the asset out of the fleet: kept for history, gone from lists and offline detection.
    An agent on it is revoked at once. Retiring twice changes nothing."""
    require(actor, Perm.ASSET_MANAGE)
    if asset.retired_at is not None:
        return asset
    before = _state(asset)
    asset.retired_at = timezone.now()
    asset.status = Asset.Status.UNKNOWN
    asset.offline_after = None
    asset.save(update_fields=["retired_at", "status", "offline_after", "updated_at"])
    audit.record(
        actor=actor,
        action="asset.retired",
        obj=asset,
        before={k: before[k] for k in ("retired_at", "status")},
        after={"retired_at": asset.retired_at, "status": asset.status},
    )
    from openmsp.agent_api.actions import revoke_agent_of  # the agent app builds on assets

    revoke_agent_of(actor=actor, asset=asset, reason="asset retired")
    return asset


# --- Reachability -----------------------------------------------------------------------------


def _transition(asset_id: int, previous: str, status: str, at: dt.datetime) -> None:
    AssetStatusChange.objects.create(asset_id=asset_id, at=at, previous=previous, status=status)


def _send_on_commit(signal: Any, asset_id: int, at: dt.datetime) -> None:
    def send() -> None:
        asset = Asset.objects.filter(pk=asset_id).first()
        if asset is not None:
            signal.send(sender=Asset, asset=asset, at=at)

    transaction.on_commit(send)


def _observe_reachability(
    asset_id: int, client_id: int, name: str, offline: bool, at: dt.datetime
) -> None:
    """Hand the flip to the Problem lifecycle (openmsp.core.spine), in this transaction."""
    summary = f"{name} stopped checking in" if offline else f"{name} checked in again"
    spine.observe(
        spine.Observation(
            client_id=client_id,
            source="agent",
            object_type="assets.asset",
            object_id=str(asset_id),
            rule="offline",
            status="critical" if offline else "ok",
            observed_at=at,
            summary=summary,
            title=f"{name} is offline",
            asset_id=asset_id,
        )
    )


def check_in(asset: Asset, *, at: dt.datetime | None = None) -> bool:
    """Record that the asset's agent was heard from: moves `last_seen_at` and the `offline_after`
    deadline. Returns True when the asset came back from offline (asset_online is sent on
    commit). Usually one UPDATE; the conditional updates make a race with the detector safe."""
    now = at or timezone.now()
    deadline = now + asset.offline_period
    rows = Asset.objects.filter(pk=asset.pk, retired_at__isnull=True)
    if rows.filter(status=Asset.Status.ONLINE).update(last_seen_at=now, offline_after=deadline):
        return False
    for previous in (Asset.Status.OFFLINE, Asset.Status.UNKNOWN):
        flipped = rows.filter(status=previous).update(
            status=Asset.Status.ONLINE, last_seen_at=now, offline_after=deadline
        )
        if flipped:
            _transition(asset.pk, previous, Asset.Status.ONLINE, now)
            if previous == Asset.Status.OFFLINE:
                _send_on_commit(asset_online, asset.pk, now)
                _observe_reachability(asset.pk, asset.client_id, asset.name, False, now)
            return previous == Asset.Status.OFFLINE
    return False  # retired: nothing to track


def detect_offline(*, now: dt.datetime | None = None) -> list[int]:
    """Flip online assets whose deadline passed to offline; return their ids.

    One indexed query finds the due rows (partial index on offline_after WHERE status='online');
    each is claimed with an UPDATE conditional on the deadline it was read with, so a check-in
    that lands in between, or a second detector running at the same time, wins cleanly.
    """
    now = now or timezone.now()
    due = list(
        Asset.objects.filter(status=Asset.Status.ONLINE, offline_after__lte=now)
        .order_by("offline_after")
        .values_list("pk", "offline_after", "client_id", "name")[:OFFLINE_BATCH]
    )
    flipped = []
    for asset_id, deadline, client_id, name in due:
        with transaction.atomic():
            won = Asset.objects.filter(
                pk=asset_id, status=Asset.Status.ONLINE, offline_after=deadline
            ).update(status=Asset.Status.OFFLINE)
            if won:
                _transition(asset_id, Asset.Status.ONLINE, Asset.Status.OFFLINE, deadline)
                _send_on_commit(asset_offline, asset_id, deadline)
                _observe_reachability(asset_id, client_id, name, True, deadline)
                flipped.append(asset_id)
    return flipped


# --- Inventory --------------------------------------------------------------------------------


def record_inventory(
    asset: Asset, payload: Mapping[str, Any], *, at: dt.datetime
) -> InventorySnapshot:
    """Store a full snapshot or apply a diff, writing one InventoryChange per changed item.

    Raises InventoryMismatch when a diff's base is not the stored snapshot (or, applied, does not
    give the hash the agent announced): the agent answers with a full snapshot. Run inside the
    batch's transaction, so a mismatch stores nothing of the batch.
    """
    current = InventorySnapshot.objects.select_for_update().filter(asset=asset).first()
    declared = payload.get("hash")
    if not isinstance(declared, str) or not declared or len(declared) > 128:
        raise inv.InventoryFormatError("hash must be the snapshot's hash.", field="inventory.hash")
    if payload.get("full") is True:
        data = inv.check_snapshot(payload.get("snapshot"))
        changes = inv.compare(current.data, data) if current is not None else []
        if inv.snapshot_hash(data) != declared:
            # Kept as announced (the agent diffs against its own hash); the next diff will not
            # verify and the agent falls back to full snapshots, which still work.
            log.warning("asset %s: full inventory hash does not match its content", asset.pk)
    else:
        if current is None or payload.get("base_hash") != current.hash:
            raise inv.InventoryMismatch("The diff's base is not the stored snapshot.")
        data, changes = inv.apply_diff(current.data, payload.get("changes"))
        if inv.snapshot_hash(data) != declared:
            raise inv.InventoryMismatch(
                "The diff applied to the stored snapshot gives another hash."
            )
    snapshot = current or InventorySnapshot(asset=asset)
    snapshot.taken_at, snapshot.hash, snapshot.data = at, declared, data
    snapshot.save()
    InventoryChange.objects.bulk_create(
        [
            InventoryChange(
                asset=asset,
                at=at,
                section=c.section[:50],
                change=c.change,
                key=c.key[: inv.MAX_KEY_LENGTH],
                before=c.before,
                after=c.after,
            )
            for c in changes
        ],
        batch_size=500,
    )
    facts = inv.asset_facts(data)
    if facts:
        Asset.objects.filter(pk=asset.pk).update(**facts)
    return snapshot
