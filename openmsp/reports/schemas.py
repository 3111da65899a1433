"""API shapes of reports (validation only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from openmsp.core.apiutils import MAX_ID, InputSchema, ListQuery, Page, omittable


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


# --- Quarterly business review -----------------------------------------------------------------


class QbrIn(InputSchema):
    client_id: int = Field(ge=1, le=MAX_ID)
    quarter: str = Field(max_length=20, description="The quarter, YYYY-Qn (this one or earlier).")


class QbrPatch(InputSchema):
    agenda: str = Field(max_length=10_000, description="The agenda, one item per line.")


class RootCauseIn(InputSchema):
    fingerprint: str = Field(min_length=1, max_length=600)
    root_cause: str = Field(min_length=1, max_length=5000)


class ActionItemIn(InputSchema):
    title: str = Field(min_length=1, max_length=500)
    owner: str = Field(min_length=1, max_length=200)
    due_on: dt.date | None = None


class ActionItemPatch(InputSchema):
    title: str = omittable(min_length=1, max_length=500)
    owner: str = omittable(min_length=1, max_length=200)
    due_on: dt.date | None = None
    done: bool = omittable()


class ActionItemOut(Schema):
    id: int
    meeting_id: int
    title: str
    owner: str
    due_on: dt.date | None
    done: bool
    done_at: dt.datetime | None


class MeetingIn(InputSchema):
    held_on: dt.date
    attendees: list[Annotated[str, Field(max_length=200)]] = Field(min_length=1, max_length=100)
    decisions: str = Field("", max_length=10_000)
    notes: str = Field("", max_length=10_000)
    action_items: list[ActionItemIn] = Field(default_factory=list, max_length=100)


class MeetingOut(Schema):
    id: int
    qbr_id: int
    held_on: dt.date
    attendees: list[str]
    decisions: str
    notes: str
    action_items: list[ActionItemOut]

    @staticmethod
    def resolve_attendees(obj: Any) -> list[str]:
        return list(obj.attendee_list)

    @staticmethod
    def resolve_action_items(obj: Any) -> list[Any]:
        return list(obj.action_items.all())


class QbrOut(Schema):
    id: int
    client_id: int
    quarter: str
    quarter_start: dt.date
    quarter_end: dt.date
    language: str
    agenda: list[str] = Field(description="The agenda items, in order.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_agenda(obj: Any) -> list[str]:
        return list(obj.agenda_items)


class QbrDetailOut(QbrOut):
    figures: dict[str, Any]
    root_causes: dict[str, str] = Field(description="Root cause per recurring fingerprint.")

    @staticmethod
    def resolve_root_causes(obj: Any) -> dict[str, str]:
        from openmsp.reports.actions import root_causes

        return root_causes(obj)


class QbrQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    ordering: Literal["quarter_start", "-quarter_start"] = "-quarter_start"


class QbrPage(Page[QbrOut]):
    pass


class QbrRunOut(Schema):
    """One scheduled review of a client and quarter, and what became of it."""

    id: int
    client_id: int
    quarter: str = Field(description="YYYY-Qn.")
    quarter_start: dt.date
    state: Literal["queued", "running", "generated", "mailed", "failed"]
    attempts: int
    error: str = Field(description="Why the last attempt failed (empty otherwise).")
    qbr_id: int | None = Field(description="The review it generated.")
    emailed_at: dt.datetime | None
    emailed_to: list[str]
    finished_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_quarter(obj: Any) -> str:
        return str(obj.label)

    @staticmethod
    def resolve_quarter_start(obj: Any) -> dt.date:
        return obj.quarter  # type: ignore[no-any-return]


class QbrRunQuery(ListQuery):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    state: Literal["queued", "running", "generated", "mailed", "failed"] | None = None
    ordering: Literal["quarter", "-quarter"] = "-quarter"


class QbrRunPage(Page[QbrRunOut]):
    pass
