"""REST endpoints for assets: the list, manual assets, inventory and its history, metrics, status
history. Enrollment tokens, agents and commands are in openmsp.agent_api.api (same router).

Reading needs only to see the client (client users read their own client's assets); changing needs
asset.manage. Another client's asset is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.agent_api.api import router as agent_router
from openmsp.assets import actions
from openmsp.assets.models import Asset
from openmsp.assets.queries import (
    AssetFilters,
    assets_visible_to,
    filter_assets,
    get_asset,
    inventory_changes,
    inventory_of,
    status_history,
)
from openmsp.assets.schemas import (
    AssetIn,
    AssetOut,
    AssetPage,
    AssetPatch,
    AssetQuery,
    InventoryChangePage,
    InventoryChangeQuery,
    InventoryOut,
    MetricNamesOut,
    MetricsOut,
    MetricsQuery,
    StatusChangePage,
    StatusHistoryQuery,
)
from openmsp.core.actor import Actor
from openmsp.core.apiutils import (
    api_field_names,
    changes_of,
    check_query_params,
    endpoint,
    fetch_ref,
    page,
)
from openmsp.core.errors import ValidationFailed
from openmsp.metrics.queries import metric_names, series_data
from openmsp.tenants.queries import clients_visible_to, sites_visible_to

router = Router()
router.add_router("", agent_router)

READ = (404,)
WRITE = (403, 404)
TAG = "assets"
_FIELDS = {"site": "site_id"}
MAX_METRICS_SPAN = dt.timedelta(days=800)


def _asset_changes(actor: Actor, payload: AssetIn | AssetPatch) -> dict[str, Any]:
    changes = changes_of(payload)
    changes.pop("client_id", None)
    if "site_id" in changes:
        changes["site"] = fetch_ref(
            sites_visible_to(actor), "site", "site_id", changes.pop("site_id")
        )
    return changes


@endpoint(router, "GET", "/assets", "List assets", tag=TAG, ok={200: AssetPage})
def list_assets(request: HttpRequest, query: Query[AssetQuery]) -> dict[str, Any]:
    """Assets of the clients you may see (retired ones only with `include_retired=true`),
    filtered by client, site, status, kind, role, criticality, OS, tag and `q`."""
    actor = actor_from(request)
    qs = assets_visible_to(actor, include_retired=query.include_retired)
    filters = AssetFilters(
        **query.model_dump(
            include={
                "client_id",
                "site_id",
                "status",
                "kind",
                "role",
                "criticality",
                "os",
                "tag",
                "q",
            }
        )
    )
    return page(request, filter_assets(qs, filters), query)


@endpoint(router, "POST", "/assets", "Add a manual asset", tag=TAG, ok={201: AssetOut}, errors=(403, 409))  # fmt: skip
def create_asset(request: HttpRequest, payload: AssetIn) -> Status[Asset]:
    """A device without an agent (switch, printer, firewall). Agent assets are created by
    enrollment. Needs asset.manage (MSP staff)."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    fields = _asset_changes(actor, payload)
    with api_field_names(_FIELDS):
        asset = actions.create_asset(actor=actor, client=client, name=fields.pop("name"), **fields)
    return Status(201, get_asset(actor, asset.pk))


@endpoint(router, "GET", "/assets/{asset_id}", "Get an asset", tag=TAG, ok={200: AssetOut}, errors=READ)  # fmt: skip
def get_one_asset(request: HttpRequest, asset_id: int) -> Asset:
    return get_asset(actor_from(request), asset_id)


@endpoint(router, "PATCH", "/assets/{asset_id}", "Change an asset", tag=TAG, ok={200: AssetOut}, errors=WRITE)  # fmt: skip
def update_asset(request: HttpRequest, asset_id: int, payload: AssetPatch) -> Asset:
    """Only the fields sent change; `tags`, when sent, replaces all tags. Needs asset.manage."""
    actor = actor_from(request)
    asset = get_asset(actor, asset_id)
    changes = _asset_changes(actor, payload)
    with api_field_names(_FIELDS):
        actions.update_asset(actor=actor, asset=asset, changes=changes)
    return get_asset(actor, asset_id)


@endpoint(router, "DELETE", "/assets/{asset_id}", "Retire an asset", tag=TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def retire_asset(request: HttpRequest, asset_id: int) -> Status[None]:
    """The asset is kept for its history but leaves lists and offline detection; its agent is
    revoked. Needs asset.manage."""
    actor = actor_from(request)
    actions.retire_asset(actor=actor, asset=get_asset(actor, asset_id))
    return Status(204, None)


# --- Inventory and history ----------------------------------------------------------------------


@endpoint(router, "GET", "/assets/{asset_id}/inventory", "Current inventory", tag=TAG, ok={200: InventoryOut}, errors=READ)  # fmt: skip
def get_inventory(request: HttpRequest, asset_id: int) -> dict[str, Any]:
    """The agent's last snapshot: sections (os, hardware, packages, services …) keyed by item."""
    check_query_params(request)
    asset = get_asset(actor_from(request), asset_id)
    snapshot = inventory_of(asset)
    if snapshot is None:
        return {"asset_id": asset.pk, "taken_at": None, "hash": None, "data": {}}
    return {
        "asset_id": asset.pk,
        "taken_at": snapshot.taken_at,
        "hash": snapshot.hash,
        "data": snapshot.data,
    }


@endpoint(router, "GET", "/assets/{asset_id}/inventory/changes", "Inventory history", tag=TAG, ok={200: InventoryChangePage}, errors=READ)  # fmt: skip
def list_inventory_changes(
    request: HttpRequest, asset_id: int, query: Query[InventoryChangeQuery]
) -> dict[str, Any]:
    """What was added, removed or changed, newest first: `since=…&section=packages` answers
    "which packages changed on this host last week"."""
    asset = get_asset(actor_from(request), asset_id)
    qs = inventory_changes(asset, since=query.since, until=query.until, section=query.section)
    return page(request, qs, query)


@endpoint(router, "GET", "/assets/{asset_id}/status-history", "Online/offline history", tag=TAG, ok={200: StatusChangePage}, errors=READ)  # fmt: skip
def list_status_history(
    request: HttpRequest, asset_id: int, query: Query[StatusHistoryQuery]
) -> dict[str, Any]:
    asset = get_asset(actor_from(request), asset_id)
    return page(request, status_history(asset, since=query.since, until=query.until), query)


# --- Metrics ------------------------------------------------------------------------------------


def _label_filter(raw: list[str]) -> dict[str, str]:
    labels = {}
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationFailed(
                f"'{item}' is not a label filter; write key=value.", field="labels"
            )
        labels[key] = value
    return labels


@endpoint(router, "GET", "/assets/{asset_id}/metrics", "Metric data", tag=TAG, ok={200: MetricsOut}, errors=READ)  # fmt: skip
def get_metrics(request: HttpRequest, asset_id: int, query: Query[MetricsQuery]) -> dict[str, Any]:
    """Points of one metric between `start` and `end` (default: the last hour), one series per
    label set. The resolution follows the range: up to 6 hours raw samples, up to 8 days
    5-minute buckets, beyond that hourly buckets; `resolution` says which was used."""
    check_query_params(request, MetricsQuery)
    asset = get_asset(actor_from(request), asset_id)
    if not query.name:
        raise ValidationFailed(
            "Name the metric: name=cpu.percent (see metric-names).", field="name"
        )
    end = query.end or timezone.now()
    start = query.start or end - dt.timedelta(hours=1)
    if start >= end:
        raise ValidationFailed("start must be before end.", field="start")
    if end - start > MAX_METRICS_SPAN:
        raise ValidationFailed("The range can be at most 800 days.", field="start")
    data = series_data(asset, query.name, start=start, end=end, labels=_label_filter(query.labels))
    return {
        "asset_id": asset.pk,
        "name": data.name,
        "resolution": data.resolution,
        "start": data.start,
        "end": data.end,
        "series": data.series,
    }


@endpoint(router, "GET", "/assets/{asset_id}/metric-names", "Metrics of an asset", tag=TAG, ok={200: MetricNamesOut}, errors=READ)  # fmt: skip
def list_metric_names(request: HttpRequest, asset_id: int) -> dict[str, Any]:
    check_query_params(request)
    asset = get_asset(actor_from(request), asset_id)
    return {"asset_id": asset.pk, "metrics": metric_names(asset)}
