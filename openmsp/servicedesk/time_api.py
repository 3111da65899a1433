"""REST endpoints for time on tickets: entries, the per-technician timer, totals. Staff only:
a client user gets 404 for a ticket's time and 403 for the totals, never any figure."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.core.actor import Actor
from openmsp.core.apiutils import check_query_params, endpoint, path_object
from openmsp.core.errors import PermissionDenied
from openmsp.servicedesk import timekeeping
from openmsp.servicedesk.models import TimeEntry, TimerRun
from openmsp.servicedesk.queries import get_ticket
from openmsp.servicedesk.schemas import (
    TimeEntryIn,
    TimeEntryOut,
    TimerOut,
    TimerStopIn,
    TotalsOut,
    TotalsQuery,
)

router = Router()
TAG = "time"

path_object("time_entry_id", timekeeping.get_entry)


def _ticket(request: HttpRequest, ticket_id: int) -> Any:
    actor = actor_from(request)
    ticket = get_ticket(actor, ticket_id)
    timekeeping.entries_of(actor, ticket)  # a client user: 404, as if there were no ticket
    return actor, ticket


@endpoint(router, "GET", "/tickets/{ticket_id}/time-entries", "Time on a ticket", tag=TAG, ok={200: list[TimeEntryOut]}, errors=(404,))  # fmt: skip
def list_time(request: HttpRequest, ticket_id: int) -> list[TimeEntry]:
    actor, ticket = _ticket(request, ticket_id)
    return list(timekeeping.entries_of(actor, ticket)[:1000])


@endpoint(router, "POST", "/tickets/{ticket_id}/time-entries", "Log time", tag=TAG, ok={201: TimeEntryOut}, errors=(403, 404))  # fmt: skip
def log_time(request: HttpRequest, ticket_id: int, payload: TimeEntryIn) -> Status[TimeEntry]:
    """Minutes of work by you on this ticket; `work_type` from the configured list."""
    actor, ticket = _ticket(request, ticket_id)
    entry = timekeeping.log_time(actor=actor, ticket=ticket, **payload.model_dump())
    return Status(201, entry)


@endpoint(router, "DELETE", "/time-entries/{time_entry_id}", "Delete a time entry", tag=TAG, ok={204: None}, errors=(403, 404))  # fmt: skip
def delete_time(request: HttpRequest, time_entry_id: int) -> Status[None]:
    actor = actor_from(request)
    entry = timekeeping.get_entry(actor, time_entry_id)
    timekeeping.delete_entry(actor=actor, entry=entry)
    return Status(204, None)


@endpoint(router, "POST", "/tickets/{ticket_id}/timer/start", "Start your timer", tag=TAG, ok={201: TimerOut}, errors=(403, 404, 409))  # fmt: skip
def start_timer(request: HttpRequest, ticket_id: int) -> Status[TimerRun]:
    actor, ticket = _ticket(request, ticket_id)
    return Status(201, timekeeping.start_timer(actor=actor, ticket=ticket))


@endpoint(router, "POST", "/tickets/{ticket_id}/timer/stop", "Stop your timer", tag=TAG, ok={201: TimeEntryOut}, errors=(403, 404, 409))  # fmt: skip
def stop_timer(request: HttpRequest, ticket_id: int, payload: TimerStopIn) -> Status[TimeEntry]:
    """The elapsed time, rounded up to whole minutes, becomes a time entry of today."""
    actor, ticket = _ticket(request, ticket_id)
    entry = timekeeping.stop_timer(actor=actor, ticket=ticket, **payload.model_dump())
    return Status(201, entry)


def _require_staff_reader(actor: Actor) -> None:
    if actor.user is not None and not actor.user.is_msp_staff:
        raise PermissionDenied("Time totals are for the MSP's staff.")


@endpoint(router, "GET", "/time/totals", "Time totals", tag=TAG, ok={200: TotalsOut}, errors=(403,))  # fmt: skip
def totals(request: HttpRequest, query: Query[TotalsQuery]) -> dict[str, Any]:
    """Minutes (all and billable) per client, and per contract over the contract's period
    (start date to end date, or to today while it runs)."""
    check_query_params(request, TotalsQuery)
    actor = actor_from(request)
    _require_staff_reader(actor)
    per_client = timekeeping.totals_per_client(actor, start=query.start, end=query.end)
    if query.client_id is not None:
        per_client = [t for t in per_client if t.client_id == query.client_id]
    return {
        "work_types": list(settings.SD_WORK_TYPES),
        "per_client": per_client,
        "per_contract": timekeeping.totals_per_contract(actor, client_id=query.client_id),
    }
