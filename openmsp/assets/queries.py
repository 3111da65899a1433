"""Tenant-scoped reads of assets, their inventory and their status history.

The fleet UI and the API fetch through these helpers only. An asset the actor may not see is a
NotFound (404), exactly as if it did not exist. Reads of one asset's details (inventory, changes,
status history) take an asset already fetched here, so visibility is settled once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from openmsp.assets.models import (
    Asset,
    AssetStatusChange,
    AssetTag,
    InventoryChange,
    InventorySnapshot,
)
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.tenants.queries import scope


def assets_visible_to(actor: Actor, *, include_retired: bool = False) -> QuerySet[Asset]:
    """Assets of the clients *actor* sees, with client, site, agent and tags loaded (no N+1)."""
    qs = scope(actor, Asset.objects.select_related("client", "site", "agent"))
    if not include_retired:
        qs = qs.filter(retired_at__isnull=True)
    return qs.prefetch_related("tags")


def get_asset(actor: Actor, asset_id: int | str, *, include_retired: bool = True) -> Asset:
    try:
        return assets_visible_to(actor, include_retired=include_retired).get(pk=asset_id)
    except (Asset.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such asset.") from None


@dataclass(frozen=True)
class AssetFilters:
    """What the asset list can be narrowed by; every field optional."""

    client_id: int | None = None
    site_id: int | None = None
    status: str | None = None
    kind: str | None = None
    role: str | None = None
    criticality: str | None = None
    os: str | None = None  # part of the OS name or version
    tag: str | None = None
    q: str | None = None  # part of name, host name, serial or notes


def filter_assets(qs: QuerySet[Asset], filters: AssetFilters) -> QuerySet[Asset]:
    exact = {
        name: getattr(filters, name)
        for name in ("client_id", "site_id", "status", "kind", "role", "criticality")
        if getattr(filters, name) is not None
    }
    qs = qs.filter(**exact)
    if filters.os:
        qs = qs.filter(Q(os_name__icontains=filters.os) | Q(os_version__icontains=filters.os))
    if filters.tag:
        qs = qs.filter(pk__in=AssetTag.objects.filter(name=filters.tag).values("asset_id"))
    if filters.q:
        text = filters.q
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(hostname__icontains=text)
            | Q(serial__icontains=text)
            | Q(notes__icontains=text)
        )
    return qs


def tags_in_use(actor: Actor, *, client_id: int | None = None) -> list[str]:
    """Distinct tag names on the assets *actor* sees (the UI's tag picker)."""
    qs = scope(actor, AssetTag.objects.all(), field="asset__client")
    if client_id is not None:
        qs = qs.filter(asset__client_id=client_id)
    return list(qs.order_by("name").values_list("name", flat=True).distinct())


def status_counts(actor: Actor) -> dict[str, int]:
    """How many live assets are online, offline, unknown (the dashboard's fleet tile)."""
    rows = assets_visible_to(actor).order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(Asset.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def inventory_of(asset: Asset) -> InventorySnapshot | None:
    return InventorySnapshot.objects.filter(asset=asset).first()


def inventory_changes(
    asset: Asset,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    section: str | None = None,
) -> QuerySet[InventoryChange]:
    """What changed on this host, newest first: one range scan of the (asset, at) index."""
    qs = InventoryChange.objects.filter(asset=asset)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if section:
        qs = qs.filter(section=section)
    return qs.order_by("-at", "-pk")


def status_history(
    asset: Asset, *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> QuerySet[AssetStatusChange]:
    qs = AssetStatusChange.objects.filter(asset=asset)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-pk")
