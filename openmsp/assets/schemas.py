"""API shapes of assets, their inventory, metrics and status history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from openmsp.assets.models import MAX_OFFLINE_SECONDS, MIN_OFFLINE_SECONDS, Asset
from openmsp.core.apiutils import (
    MAX_ID,
    InputSchema,
    Instant,
    ListQuery,
    Page,
    QuerySchema,
    omittable,
)

NOTES = 10_000
Tags = list[str]


class AssetIn(InputSchema):
    client_id: int = Field(ge=1, le=MAX_ID)
    site_id: int | None = Field(None, ge=1, le=MAX_ID, description="A site of the same client.")
    name: str = Field(min_length=1, max_length=200)
    hostname: str = Field("", max_length=253)
    role: Asset.Role = Asset.Role.OTHER
    criticality: Asset.Criticality = Asset.Criticality.MEDIUM
    tags: Tags = Field(default_factory=list, max_length=30)
    os_name: str = Field("", max_length=100)
    os_version: str = Field("", max_length=100)
    serial: str = Field("", max_length=100)
    vendor: str = Field("", max_length=100)
    model: str = Field("", max_length=100)
    warranty_until: dt.date | None = None
    end_of_life: dt.date | None = None
    notes: str = Field("", max_length=NOTES)
    offline_period_seconds: int | None = Field(None, ge=MIN_OFFLINE_SECONDS, le=MAX_OFFLINE_SECONDS)


class AssetPatch(InputSchema):
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    name: str = omittable(min_length=1, max_length=200)
    hostname: str = omittable(max_length=253)
    role: Asset.Role = omittable()
    criticality: Asset.Criticality = omittable()
    tags: Tags = omittable(max_length=30)
    os_name: str = omittable(max_length=100)
    os_version: str = omittable(max_length=100)
    serial: str = omittable(max_length=100)
    vendor: str = omittable(max_length=100)
    model: str = omittable(max_length=100)
    warranty_until: dt.date | None = omittable()
    end_of_life: dt.date | None = omittable()
    notes: str = omittable(max_length=NOTES)
    offline_period_seconds: int | None = Field(None, ge=MIN_OFFLINE_SECONDS, le=MAX_OFFLINE_SECONDS)


class AgentOut(Schema):
    id: uuid.UUID
    agent_version: str
    enrolled_at: dt.datetime
    revoked_at: dt.datetime | None
    last_batch_seq: int | None
    health: dict[str, Any]


class AssetOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    name: str
    hostname: str
    kind: str
    role: str
    criticality: str
    tags: list[str]
    os_name: str
    os_version: str
    serial: str
    vendor: str
    model: str
    warranty_until: dt.date | None
    end_of_life: dt.date | None
    notes: str
    status: str
    last_seen_at: dt.datetime | None
    offline_after: dt.datetime | None
    offline_period_seconds: int | None
    retired_at: dt.datetime | None
    agent: AgentOut | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_tags(obj: Asset) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_agent(obj: Asset) -> Any:
        return getattr(obj, "agent", None)


class AssetQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: Asset.Status | None = None
    kind: Asset.Kind | None = None
    role: Asset.Role | None = None
    criticality: Asset.Criticality | None = None
    os: str | None = Field(None, max_length=100, description="Part of the OS name or version.")
    tag: str | None = Field(None, max_length=50)
    q: str | None = Field(
        None, max_length=200, description="Part of name, host name, serial or notes."
    )
    include_retired: bool = False
    ordering: Literal["name", "-name", "status", "-status", "last_seen_at", "-last_seen_at", "created_at", "-created_at"] = "name"  # fmt: skip


class AssetPage(Page[AssetOut]):
    pass


# --- Inventory ----------------------------------------------------------------------------------


class InventoryOut(Schema):
    asset_id: int
    taken_at: dt.datetime | None = Field(description="Empty until the agent's first inventory.")
    hash: str | None
    data: dict[str, Any]


class InventoryChangeQuery(ListQuery):
    since: Instant | None = Field(None, description="Changes at or after this instant.")
    until: Instant | None = Field(None, description="Changes before this instant.")
    section: str | None = Field(None, max_length=50, description="os, packages, services …")


class InventoryChangeOut(Schema):
    id: int
    at: dt.datetime
    section: str
    change: str
    key: str
    before: Any
    after: Any


class InventoryChangePage(Page[InventoryChangeOut]):
    pass


# --- Status history -----------------------------------------------------------------------------


class StatusHistoryQuery(ListQuery):
    since: Instant | None = None
    until: Instant | None = None


class StatusChangeOut(Schema):
    at: dt.datetime
    previous: str
    status: str


class StatusChangePage(Page[StatusChangeOut]):
    pass


# --- Metrics ------------------------------------------------------------------------------------


class MetricsQuery(QuerySchema):
    name: str | None = Field(None, max_length=100, description="The metric, e.g. cpu.percent.")
    start: Instant | None = Field(None, description="Default: one hour before end.")
    end: Instant | None = Field(None, description="Default: now.")
    labels: list[str] = Field(
        default_factory=list,
        description="Label filters, repeatable: labels=mount=/ (only series with these labels).",
    )


class PointOut(Schema):
    t: dt.datetime
    v: float = Field(description="The value; for rollups the bucket's mean.")
    min: float
    max: float
    count: int


class SeriesOut(Schema):
    labels: dict[str, str]
    points: list[PointOut]


class MetricsOut(Schema):
    asset_id: int
    name: str
    resolution: Literal["raw", "5m", "1h"]
    start: dt.datetime
    end: dt.datetime
    series: list[SeriesOut]


class MetricNameOut(Schema):
    name: str
    labels: list[dict[str, str]]


class MetricNamesOut(Schema):
    asset_id: int
    metrics: list[MetricNameOut]
