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
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from openmsp.servicedesk import actions, sla, slapolicy
from openmsp.servicedesk.models import (
    SlaFiring,
    SlaPolicy,
    SlaPolicyClock,
    SlaStep,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from openmsp.tenants import calendar as workcal
from openmsp.tenants.models import BusinessCalendar, Contract, SlaTarget

AROUND_THE_CLOCK = workcal.CalendarSpec(always_open=True, holiday_country=None)
DUE_COLUMN = {
    sla.FIRST_RESPONSE: "first_response_due",
    sla.NEXT_RESPONSE: "next_response_due",
    sla.RESOLUTION: "resolution_due",
}
# What recompute writes besides sla_state, in the order of a batch run's executemany.
WRITTEN = (*DUE_COLUMN.values(), "next_due", "sla_action_due", "sla_policy_id")
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
    criticalities: dict[int, frozenset[str]] = field(default_factory=dict)
    fired: dict[int, set[tuple[str, int, str]]] = field(default_factory=dict)
    specs: dict[int, workcal.CalendarSpec] = field(default_factory=dict)
    policies: list[Any] | None = None
    writes: list[tuple[Any, ...]] = field(default_factory=list)
    # The current time zone, looked up once: what a ticket's creation day is read in.
    zone: Any = None


_run: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("sla_run", default=None)


@contextlib.contextmanager
def batch_run() -> Iterator[_Run]:
    run = _Run(zone=timezone.get_current_timezone())
    token = _run.set(run)
    try:
        yield run
        _flush(run)
    finally:
        _run.reset(token)


def _flush(run: _Run) -> None:
    if not run.writes:
        return
    quote = connection.ops.quote_name
    table = quote(Ticket._meta.db_table)
    if connection.vendor == "postgresql":  # one statement for the chunk, not one per ticket
        _flush_values(run, table)
        return
    columns = ", ".join(f"{quote(c)} = %s" for c in WRITTEN)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET sla_state = %s, {columns} WHERE id = %s",  # noqa: S608 (names only)
            run.writes,
        )
    run.writes.clear()


def _flush_values(run: _Run, table: str) -> None:
    """The chunk's writes as one `UPDATE … FROM ROWS FROM (unnest(array), …)`: one parameter per
    column (the states as one JSON array), so the statement's text is the same for every chunk,
    prepared once and bound on the server; nothing is spliced or escaped per value."""
    quote = connection.ops.quote_name
    names = ("sla_state", *WRITTEN, "id")
    types = ("timestamptz",) * (len(WRITTEN) - 1) + ("bigint", "bigint")
    sources = ", ".join(["jsonb_array_elements(%s::jsonb)", *(f"unnest(%s::{t}[])" for t in types)])
    sets = ", ".join(f"{quote(n)} = v.{quote(n)}" for n in names[:-1])
    sql = (
        f"UPDATE {table} AS t SET {sets} FROM ROWS FROM ({sources})"  # noqa: S608 (names only)
        f" AS v({', '.join(quote(n) for n in names)}) WHERE t.id = v.id"
    )
    import psycopg

    connection.ensure_connection()
    states, *columns = ([*column] for column in zip(*run.writes, strict=True))
    params = ["[" + ",".join(states) + "]", *columns]
    with connection.cursor() as wrapper, psycopg.Cursor(connection.connection) as cursor:
        # Logged like Django's own queries when they are (tests counting queries, DEBUG).
        logged = getattr(wrapper, "debug_sql", None)
        with logged(sql) if logged else contextlib.nullcontext():
            cursor.execute(sql, params, prepare=True, binary=True)
    run.writes.clear()


def _ids(ids: list[int]) -> Any:
    """A chunk's ids for an `__in` filter. On PostgreSQL one array parameter (`IN (SELECT
    unnest(…))`) instead of 500 placeholders Django would splice into the text client-side."""
    if connection.vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))


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


def _prefetch(run: _Run, ticket_ids: list[int], client_ids: set[int]) -> None:
    """What recomputing these tickets reads per ticket, in one query each for the chunk: events,
    linked assets' criticalities, the warnings and steps already fired, the clients' statuses."""
    rows = TicketEvent.objects.filter(ticket_id__in=_ids(ticket_ids)).order_by("at", "pk")
    for ticket_id, *fields in rows.values_list("ticket_id", "kind", "at", "data"):
        run.events.setdefault(ticket_id, []).append(_EventRow(*fields))
    links = Ticket.assets.through.objects.filter(ticket_id__in=_ids(ticket_ids))
    found: dict[int, set[str]] = {}
    for ticket_id, criticality in links.values_list("ticket_id", "asset__criticality"):
        found.setdefault(ticket_id, set()).add(criticality)
    fired = SlaFiring.objects.filter(ticket_id__in=_ids(ticket_ids))
    for ticket_id, *key in fired.values_list("ticket_id", "clock", "cycle", "key"):
        run.fired.setdefault(ticket_id, set()).add(tuple(key))
    for pk in ticket_ids:
        run.events.setdefault(pk, [])
        run.criticalities[pk] = frozenset(found.get(pk, ()))
        run.fired.setdefault(pk, set())
    _prefetch_pauses(run, client_ids - run.pauses.keys())
    _prefetch_contracts(run, client_ids - run.contracts.keys())


def _prefetch_contracts(run: _Run, client_ids: set[int]) -> None:
    """Every contract of these clients and their targets: what active_contract and _target
    would otherwise read client by client."""
    if not client_ids:
        return
    rows = Contract.objects.filter(client_id__in=client_ids).select_related("calendar")
    for client_id in client_ids:
        run.contracts[client_id] = []
    new: list[int] = []
    for contract in rows.order_by("-start_date", "-pk"):
        run.contracts[contract.client_id].append(contract)
        run.targets[contract.pk] = {}
        new.append(contract.pk)
    # The model's ordering; the last of a priority wins, as in _target.
    for target in SlaTarget.objects.filter(contract_id__in=new):
        run.targets[target.contract_id][target.priority] = target


def _spec(calendar: BusinessCalendar) -> workcal.CalendarSpec:
    """A calendar's spec, built once per run (it reads the intervals and special days)."""
    run = _run.get()
    if run is None:
        return calendar.to_spec()
    if calendar.pk not in run.specs:
        run.specs[calendar.pk] = calendar.to_spec()
    return run.specs[calendar.pk]


def _prefetch_pauses(run: _Run, client_ids: set[int]) -> None:
    # statuses_for's rule for many clients at once: a client's own status overrides the
    # MSP-wide one of the same code.
    if not client_ids:
        return
    actions.ensure_default_statuses()
    rows = TicketStatus.objects.filter(Q(client__isnull=True) | Q(client_id__in=client_ids))
    shared: dict[str, frozenset[str]] = {}
    own: dict[int, dict[str, frozenset[str]]] = {}
    for client_id, code, pauses in rows.values_list("client_id", "code", "pauses"):
        target = shared if client_id is None else own.setdefault(client_id, {})
        target[code] = frozenset(pauses or [])
    for client_id in client_ids:
        run.pauses[client_id] = {**shared, **own.get(client_id, {})}


def _criticalities(ticket: Ticket) -> frozenset[str]:
    run = _run.get()
    if run is not None and ticket.pk in run.criticalities:
        return run.criticalities[ticket.pk]
    return frozenset(ticket.assets.values_list("criticality", flat=True))


def _fired(ticket_id: int) -> set[tuple[str, int, str]]:
    run = _run.get()
    if run is not None and ticket_id in run.fired:
        return run.fired[ticket_id]
    rows = SlaFiring.objects.filter(ticket_id=ticket_id).values_list("clock", "cycle", "key")
    return set(rows)


def _events_of(ticket: Ticket) -> list[TicketEvent] | list[_EventRow]:
    run = _run.get()
    if run is not None and ticket.pk in run.events:
        return run.events.pop(ticket.pk)
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "pk"))


def _contract_calendar(
    contract: Contract, always_open: bool
) -> tuple[workcal.CalendarSpec, str, int | None]:
    """The spec, its label and the calendar's id (None: around the clock)."""
    if always_open or contract.support_hours == Contract.SupportHours.ALWAYS:
        return AROUND_THE_CLOCK, "24x7", None
    if contract.calendar is not None:
        return _spec(contract.calendar), contract.calendar.name, contract.calendar.pk
    # Business hours without a calendar: nothing says when the desk is closed.
    return AROUND_THE_CLOCK, "24x7", None


def policy_for(contract: Contract | None, priority: str) -> tuple[sla.Policy, dict[str, Any]]:
    """The contract's targets for this priority (the fallback when no SLA policy matches)."""
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
    spec, why["calendar"], calendar_id = _contract_calendar(contract, target.always_open)
    policy = {
        sla.FIRST_RESPONSE: sla.ClockPolicy(target.first_response_minutes * 60, spec),
        sla.RESOLUTION: sla.ClockPolicy(target.resolution_minutes * 60, spec),
    }
    if target.next_response_minutes:
        policy[sla.NEXT_RESPONSE] = sla.ClockPolicy(target.next_response_minutes * 60, spec)
    why["targets_minutes"] = {k: v.target_seconds // 60 for k, v in policy.items()}
    why["calendar_ids"] = dict.fromkeys(policy, calendar_id)
    return policy, {**why, "reason": "contract_target"}


def _policies() -> list[SlaPolicy]:
    """The SLA policies, read once per batch run."""
    run = _run.get()
    if run is None:
        return policies()
    if run.policies is None:
        run.policies = policies()
    return run.policies


def policies() -> list[SlaPolicy]:
    """Every SLA policy in match order, with its clocks and ladder."""
    return list(
        SlaPolicy.objects.order_by("position", "pk").prefetch_related(
            "clocks__calendar__intervals", "clocks__calendar__special_days", "steps"
        )
    )


def _conditions(p: SlaPolicy) -> slapolicy.Conditions:
    return slapolicy.Conditions(
        client_id=p.client_id,
        contract_id=p.contract_id,
        priorities=frozenset(p.priorities or []),
        category_id=p.category_id,
        ticket_types=frozenset(p.ticket_types or []),
        criticalities=frozenset(p.asset_criticalities or []),
    )


def facts_of(ticket: Ticket, contract: Contract | None, priority: str) -> slapolicy.Facts:
    category = ticket.category if ticket.category_id else None
    return slapolicy.Facts(
        client_id=ticket.client_id,
        contract_id=contract.pk if contract else None,
        priority=priority,
        category_id=ticket.category_id,
        ticket_type=ticket.type,
        criticalities=_criticalities(ticket),
        client_label=ticket.client.name,
        contract_label=contract.name if contract else "",
        category_label=category.name if category else "",
    )


def _policy_clocks(
    row: SlaPolicy, contract: Contract | None
) -> tuple[sla.Policy, dict[str, str], dict[str, int | None]]:
    policy: dict[str, sla.ClockPolicy] = {}
    calendars: dict[str, str] = {}
    ids: dict[str, int | None] = {}
    for c in row.clocks.all():
        Mode = SlaPolicyClock.CalendarMode
        spec: workcal.CalendarSpec
        pk: int | None
        if c.calendar_mode == Mode.CALENDAR and c.calendar is not None:
            spec, label, pk = _spec(c.calendar), c.calendar.name, c.calendar.pk
        elif c.calendar_mode == Mode.CONTRACT and contract is not None:
            spec, label, pk = _contract_calendar(contract, False)
        else:  # 24x7, or "the contract's calendar" with no contract to take it from
            spec, label, pk = AROUND_THE_CLOCK, "24x7", None
        policy[c.clock] = sla.ClockPolicy(c.target_minutes * 60, spec)
        calendars[c.clock], ids[c.clock] = label, pk
    return policy, calendars, ids


def select_policy(
    ticket: Ticket, contract: Contract | None, priority: str, rows: list[SlaPolicy]
) -> tuple[sla.Policy, dict[str, Any], SlaPolicy | None]:
    """The first matching SLA policy's clocks and why; else the contract target's."""
    chosen = slapolicy.select(
        [slapolicy.Candidate(r, _conditions(r)) for r in rows],
        facts_of(ticket, contract, priority),
    )
    if chosen is None:
        policy, why = policy_for(contract, priority)
        return policy, why, None
    row, matched = chosen
    policy, calendars, calendar_ids = _policy_clocks(row, contract)
    why = {
        "reason": "sla_policy",
        "policy_id": row.pk,
        "policy": row.name,
        "matched": matched,
        "priority": priority,
        "calendars": calendars,
        "calendar_ids": calendar_ids,
        "targets_minutes": {k: v.target_seconds // 60 for k, v in policy.items()},
    }
    if contract is not None:
        why.update(contract_id=contract.pk, contract=contract.name)
    return policy, why, row


def engine_events(
    ticket: Ticket,
    contract: Contract | None,
    *,
    history: list[TicketEvent] | list[_EventRow] | None = None,
    pauses: dict[str, frozenset[str]] | None = None,
    policy_rows: list[SlaPolicy] | None = None,
) -> tuple[list[sla.Event], sla.Policy, dict[str, Any], SlaPolicy | None]:
    """The ticket's history as the engine's events, the starting policy, and the policy in
    force now (row and why). A priority change re-selects the policy at its instant.

    A caller judging many tickets at once (the monthly report) passes the events and the
    statuses' pauses it has already read, instead of queries per ticket; inside `batch_run`
    (the deadline job, the report) contracts, targets and policies are read once."""
    policy_rows = _policies() if policy_rows is None else policy_rows
    events_rows = _events_of(ticket) if history is None else history
    first_priority = next(
        (r.data.get("from") for r in events_rows if r.kind == TicketEvent.Kind.PRIORITY_CHANGED),
        ticket.priority,
    )
    policy, why, row = select_policy(ticket, contract, str(first_priority), policy_rows)
    if pauses is None:
        pauses = _pauses(ticket.client_id)
    events: list[sla.Event] = []
    K = TicketEvent.Kind
    for r in events_rows:
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
            to = str(r.data.get("to", ticket.priority))
            changed, why, row = select_policy(ticket, contract, to, policy_rows)
            events.append(sla.PolicyChanged(r.at, changed))
    if not any(isinstance(e, sla.Created) for e in events):
        events.insert(0, sla.Created(ticket.created_at))
    return events, policy, why, row


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# The warning of the contract-target fallback: the same default as a policy clock's warn_percent.
FALLBACK_WARN_PERCENT = 75


@dataclass(frozen=True)
class Pending:
    """A warning (`step` None) or ladder step of a running clock, due at `at`."""

    clock: str
    cycle: int
    key: str
    at: dt.datetime
    step: SlaStep | None = None


def pending_actions(
    ticket_id: int, results: dict[str, sla.ClockResult], row: SlaPolicy | None
) -> list[Pending]:
    """The warnings and steps of the policy in force that have not fired for the clock's
    current run, in due order. Paused or stopped clocks have none. Under the fallback (no
    policy matched: the contract's targets) every clock warns at FALLBACK_WARN_PERCENT and
    there is no ladder, so every ticket with a clock gets a warning."""
    if not results:
        return []
    fired = _fired(ticket_id)
    out: list[Pending] = []
    steps: dict[str, list[SlaStep]] = {}
    if row is None:
        warn = dict.fromkeys(results, FALLBACK_WARN_PERCENT)
    else:
        warn = {c.clock: c.warn_percent for c in row.clocks.all()}
        for step in row.steps.all():
            steps.setdefault(step.clock, []).append(step)
    for name, result in results.items():
        if result.state not in ("running", "breached") or result.due is None:
            continue
        cycle = result.cycles
        if warn.get(name) and result.state == "running":
            at = sla.warnings_due({name: result}, warn[name] / 100)[name]
            if at is not None and (name, cycle, "warning") not in fired:
                out.append(Pending(name, cycle, "warning", at))
        ladder = steps.get(name, [])
        offsets = [dt.timedelta(minutes=s.offset_minutes) for s in ladder]
        for step, at in zip(ladder, sla.escalation_instants(result, offsets), strict=True):
            key = f"step:{step.pk}"
            if at is not None and (name, cycle, key) not in fired:
                out.append(Pending(name, cycle, key, at, step))
    return sorted(out, key=lambda p: (p.at, p.key))


def evaluate(
    ticket: Ticket, now: dt.datetime
) -> tuple[dict[str, Any], dict[str, sla.ClockResult], SlaPolicy | None]:
    run = _run.get()
    zone = run.zone if run is not None else None
    contract = active_contract(ticket.client_id, timezone.localdate(ticket.created_at, zone))
    events, policy, why, row = engine_events(ticket, contract)
    results = sla.compute(events, policy, now) if policy else {}
    return why, results, row


def _json(state: dict[str, Any]) -> Any:
    """The state as the batched write binds it: JSON text on PostgreSQL (_flush_values joins a
    chunk's into one array), the field's own value elsewhere."""
    field = Ticket._meta.get_field("sla_state")
    if connection.vendor == "postgresql":
        return json.dumps(state, cls=field.encoder)  # what the field's adapter would send
    return field.get_db_prep_value(state, connection)


def recompute(ticket: Ticket, now: dt.datetime | None = None) -> dict[str, Any]:
    """Derive the clocks from the history and store them, with the policy that applied and the
    next warning/step instant; returns the stored `sla_state`."""
    now = now or timezone.now()
    why, results, row = evaluate(ticket, now)
    state: dict[str, Any] = {"policy": why, "computed_at": now.isoformat()}
    columns: dict[str, Any] = dict.fromkeys(DUE_COLUMN.values())
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
            "cycle": result.cycles,
        }
        if result.state == "running" and result.due is not None:
            columns[DUE_COLUMN[name]] = result.due
    running = [v for v in columns.values() if v is not None]
    columns["next_due"] = min(running) if running else None
    pending = pending_actions(ticket.pk, results, row)
    columns["sla_action_due"] = pending[0].at if pending else None
    columns["sla_policy_id"] = row.pk if row is not None else None
    run = _run.get()
    if run is None:
        Ticket.objects.filter(pk=ticket.pk).update(sla_state=state, **columns)
    else:  # written with the rest of the run's chunk
        run.writes.append((_json(state), *(columns[c] for c in WRITTEN), ticket.pk))
    ticket.sla_state = state
    for column, value in columns.items():
        setattr(ticket, column, value)
    return state


def recompute_open(client_id: int | None = None) -> int:
    """After a policy change: every open ticket (of one client, or all) is recomputed."""
    qs = Ticket.objects.exclude(status__category__in=["resolved", "closed"])
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    ids, done = list(qs.order_by("pk").values_list("pk", flat=True)), 0
    with batch_run() as run:  # contracts, targets, statuses and policies read once
        for start in range(0, len(ids), CHUNK):
            with transaction.atomic():
                done += _recompute_chunk(run, ids[start : start + CHUNK], None)
    return done


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
            with transaction.atomic():
                done += _recompute_chunk(run, ids[start : start + CHUNK], now)
    return done


# What recompute reads of a ticket itself (the rest comes from _prefetch and the run's memory).
_READ = ("pk", "client_id", "created_at", "priority", "type", "category_id")


def _recompute_chunk(run: _Run, ids: list[int], now: dt.datetime | None) -> int:
    """Read, recompute and write a chunk of tickets: a fixed number of queries for the lot."""
    rows = (
        Ticket.objects.filter(pk__in=_ids(ids)).order_by("pk").select_related("client", "category")
    )
    tickets = list(rows.only(*_READ, "client__name", "category__name"))
    _prefetch(run, [t.pk for t in tickets], {t.client_id for t in tickets})
    for ticket in tickets:
        recompute(ticket, now)
    _flush(run)
    _forget(run)
    return len(tickets)


def _forget(run: _Run) -> None:
    """A chunk's per-ticket facts are used once; the run keeps only what tickets share."""
    run.events.clear()
    run.criticalities.clear()
    run.fired.clear()


def live_remaining(
    stored: dict[str, Any], clock: str, now: dt.datetime, specs: dict[int, workcal.CalendarSpec]
) -> int | None:
    """A running clock's working seconds left at `now` from its stored state (as of
    `computed_at`) and its calendar, without replaying the history: for lists."""
    row = stored.get(clock) or {}
    left = row.get("remaining_seconds")
    computed = stored.get("computed_at")
    if not isinstance(left, int) or row.get("state") not in ("running", "breached") or not computed:
        return left if isinstance(left, int) else None
    calendar_id = ((stored.get("policy") or {}).get("calendar_ids") or {}).get(clock)
    spec = specs.get(calendar_id, AROUND_THE_CLOCK) if calendar_id else AROUND_THE_CLOCK
    since = dt.datetime.fromisoformat(computed)
    if now <= since:
        return left
    return left - workcal.working_seconds_between(spec, since, now)


def calendar_specs(states: list[dict[str, Any]]) -> dict[int, workcal.CalendarSpec]:
    """The calendars the stored states' running clocks use, loaded once for a page of tickets."""
    from openmsp.tenants.models import BusinessCalendar

    ids = {
        pk
        for s in states
        for pk in ((s.get("policy") or {}).get("calendar_ids") or {}).values()
        if pk
    }
    rows = BusinessCalendar.objects.filter(pk__in=ids).prefetch_related("intervals", "special_days")
    return {c.pk: c.to_spec() for c in rows}
