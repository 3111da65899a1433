"""API shapes of tickets, their conversation and history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from openmsp.core.apiutils import MAX_ID, InputSchema, ListQuery, Page, omittable
from openmsp.servicedesk.models import Ticket, TicketLink, TicketStatus
from openmsp.servicedesk.queries import ORDERINGS

Id = int
# Ids inside lists: bounded like path ids, so `pk__in` never meets an integer SQL cannot hold.
ListId = Annotated[int, Field(ge=1, le=MAX_ID)]
Level = Literal[1, 2, 3]
Ordering = Literal[ORDERINGS]  # type: ignore[valid-type]


class StatusOut(Schema):
    id: int
    client_id: int | None
    code: str
    name: str
    category: str
    pauses: list[str]


class TicketIn(InputSchema):
    client_id: Id = Field(ge=1, le=MAX_ID)
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field("", max_length=100_000, description="The first message.")
    type: Ticket.Type = Ticket.Type.INCIDENT
    impact: Level = Field(3, description="1 high, 2 medium, 3 low.")
    urgency: Level = Field(3, description="1 high, 2 medium, 3 low.")
    requester_contact_id: Id | None = Field(None, ge=1, le=MAX_ID)
    assignee_id: Id | None = Field(None, ge=1, le=MAX_ID)
    team_id: Id | None = Field(None, ge=1, le=MAX_ID)
    category_id: Id | None = Field(None, ge=1, le=MAX_ID)
    tags: list[str] = Field(default_factory=list, max_length=20)


class TicketPatch(InputSchema):
    subject: str = omittable(min_length=1, max_length=300)
    type: Ticket.Type = omittable()
    category_id: Id | None = Field(None, ge=1, le=MAX_ID)
    requester_contact_id: Id | None = Field(None, ge=1, le=MAX_ID)
    tags: list[str] = omittable(max_length=20)
    watcher_ids: list[ListId] = omittable(max_length=50)
    asset_ids: list[ListId] = omittable(max_length=50)


class TicketOut(Schema):
    id: int
    number: str
    client_id: int
    subject: str
    type: str
    impact: int
    urgency: int
    priority: str
    status: str = Field(description="The status code.")
    status_category: str
    assignee_id: int | None
    team_id: int | None
    category_id: int | None
    requester_user_id: int | None
    requester_contact_id: int | None
    tags: list[str]
    source: str
    source_ref: str
    first_response_due: dt.datetime | None
    next_response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    sla: dict[str, Any] = Field(
        description="Each SLA clock (first_response, next_response, resolution): state, due, "
        "working seconds used and left, breach instant; and `policy`: which contract target applied."
    )
    resolved_at: dt.datetime | None
    merged_into_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status(obj: Ticket) -> str:
        return obj.status.code

    @staticmethod
    def resolve_sla(obj: Ticket) -> dict[str, Any]:
        return dict(obj.sla_state or {})

    @staticmethod
    def resolve_status_category(obj: Ticket) -> str:
        return obj.status.category


class TicketPage(Page[TicketOut]):
    pass


class TicketQuery(ListQuery):
    status: str | None = Field(None, max_length=50, description="A status code.")
    status_category: TicketStatus.Category | None = None
    open: bool | None = Field(None, description="Only tickets not resolved or closed.")
    priority: Ticket.Priority | None = None
    assignee_id: Id | None = Field(None, ge=1, le=MAX_ID)
    unassigned: bool | None = None
    team_id: Id | None = Field(None, ge=1, le=MAX_ID)
    client_id: Id | None = Field(None, ge=1, le=MAX_ID)
    q: str | None = Field(None, max_length=200, description="Subject, number or message text.")
    ordering: Ordering = "-created_at"


class EntryIn(InputSchema):
    kind: Literal["reply", "note"] = "reply"
    body: str = Field(min_length=1, max_length=100_000)


class EntryOut(Schema):
    id: int
    kind: str
    author_id: int | None
    author_contact_id: int | None
    body: str
    from_customer: bool
    created_at: dt.datetime


class EntryPage(Page[EntryOut]):
    pass


class EventOut(Schema):
    id: int
    kind: str
    at: dt.datetime
    actor_label: str
    data: dict[str, object]


class StatusIn(InputSchema):
    status: str = Field(min_length=1, max_length=50, description="A status code.")


class PriorityIn(InputSchema):
    impact: Level | None = None
    urgency: Level | None = None
    priority: Ticket.Priority | None = Field(None, description="Overrides the matrix.")


class AssignIn(InputSchema):
    assignee_id: Id | None = Field(None, ge=1, le=MAX_ID)
    team_id: Id | None = Field(None, ge=1, le=MAX_ID)


class MergeIn(InputSchema):
    target_id: Id = Field(ge=1, le=MAX_ID, description="The ticket that keeps the conversation.")


class LinkIn(InputSchema):
    target_id: Id = Field(ge=1, le=MAX_ID)
    kind: TicketLink.Kind = TicketLink.Kind.RELATED


class LinkOut(Schema):
    id: int
    source_id: int
    target_id: int
    kind: str


class SplitIn(InputSchema):
    entry_ids: list[ListId] = Field(min_length=1, max_length=100)
    subject: str = Field(min_length=1, max_length=300)


class BulkIn(InputSchema):
    ticket_ids: list[ListId] = Field(min_length=1, max_length=200)
    status: str | None = Field(None, min_length=1, max_length=50)
    priority: Ticket.Priority | None = None
    assignee_id: Id | None = Field(None, ge=0, le=MAX_ID, description="0 unassigns.")


class BulkOut(Schema):
    updated: int


# --- time entries (openmsp.servicedesk.timekeeping) ---------------------------------------------
class TimeEntryIn(InputSchema):
    minutes: int = Field(ge=1, le=24 * 60)
    date: dt.date
    work_type: str = Field(min_length=1, max_length=50, description="One of OPENMSP_WORK_TYPES.")
    billable: bool = True
    note: str = Field("", max_length=1000)


class TimerStopIn(InputSchema):
    work_type: str = Field(min_length=1, max_length=50, description="One of OPENMSP_WORK_TYPES.")
    billable: bool = True
    note: str = Field("", max_length=1000)


class TimeEntryOut(Schema):
    id: int
    ticket_id: int
    client_id: int
    technician_id: int
    date: dt.date
    minutes: int
    work_type: str
    billable: bool
    note: str
    started_at: dt.datetime | None
    created_at: dt.datetime


class TimerOut(Schema):
    ticket_id: int
    technician_id: int
    started_at: dt.datetime


class TotalOut(Schema):
    client_id: int
    client_name: str
    minutes: int
    billable_minutes: int
    contract_id: int | None = None
    contract_name: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


class TotalsOut(Schema):
    work_types: list[str]
    per_client: list[TotalOut]
    per_contract: list[TotalOut]


class TotalsQuery(Schema):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    start: dt.date | None = Field(None, description="Per-client totals from this date.")
    end: dt.date | None = Field(None, description="Per-client totals up to this date.")


# --- CSAT (openmsp.servicedesk.csat) ------------------------------------------------------------
class CsatSettingIn(InputSchema):
    enabled: bool
    sample_percent: int = Field(100, ge=0, le=100)
    delay_minutes: int = Field(60, ge=0, le=43200)


class CsatSettingOut(Schema):
    client_id: int
    enabled: bool
    sample_percent: int
    delay_minutes: int


class SurveyOut(Schema):
    id: int
    ticket_id: int
    technician_id: int | None
    status: str
    send_after: dt.datetime
    sent_at: dt.datetime | None
    rating: str
    comment: str
    answered_at: dt.datetime | None


class ScoreOut(Schema):
    id: int | None
    name: str
    good: int
    bad: int
    score: float | None = Field(description="Good answers in %, null without answers.")


class WeekOut(Schema):
    week: str
    good: int
    bad: int
    score: float | None


class CsatResultsOut(Schema):
    by_technician: list[ScoreOut]
    by_client: list[ScoreOut]
    weeks: list[WeekOut]


class CsatQuery(Schema):
    client_id: int | None = Field(None, ge=1, le=MAX_ID)
    since: dt.date | None = None
