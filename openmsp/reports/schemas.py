"""API shapes of reports (validation only)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from openmsp.core.apiutils import MAX_ID, InputSchema, ListQuery, Page


class ReportIn(InputSchema):
    client_id: int = Field(ge=1, le=MAX_ID)
    month: str = Field(max_length=20, description="The month, YYYY-MM (this month or earlier).")


class ReportOut(Schema):
    id: int
    client_id: int
    kind: str
    month: str
    period_start: dt.date
    period_end: dt.date
    language: str
    summary: list[str]
    emailed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ReportDetailOut(ReportOut):
    figures: dict[str, Any]


class ReportQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    ordering: Literal["period_start", "-period_start"] = "-period_start"


class ReportPage(Page[ReportOut]):
    pass
