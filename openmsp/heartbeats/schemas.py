"""API shapes of heartbeats and their ping logs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.conf import settings
from ninja import Schema
from pydantic import Field

from openmsp.core.apiutils import MAX_ID, InputSchema, Instant, ListQuery, Page, omittable
from openmsp.heartbeats.models import MAX_SECONDS, Heartbeat, Ping

Seconds = int
TEXT = 10_000


def ping_url(hb: Heartbeat) -> str:
    return f"{settings.SITE_URL}/ping/{hb.ping_key}"


class HeartbeatIn(InputSchema):
    client_id: int = Field(ge=1, le=MAX_ID)
    site_id: int | None = Field(None, ge=1, le=MAX_ID, description="A site of the same client.")
    asset_id: int | None = Field(None, ge=1, le=MAX_ID, description="An asset of the same client.")
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field("", max_length=100, pattern=r"^[-a-z0-9_]*$")
    description: str = Field("", max_length=TEXT)
    tags: list[str] = Field(default_factory=list, max_length=20)
    kind: Heartbeat.Kind = Field(Heartbeat.Kind.PERIOD, description="period or cron.")
    period_seconds: Seconds = Field(86400, gt=0, le=MAX_SECONDS)
    cron: str = Field("", max_length=100, description="Five fields, e.g. '30 2 * * *'.")
    time_zone: str = Field("Asia/Seoul", max_length=64, description="IANA name for cron.")
    grace_seconds: Seconds = Field(3600, gt=0, le=MAX_SECONDS)
    min_run_seconds: Seconds | None = Field(None, gt=0, le=MAX_SECONDS)
    max_run_seconds: Seconds | None = Field(None, gt=0, le=MAX_SECONDS)
    min_interval_seconds: Seconds | None = Field(None, gt=0, le=MAX_SECONDS)


class HeartbeatPatch(InputSchema):
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    asset_id: int | None = Field(None, ge=1, le=MAX_ID)
    name: str = omittable(min_length=1, max_length=200)
    slug: str = omittable(max_length=100, pattern=r"^[-a-z0-9_]*$")
    description: str = omittable(max_length=TEXT)
    tags: list[str] = omittable(max_length=20)
    kind: Heartbeat.Kind = omittable()
    period_seconds: Seconds = omittable(gt=0, le=MAX_SECONDS)
    cron: str = omittable(max_length=100)
    time_zone: str = omittable(max_length=64)
    grace_seconds: Seconds = omittable(gt=0, le=MAX_SECONDS)
    min_run_seconds: Seconds | None = Field(None, gt=0, le=MAX_SECONDS)
    max_run_seconds: Seconds | None = Field(None, gt=0, le=MAX_SECONDS)
    min_interval_seconds: Seconds | None = Field(None, gt=0, le=MAX_SECONDS)


class HeartbeatOut(Schema):
    id: int
    client_id: int
    site_id: int | None
    asset_id: int | None
    name: str
    slug: str
    description: str
    tags: list[str]
    ping_url: str = Field(description="The job's credential: keep it secret.")
    kind: str
    period_seconds: int | None
    cron: str
    time_zone: str
    grace_seconds: int
    min_run_seconds: int | None
    max_run_seconds: int | None
    min_interval_seconds: int | None
    paused: bool
    state: str
    last_ping_at: dt.datetime | None
    last_start_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_duration_seconds: float | None
    next_expected_at: dt.datetime | None
    alert_after: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_ping_url(obj: Heartbeat) -> str:
        return ping_url(obj)

    @staticmethod
    def resolve_last_duration_seconds(obj: Heartbeat) -> float | None:
        return obj.last_duration.total_seconds() if obj.last_duration is not None else None

    @staticmethod
    def resolve_next_expected_at(obj: Heartbeat) -> dt.datetime | None:
        return obj.next_expected_at()


class HeartbeatQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    state: Heartbeat.State | None = None
    paused: bool | None = None
    q: str | None = Field(None, max_length=200, description="Part of name, slug or description.")
    ordering: Literal["name", "-name", "state", "-state", "last_ping_at", "-last_ping_at", "created_at", "-created_at"] = "name"  # fmt: skip


class HeartbeatPage(Page[HeartbeatOut]):
    pass


class PingQuery(ListQuery):
    kind: Ping.Kind | None = None
    since: Instant | None = Field(None, description="Pings at or after this instant.")


class PingOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    exit_status: int | None
    method: str
    remote_addr: str
    user_agent: str
    body: str
    body_truncated: bool
    duration_seconds: float | None

    @staticmethod
    def resolve_duration_seconds(obj: Ping) -> float | None:
        return obj.duration.total_seconds() if obj.duration is not None else None


class PingPage(Page[PingOut]):
    pass


class KeyOut(Schema):
    id: int
    ping_key: uuid.UUID
    ping_url: str
