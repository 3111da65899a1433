"""Time entries on tickets: manual entries, a start/stop timer per technician and ticket, and
totals per client and per contract period. Staff-only through and through: every function
refuses a client user with NotFound, so nothing about time is visible outside the MSP.

Writes are atomic and audited; reads are scoped by the ticket's (and client's) visibility.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import require
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, NotFound, ValidationFailed
from openmsp.servicedesk.models import Ticket, TimeEntry, TimerRun
from openmsp.tenants.queries import contracts_visible_to, scope

MAX_MINUTES = 24 * 60


def _staff_only(actor: Actor) -> None:
    if actor.user is not None and not actor.user.is_msp_staff:
        raise NotFound("No such ticket.")


def _writer(actor: Actor) -> Any:
    _staff_only(actor)
    require(actor, Perm.WORK)
    if actor.user is None:
        raise ValidationFailed("Time is logged by a technician.", field="technician")
    return actor.user


def clean_entry(*, minutes: Any, date: Any, work_type: str, note: str = "") -> None:
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_MINUTES:
        raise ValidationFailed(f"Minutes must be a whole number from 1 to {MAX_MINUTES}.", field="minutes")  # fmt: skip
    if not isinstance(date, dt.date):
        raise ValidationFailed("Give the date the work was done.", field="date")
    if date > timezone.localdate() + dt.timedelta(days=1):
        raise ValidationFailed("Time cannot be logged for a future date.", field="date")
    if work_type not in settings.SD_WORK_TYPES:
        raise ValidationFailed(
            f"'{work_type}' is not a work type; use one of: {', '.join(settings.SD_WORK_TYPES)}.",
            field="work_type",
        )
    if len(note or "") > 1000:
        raise ValidationFailed("A note is at most 1000 characters.", field="note")


@transaction.atomic
def log_time(
    *,
    actor: Actor,
    ticket: Ticket,
    minutes: int,
    date: dt.date | None,
    work_type: str,
    billable: bool = True,
    note: str = "",
    started_at: dt.datetime | None = None,
) -> TimeEntry:
    user = _writer(actor)
    clean_entry(minutes=minutes, date=date, work_type=work_type, note=note)
    assert date is not None  # clean_entry refused it otherwise
    entry = TimeEntry.objects.create(
        client_id=ticket.client_id, ticket=ticket, technician=user, date=date, minutes=minutes,
        work_type=work_type, billable=billable, note=(note or "").strip(), started_at=started_at,
    )  # fmt: skip
    audit.record(actor=actor, action="ticket.time_logged", obj=entry, after=audit.snapshot(entry))
    return entry


@transaction.atomic
def start_timer(*, actor: Actor, ticket: Ticket) -> TimerRun:
    user = _writer(actor)
    try:
        with transaction.atomic():
            run = TimerRun.objects.create(
                client_id=ticket.client_id, ticket=ticket, technician=user,
                started_at=timezone.now(),
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("Your timer on this ticket is already running.", field="timer") from None
    audit.record(actor=actor, action="ticket.timer_started", obj=ticket)
    return run


@transaction.atomic
def stop_timer(
    *, actor: Actor, ticket: Ticket, work_type: str, billable: bool = True, note: str = ""
) -> TimeEntry:
    """The elapsed time, rounded up to whole minutes, becomes a time entry of today."""
    user = _writer(actor)
    run = TimerRun.objects.select_for_update().filter(ticket=ticket, technician=user).first()
    if run is None:
        raise Conflict("Your timer on this ticket is not running.", field="timer")
    elapsed = (timezone.now() - run.started_at).total_seconds()
    minutes = max(1, min(MAX_MINUTES, math.ceil(elapsed / 60)))
    run.delete()
    return log_time(
        actor=actor, ticket=ticket, minutes=minutes, date=timezone.localdate(),
        work_type=work_type, billable=billable, note=note, started_at=run.started_at,
    )  # fmt: skip


@transaction.atomic
def delete_entry(*, actor: Actor, entry: TimeEntry) -> None:
    _writer(actor)
    before = audit.snapshot(entry)
    entry.delete()
    audit.record(
        actor=actor, action="ticket.time_deleted", client_id=before["client_id"],
        object_type="servicedesk.timeentry", object_id=before["id"], before=before,
    )  # fmt: skip


# --- reads ----------------------------------------------------------------------------------
def entries_of(actor: Actor, ticket: Ticket) -> QuerySet[TimeEntry]:
    _staff_only(actor)
    return TimeEntry.objects.filter(ticket=ticket).select_related("technician")


def get_entry(actor: Actor, entry_id: int | str) -> TimeEntry:
    _staff_only(actor)
    try:
        e: TimeEntry = scope(actor, TimeEntry.objects.select_related("ticket")).get(pk=entry_id)
    except (TimeEntry.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such time entry.") from None
    return e


def running_timer(actor: Actor, ticket: Ticket) -> TimerRun | None:
    if actor.user is None or not actor.user.is_msp_staff:
        return None
    return TimerRun.objects.filter(ticket=ticket, technician=actor.user).first()


@dataclass(frozen=True)
class Total:
    client_id: int
    client_name: str
    minutes: int
    billable_minutes: int
    contract_id: int | None = None
    contract_name: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


def _sums(qs: QuerySet[TimeEntry]) -> dict[str, int]:
    row = qs.aggregate(total=Sum("minutes"), billable=Sum("minutes", filter=Q(billable=True)))
    return {"minutes": row["total"] or 0, "billable_minutes": row["billable"] or 0}


def totals_per_client(
    actor: Actor, *, start: dt.date | None = None, end: dt.date | None = None
) -> list[Total]:
    _staff_only(actor)
    qs = scope(actor, TimeEntry.objects.all())
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    rows = (
        qs.values("client_id", "client__name")
        .annotate(total=Sum("minutes"), billable=Sum("minutes", filter=Q(billable=True)))
        .order_by("client__name")
    )
    return [
        Total(r["client_id"], r["client__name"], r["total"] or 0, r["billable"] or 0) for r in rows
    ]


def totals_per_contract(actor: Actor, *, client_id: int | None = None) -> list[Total]:
    """Each contract's period: its start date to its end date (or today, while it runs)."""
    _staff_only(actor)
    contracts = contracts_visible_to(actor).select_related("client").order_by("client__name", "-start_date")  # fmt: skip
    if client_id is not None:
        contracts = contracts.filter(client_id=client_id)
    today = timezone.localdate()
    out = []
    for c in contracts[:500]:
        end = c.end_date or today
        sums = _sums(TimeEntry.objects.filter(client_id=c.client_id, date__range=(c.start_date, end)))  # fmt: skip
        out.append(Total(c.client_id, c.client.name, sums["minutes"], sums["billable_minutes"], c.pk, c.name, c.start_date, end))  # fmt: skip
    return out


# Sentences above that the UI shows translated.
UI_MESSAGES = (
    gettext_noop("Your timer on this ticket is already running."),
    gettext_noop("Your timer on this ticket is not running."),
    gettext_noop("Give the date the work was done."),
    gettext_noop("Time cannot be logged for a future date."),
)
