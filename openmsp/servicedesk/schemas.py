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
    next_due: dt.datetime | None = Field(description="The earliest due time of a running clock.")
    sla_policy_id: int | None = Field(
        description="The SLA policy that applied (null: the contract's targets)."
    )
    sla_policy_reason: dict[str, Any] = Field(
        description="Why: `reason` (sla_policy, contract_target, no_target, no_contract), the "
        "policy's name and the `matched` conditions with the ticket's values."
    )
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
    def resolve_sla_policy_reason(obj: Ticket) -> dict[str, Any]:
        return dict((obj.sla_state or {}).get("policy") or {})

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


# --- SLA policies -------------------------------------------------------------------------------
Clock = Literal["first_response", "next_response", "resolution"]


class SlaStepIO(InputSchema):
    offset_minutes: int = Field(
        ge=-525_600, le=525_600, description="Working minutes from the due time; negative: before."
    )
    action: Literal["notify", "reassign", "raise_priority", "page_oncall"]
    user_id: Id | None = Field(None, ge=1, le=MAX_ID, description="notify: whom; reassign: to.")
    team_id: Id | None = Field(None, ge=1, le=MAX_ID, description="reassign: to this team.")


class SlaClockIO(InputSchema):
    target_minutes: int = Field(ge=1, le=525_600, description="Working minutes.")
    calendar: Literal["contract", "calendar", "24x7"] = "contract"
    calendar_id: Id | None = Field(None, ge=1, le=MAX_ID, description="With calendar=calendar.")
    warn_percent: int = Field(75, ge=0, le=100, description="0: no warning.")
    steps: list[SlaStepIO] = Field(default_factory=list, max_length=10)


class SlaPolicyIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    client_id: Id | None = Field(None, ge=1, le=MAX_ID)
    contract_id: Id | None = Field(None, ge=1, le=MAX_ID)
    category_id: Id | None = Field(None, ge=1, le=MAX_ID)
    priorities: list[Ticket.Priority] = Field(default_factory=list, max_length=4)
    ticket_types: list[Ticket.Type] = Field(default_factory=list, max_length=4)
    asset_criticalities: list[Literal["low", "medium", "high", "critical"]] = Field(
        default_factory=list, max_length=4
    )
    clocks: dict[Clock, SlaClockIO] = Field(description="Per clock its target, calendar, ladder.")


class SlaPolicyOut(Schema):
    id: int
    name: str
    position: int
    client_id: int | None
    contract_id: int | None
    category_id: int | None
    priorities: list[str]
    ticket_types: list[str]
    asset_criticalities: list[str]
    clocks: dict[str, Any]

    @staticmethod
    def resolve_clocks(obj: Any) -> dict[str, Any]:
        steps: dict[str, list[dict[str, Any]]] = {}
        for s in obj.steps.all():
            steps.setdefault(s.clock, []).append(
                {
                    "offset_minutes": s.offset_minutes,
                    "action": s.action,
                    "user_id": s.user_id,
                    "team_id": s.team_id,
                }
            )
        return {
            c.clock: {
                "target_minutes": c.target_minutes,
                "calendar": c.calendar_mode,
                "calendar_id": c.calendar_id,
                "warn_percent": c.warn_percent,
                "steps": steps.get(c.clock, []),
            }
            for c in obj.clocks.all()
        }


class MoveIn(InputSchema):
    direction: Literal["up", "down"]


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


# --- Mailboxes and mail templates ---------------------------------------------------------------
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s,;<>]+@[^@\s,;<>]+$")]
DomainRoutes = dict[
    Annotated[str, Field(min_length=3, max_length=253)], Annotated[int, Field(ge=1, le=MAX_ID)]
]


class MailboxIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    address: Email = Field(description="The desk's From/Reply-To; for a listener, what it takes.")
    client_id: Id | None = Field(None, ge=1, le=MAX_ID, description="Empty: the shared mailbox.")
    intake: Literal["imap", "listener"] = "imap"
    enabled: bool = True
    host: str = Field("", max_length=200, description="IMAP server (intake imap).")
    port: int = Field(993, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = Field("", max_length=200)
    password: str = Field("", max_length=500, description="Write-only; encrypted at rest.")
    folder: str = Field("INBOX", min_length=1, max_length=200)
    unknown_sender: Literal["contact", "reject"] = "contact"
    domain_routes: DomainRoutes = Field(
        default_factory=dict, max_length=500, description="Shared mailbox: {domain: client_id}."
    )


class MailboxPatch(InputSchema):
    name: str = omittable(min_length=1, max_length=100)
    address: Email = omittable()
    intake: Literal["imap", "listener"] = omittable()
    enabled: bool = omittable()
    host: str = omittable(max_length=200)
    port: int = omittable(ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = omittable()
    username: str = omittable(max_length=200)
    password: str = omittable(max_length=500, description="Empty or left out: keep the stored one.")
    folder: str = omittable(min_length=1, max_length=200)
    unknown_sender: Literal["contact", "reject"] = omittable()
    domain_routes: DomainRoutes = omittable(max_length=500)


class MailboxOut(Schema):
    id: int
    client_id: int | None
    name: str
    address: str
    intake: str
    enabled: bool
    host: str
    port: int
    security: str
    username: str
    folder: str
    unknown_sender: str
    domain_routes: dict[str, int]
    password_set: bool = Field(description="Whether a password is stored (it is never returned).")
    last_polled_at: dt.datetime | None
    last_error: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_password_set(obj: Any) -> bool:
        return bool(obj.password_encrypted)


class MailTemplateIn(InputSchema):
    kind: Literal["ack", "reply", "update", "watch"]
    language: Literal["ko", "en"]
    subject: str = Field(min_length=1, max_length=300, description="Django template syntax.")
    body: str = Field(min_length=1, max_length=20_000, description="Django template syntax.")


class MailTemplateOut(Schema):
    kind: str
    language: str
    subject: str
    body: str
    updated_at: dt.datetime
