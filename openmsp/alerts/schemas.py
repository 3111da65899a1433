"""API shapes of problems, maintenance windows, dependencies, Alertmanager tokens and the
Alertmanager webhook (version 4) payload."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from openmsp.alerts.models import Problem
from openmsp.core.apiutils import MAX_ID, InputSchema, Instant, ListQuery, Page, omittable

COMMENT = 4000


class ProblemQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    state: Literal["open", "pending", "firing", "acknowledged", "resolved"] | None = Field(
        None, description="A state, or `open` for pending, firing and acknowledged."
    )
    severity: Problem.Severity | None = None
    source: str | None = Field(None, max_length=40)
    suppressed: bool | None = Field(None, description="Suppressed by a parent's problem.")
    in_maintenance: bool | None = None
    asset_id: int | None = Field(None, ge=1, le=MAX_ID)
    q: str | None = Field(None, max_length=200, description="Part of the title.")
    ordering: Literal["last_seen_at", "-last_seen_at", "first_seen_at", "-first_seen_at", "severity", "-severity"] = "-last_seen_at"  # fmt: skip


class ProblemOut(Schema):
    id: int
    client_id: int
    fingerprint: str
    source: str
    object_type: str
    object_id: str
    rule: str
    asset_id: int | None
    title: str
    summary: str
    severity: str
    state: str
    external: bool
    labels: dict[str, Any]
    flapping: bool
    suppressed_by_id: int | None
    in_maintenance: bool
    repeat_count: int
    reopen_count: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    fired_at: dt.datetime | None
    resolved_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    ack_comment: str
    ack_expires_at: dt.datetime | None

    @staticmethod
    def resolve_acknowledged_by(obj: Problem) -> str | None:
        user = obj.acknowledged_by
        return user.email if user is not None else None


class ProblemPage(Page[ProblemOut]):
    pass


class EventOut(Schema):
    at: dt.datetime
    kind: str
    state: str
    severity: str
    status: str
    text: str
    actor: str = Field(alias="actor_label")


class ProblemDetailOut(ProblemOut):
    details: dict[str, Any]
    timeline: list[EventOut]


class AcknowledgeIn(InputSchema):
    comment: str = Field("", max_length=COMMENT)
    expires_at: Instant | None = Field(None, description="Fire again then, unless resolved.")


class CommentIn(InputSchema):
    comment: str = Field(min_length=1, max_length=COMMENT)


class ResolveIn(InputSchema):
    comment: str = Field("", max_length=COMMENT)


# --- Maintenance windows -------------------------------------------------------------------------


class WindowIn(InputSchema):
    client_id: int = Field(ge=1, le=MAX_ID)
    name: str = Field(min_length=1, max_length=200)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    cron: str = Field("", max_length=100, description="Recurring: a cron expression, e.g. `0 2 * * 0`.")  # fmt: skip
    duration_minutes: int | None = Field(None, ge=1, le=7 * 24 * 60)
    time_zone: str = Field("Asia/Seoul", max_length=64)
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    asset_id: int | None = Field(None, ge=1, le=MAX_ID)
    tag: str = Field("", max_length=100, description="An asset tag, or `key=value` of a label.")
    fingerprint_prefix: str = Field("", max_length=600)
    counts_against_availability: bool = False
    comment: str = Field("", max_length=COMMENT)


class WindowPatch(InputSchema):
    name: str = omittable(min_length=1, max_length=200)
    starts_at: Instant | None = omittable()
    ends_at: Instant | None = omittable()
    cron: str = omittable(max_length=100)
    duration_minutes: int | None = Field(None, ge=1, le=7 * 24 * 60)
    time_zone: str = omittable(max_length=64)
    site_id: int | None = Field(None, ge=1, le=MAX_ID)
    asset_id: int | None = Field(None, ge=1, le=MAX_ID)
    tag: str = omittable(max_length=100)
    fingerprint_prefix: str = omittable(max_length=600)
    counts_against_availability: bool = omittable()
    comment: str = omittable(max_length=COMMENT)


class WindowOut(Schema):
    id: int
    client_id: int
    name: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    cron: str
    duration_minutes: int | None
    time_zone: str
    site_id: int | None
    asset_id: int | None
    tag: str
    fingerprint_prefix: str
    counts_against_availability: bool
    comment: str


class WindowQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)


class WindowPage(Page[WindowOut]):
    pass


# --- Dependencies ---------------------------------------------------------------------------------


class DependencyIn(InputSchema):
    child_id: int = Field(ge=1, le=MAX_ID, description="The asset that depends.")
    parent_id: int = Field(ge=1, le=MAX_ID, description="The asset it depends on.")


class DependencyOut(Schema):
    id: int
    client_id: int
    child_id: int
    parent_id: int


class DependencyQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)


class DependencyPage(Page[DependencyOut]):
    pass


# --- Availability ---------------------------------------------------------------------------------


class AvailabilityQuery(Schema):
    start: Instant
    end: Instant
    fingerprint: str | None = Field(None, max_length=600)
    asset_id: int | None = Field(None, ge=1, le=MAX_ID)


class AvailabilityOut(Schema):
    start: dt.datetime
    end: dt.datetime
    period_seconds: float
    counted_seconds: float = Field(description="The period minus maintenance that does not count.")
    down_seconds: float
    degraded_seconds: float
    availability: float = Field(description="Percent of the counted time not down.")


# --- Alertmanager ---------------------------------------------------------------------------------


class AlertmanagerTokenIn(InputSchema):
    client_id: int = Field(ge=1, le=MAX_ID)
    name: str = Field(min_length=1, max_length=200)


class AlertmanagerTokenOut(Schema):
    id: int
    client_id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class AlertmanagerTokenCreatedOut(AlertmanagerTokenOut):
    token: str = Field(description="Shown once: put it in the webhook's `authorization`.")


class AlertmanagerTokenQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)


class AlertmanagerTokenPage(Page[AlertmanagerTokenOut]):
    pass


class AmAlert(Schema):
    model_config = ConfigDict(extra="ignore")
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: dt.datetime
    endsAt: dt.datetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field("", max_length=100)


class AmWebhookIn(Schema):
    """Alertmanager's webhook payload, version 4 (unknown fields are ignored, as it may add some)."""

    model_config = ConfigDict(extra="ignore")
    version: Literal["4"]
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupKey: str = ""
    alerts: list[AmAlert] = Field(max_length=5000)


class AmWebhookOut(Schema):
    accepted: int
