"""The SLA clocks of stored tickets: the pure engine (sla.py) fed from a ticket's event history.

Which targets apply: the client's active contract (newest start first) and its SLA target for the
ticket's priority; the clocks run on the contract's business calendar, or around the clock when
the target says so ("P1 24x7") or the contract's support hours are 24x7. A priority change is a
policy change at its instant, so time already used keeps the calendar it was measured on.

What is stored: per clock its state, due time, working time used and left, in `sla_state`, and
the due time of each *running* clock in its indexed column (`first_response_due` …), so the
deadline job finds the tickets whose clock is about to run out without scanning the rest.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from openmsp.servicedesk import actions, sla
from openmsp.servicedesk.models import Ticket, TicketEvent
from openmsp.tenants import calendar as workcal
from openmsp.tenants.models import Contract, SlaTarget

AROUND_THE_CLOCK = workcal.CalendarSpec(always_open=True, holiday_country=None)
DUE_COLUMN = {
    sla.FIRST_RESPONSE: "first_response_due",
    sla.NEXT_RESPONSE: "next_response_due",
    sla.RESOLUTION: "resolution_due",
}
DEADLINE_BATCH = 10_000  # tickets per deadline-job run; the next run takes the rest
CHUNK = 500  # tickets read, recomputed and written together (one transaction each)


# --- one run's memory ---------------------------------------------------------------------------
# Recomputing one ticket reads its contract, the contract's targets, the client's statuses and
# the ticket's events: five queries and an UPDATE, ≈ 20 ms. The deadline job recomputes
# thousands at once, and they share clients and contracts, so within a run (`batch_run`) each of
# those is read once, events for a chunk of tickets in one query, and the writes go in one
# executemany. Outside a run every call reads fresh, as before.
class _EventRow(NamedTuple):
    """What the engine reads of a TicketEvent, without building model instances by thousands."""

    kind: str
    at: dt.datetime
    data: dict[str, Any]


@dataclass
class _Run:
    contracts: dict[int, list[Contract]] = field(default_factory=dict)
    targets: dict[int, dict[str, SlaTarget]] = field(default_factory=dict)
    pauses: dict[int, dict[str, frozenset[str]]] = field(default_factory=dict)
    events: dict[int, list[_EventRow]] = field(default_factory=dict)
    writes: list[tuple[Any, ...]] = field(default_factory=list)


_run: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("sla_run", default=None)


@contextlib.contextmanager
def batch_run() -> Iterator[_Run]:
    run = _Run()
    token = _run.set(run)
    try:
        yield run
        _flush(run)
    finally:
        _run.reset(token)


def _flush(run: _Run) -> None:
    if not run.writes:
        return
    table = connection.ops.quote_name(Ticket._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in DUE_COLUMN.values())
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET sla_state = %s, {columns} WHERE id = %s",  # noqa: S608 (names only)
            run.writes,
        )
    run.writes.clear()


def active_contract(client_id: int, on: dt.date) -> Contract | None:
    """The contract in force on that day: the newest started, not yet ended."""
    run = _run.get()
    if run is None:
        rows = Contract.objects.filter(client_id=client_id, start_date__lte=on).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on)
        )
        return rows.select_related("calendar").order_by("-start_date", "-pk").first()
    if client_id not in run.contracts:  # the same rule, in Python, over the client's few contracts
        rows = Contract.objects.filter(client_id=client_id).select_related("calendar")
        run.contracts[client_id] = list(rows.order_by("-start_date", "-pk"))
    return next(
        (
            c
            for c in run.contracts[client_id]
            if c.start_date <= on and (c.end_date is None or c.end_date >= on)
        ),
        None,
    )


def _target(contract: Contract, priority: str) -> SlaTarget | None:
    run = _run.get()
    if run is None:
        return SlaTarget.objects.filter(contract=contract, priority=priority).first()
    if contract.pk not in run.targets:
        run.targets[contract.pk] = {t.priority: t for t in contract.sla_targets.all()}
    return run.targets[contract.pk].get(priority)


def _pauses(client_id: int) -> dict[str, frozenset[str]]:
    # The client's own statuses over the MSP-wide ones, by the rule the actions use.
    run = _run.get()
    if run is not None and client_id in run.pauses:
        return run.pauses[client_id]
    pauses = {s.code: frozenset(s.pauses or []) for s in actions.statuses_for(client_id)}
    if run is not None:
        run.pauses[client_id] = pauses
    return pauses


def _events_of(ticket: Ticket) -> list[TicketEvent] | list[_EventRow]:
    run = _run.get()
    if run is not None and ticket.pk in run.events:
        return run.events.pop(ticket.pk)
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "pk"))


def policy_for(contract: Contract | None, priority: str) -> tuple[sla.Policy, dict[str, Any]]:
    """The clocks' targets for this priority under this contract, and why (shown on the ticket)."""
    if contract is None:
        return {}, {"reason": "no_contract"}
    target = _target(contract, priority)
    why: dict[str, Any] = {
        "contract_id": contract.pk,
        "contract": contract.name,
        "priority": priority,
    }
    if target is None:
        return {}, {**why, "reason": "no_target"}
    if target.always_open or contract.support_hours == Contract.SupportHours.ALWAYS:
        spec, why["calendar"] = AROUND_THE_CLOCK, "24x7"
    elif contract.calendar is not None:
        spec, why["calendar"] = contract.calendar.to_spec(), contract.calendar.name
    else:  # business hours without a calendar: nothing says when the desk is closed
        spec, why["calendar"] = AROUND_THE_CLOCK, "24x7"
    policy = {
        sla.FIRST_RESPONSE: sla.ClockPolicy(target.first_response_minutes * 60, spec),
        sla.RESOLUTION: sla.ClockPolicy(target.resolution_minutes * 60, spec),
    }
    if target.next_response_minutes:
        policy[sla.NEXT_RESPONSE] = sla.ClockPolicy(target.next_response_minutes * 60, spec)
    why["targets_minutes"] = {k: v.target_seconds // 60 for k, v in policy.items()}
    return policy, {**why, "reason": "contract_target"}


def engine_events(
    ticket: Ticket, contract: Contract | None
) -> tuple[list[sla.Event], sla.Policy, dict[str, Any]]:
    """The ticket's history as the engine's events, the starting policy, and why it applies."""
    rows = _events_of(ticket)
    first_priority = next(
        (r.data.get("from") for r in rows if r.kind == TicketEvent.Kind.PRIORITY_CHANGED),
        ticket.priority,
    )
    policy, why = policy_for(contract, str(first_priority))
    pauses = _pauses(ticket.client_id)
    events: list[sla.Event] = []
    K = TicketEvent.Kind
    for r in rows:
        if r.kind == K.CREATED:
            events.append(sla.Created(r.at))
        elif r.kind == K.STATUS_CHANGED:
            code = str(r.data.get("to", ""))
            events.append(sla.StatusChanged(r.at, pauses.get(code, frozenset())))
        elif r.kind == K.PUBLIC_REPLY_BY_STAFF:
            events.append(sla.StaffPublicReply(r.at))
        elif r.kind == K.CUSTOMER_MESSAGE:
            events.append(sla.CustomerMessage(r.at))
        elif r.kind == K.RESOLVED:
            events.append(sla.Resolved(r.at))
        elif r.kind == K.REOPENED:
            events.append(sla.Reopened(r.at))
        elif r.kind == K.PRIORITY_CHANGED:
            changed, why = policy_for(contract, str(r.data.get("to", ticket.priority)))
            events.append(sla.PolicyChanged(r.at, changed))
    if not any(isinstance(e, sla.Created) for e in events):
        events.insert(0, sla.Created(ticket.created_at))
    return events, policy, why


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def recompute(ticket: Ticket, now: dt.datetime | None = None) -> dict[str, Any]:
    """Derive the clocks from the history and store them; returns the stored `sla_state`."""
    now = now or timezone.now()
    contract = active_contract(ticket.client_id, timezone.localdate(ticket.created_at))
    events, policy, why = engine_events(ticket, contract)
    results = sla.compute(events, policy, now) if policy else {}
    state: dict[str, Any] = {"policy": why, "computed_at": now.isoformat()}
    columns: dict[str, dt.datetime | None] = dict.fromkeys(DUE_COLUMN.values())
    for name, result in results.items():
        state[name] = {
            "state": result.state,
            "due": _iso(result.due),
            "target_seconds": result.target_seconds,
            "elapsed_seconds": result.elapsed_seconds,
            "remaining_seconds": result.remaining_seconds,
            "breached_at": _iso(result.breached_at),
            "stopped_at": _iso(result.stopped_at),
            "met": result.met,
        }
        if result.state == "running" and result.due is not None:
            columns[DUE_COLUMN[name]] = result.due
    run = _run.get()
    if run is None:
        Ticket.objects.filter(pk=ticket.pk).update(sla_state=state, **columns)
    else:  # written with the rest of the run's chunk
        json = Ticket._meta.get_field("sla_state").get_db_prep_value(state, connection)
        run.writes.append((json, *columns.values(), ticket.pk))
    ticket.sla_state = state
    for column, value in columns.items():
        setattr(ticket, column, value)
    return state


def due_tickets(now: dt.datetime) -> list[int]:
    """Tickets with a running clock whose due time has come (the three partial indexes)."""
    ids: set[int] = set()
    for column in DUE_COLUMN.values():
        rows = Ticket.objects.filter(**{f"{column}__lte": now}).order_by(column)
        ids.update(rows.values_list("pk", flat=True)[:DEADLINE_BATCH])
    return sorted(ids)[:DEADLINE_BATCH]


def run_deadlines(now: dt.datetime | None = None) -> int:
    """Recompute every ticket whose clock ran out: it is marked breached (its due column
    cleared, the breach kept in `sla_state`), so it is not found again. Returns how many."""
    now = now or timezone.now()
    ids, done = due_tickets(now), 0
    with batch_run() as run:  # contracts, targets and statuses read once for the whole run
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            with transaction.atomic():
                rows_t = Ticket.objects.filter(pk__in=chunk).order_by("pk")
                tickets = list(rows_t.only("pk", "client_id", "created_at", "priority"))
                rows = TicketEvent.objects.filter(ticket_id__in=chunk).order_by("at", "pk")
                for ticket_id, *fields in rows.values_list("ticket_id", "kind", "at", "data"):
                    run.events.setdefault(ticket_id, []).append(_EventRow(*fields))
                for ticket in tickets:
                    run.events.setdefault(ticket.pk, [])
                    recompute(ticket, now)
                _flush(run)
            done += len(tickets)
    return done
