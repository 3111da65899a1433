"""API shapes of on-call schedules, layers, overrides and computed shifts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from openmsp.core.apiutils import (
    MAX_ID,
    InputSchema,
    Instant,
    ListQuery,
    Page,
    QuerySchema,
    omittable,
)
from openmsp.oncall.models import Layer

MemberId = Annotated[int, Field(ge=1, le=MAX_ID)]


class WindowIn(InputSchema):
    weekdays: list[int] = Field(min_length=1, max_length=7, description="0 = Monday … 6 = Sunday.")
    start: str = Field(pattern=r"^\d{2}:\d{2}$", description="Local HH:MM.")
    end: str = Field(
        pattern=r"^\d{2}:\d{2}$", description="Local HH:MM; before start = crosses midnight."
    )


class LayerIn(InputSchema):
    name: str = Field("", max_length=100)
    kind: Layer.Kind = Field(Layer.Kind.WEEKLY, description="daily, weekly or custom.")
    hours: int = Field(0, ge=0, le=24 * 365, description="Rotation length for custom.")
    start: Instant = Field(description="The first hand-off; its local time is the hand-off time.")
    member_ids: list[MemberId] = Field(
        min_length=1, max_length=50, description="Staff, in rotation order."
    )
    restrictions: list[WindowIn] = Field(default_factory=list, max_length=20)


class ScheduleIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=10_000)
    time_zone: str = Field("Asia/Seoul", max_length=64)
    client_id: int | None = Field(None, ge=1, le=MAX_ID, description="Limit to one client.")
    layers: list[LayerIn] = Field(default_factory=list, max_length=10)


class SchedulePatch(InputSchema):
    name: str = omittable(min_length=1, max_length=100)
    description: str = omittable(max_length=10_000)
    time_zone: str = omittable(max_length=64)
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    layers: list[LayerIn] = omittable(max_length=10, description="Replaces every layer.")


class WindowOut(Schema):
    weekdays: list[int]
    start: str
    end: str


class LayerOut(Schema):
    position: int
    name: str
    kind: str
    hours: int
    start: dt.datetime
    member_ids: list[int]
    restrictions: list[WindowOut]

    @staticmethod
    def resolve_member_ids(obj: Layer) -> list[int]:
        return [m.user_id for m in obj.members.all()]


class ScheduleOut(Schema):
    id: int
    name: str
    description: str
    time_zone: str
    client_id: int | None
    layers: list[LayerOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_layers(obj: Any) -> list[Any]:
        return list(obj.layers.all())


SchedulePage = Page[ScheduleOut]


class ScheduleQuery(ListQuery):
    q: str | None = Field(None, max_length=200, description="Name contains.")


class PersonOut(Schema):
    id: int
    email: str
    full_name: str


class NowOut(Schema):
    schedule_id: int
    schedule_name: str
    user: PersonOut | None = Field(description="Nobody (null) is a gap in the schedule.")
    source: str = Field(description="override, layer:<index>, or empty when nobody.")
    until: dt.datetime | None = Field(description="When this answer next changes (within 31 days).")


class ShiftOut(Schema):
    user: PersonOut | None
    start: dt.datetime
    end: dt.datetime
    source: str


class ShiftsQuery(QuerySchema):
    start: Instant | None = Field(None, description="Default: now.")
    end: Instant | None = Field(
        None, description="Default: start + 14 days; at most 92 days later."
    )


class ShiftsOut(Schema):
    schedule_id: int
    start: dt.datetime
    end: dt.datetime
    shifts: list[ShiftOut]


class OverrideIn(InputSchema):
    user_id: int = Field(ge=1, le=MAX_ID)
    start: Instant
    end: Instant
    reason: str = Field("", max_length=200)


class OverrideOut(Schema):
    id: int
    schedule_id: int
    user_id: int
    start: dt.datetime
    end: dt.datetime
    reason: str
    created_at: dt.datetime
