"""What jobs tell their heartbeats (pings) and what silence means (the late detector).

Both are telemetry, not people's decisions (ADR 0004): they are kept in the Ping log and the
heartbeat's own columns, not in the audit chain, and each state change is handed to the Problem
lifecycle through `openmsp.core.spine.observe` inside the same transaction, so a ping answered
"OK" has its observation committed with it.

Rules observed (object_type "heartbeats.heartbeat"): "late" and "failed" (critical), "too_long",
"too_fast" and "too_often" (warning); each is observed "ok" once when it clears. A healthy
heartbeat's pings observe nothing, so a busy job costs the lifecycle nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from openmsp.core import spine
from openmsp.heartbeats import schedule as sched
from openmsp.heartbeats.models import BODY_LIMIT, Heartbeat, Ping

SOURCE = "heartbeat"
OBJECT_TYPE = "heartbeats.heartbeat"
SEVERITY: dict[str, spine.Status] = {
    "late": "critical",
    "failed": "critical",
    "too_long": "warning",
    "too_fast": "warning",
    "too_often": "warning",
}
KEEP_PINGS = 1000  # newest pings kept per heartbeat (the log and run-time chart read these)
PRUNE_EVERY = 100  # pings between two prunes of one heartbeat's log
LATE_BATCH = 500  # heartbeats flagged per detector run; the next run (15 s later) takes the rest
_PING_FIELDS = [
    "state", "last_ping_at", "last_start_at", "last_success_at", "last_duration", "alert_after",
    "open_rules", "ping_count",
]  # fmt: skip


@dataclass(frozen=True)
class Signal:
    """One ping as the endpoint received it."""

    kind: str  # Ping.Kind
    at: dt.datetime
    exit_status: int | None = None
    method: str = "GET"
    remote_addr: str = ""
    user_agent: str = ""
    body: bytes = b""


# --- Observations -----------------------------------------------------------------------------


def _summary(hb: Heartbeat, rule: str, status: spine.Status, detail: str) -> str:
    if status == "ok":
        return f"Heartbeat '{hb.name}': {rule.replace('_', ' ')} cleared{detail}"
    words = {
        "late": "is late: no success ping by its deadline",
        "failed": "reported a failure",
        "too_long": "ran too long",
        "too_fast": "finished too fast",
        "too_often": "ran too often",
    }
    return f"Heartbeat '{hb.name}' {words[rule]}{detail}"


def observe(
    hb: Heartbeat, rule: str, status: spine.Status, at: dt.datetime, detail: str = ""
) -> None:
    summary = _summary(hb, rule, status, detail)
    spine.observe(
        spine.Observation(
            client_id=hb.client_id,
            source=SOURCE,
            object_type=OBJECT_TYPE,
            object_id=str(hb.pk),
            rule=rule,
            status=status,
            observed_at=at,
            summary=summary[:500],
            title=f"Heartbeat '{hb.name}': {rule.replace('_', ' ')}"[:300],
            asset_id=hb.asset_id,
            labels={"heartbeat": hb.slug or str(hb.pk), "tags": ",".join(hb.tags or [])},
            details={"state": hb.state, "ping_key_suffix": str(hb.ping_key)[-4:]},
        )
    )


def _settle(hb: Heartbeat, verdicts: dict[str, bool], at: dt.datetime, detail: str = "") -> None:
    """Observe each rule whose verdict is bad, or good after being bad; keep open_rules true."""
    open_rules = set(hb.open_rules or [])
    for rule, bad in verdicts.items():
        if bad:
            observe(hb, rule, SEVERITY[rule], at, detail)
            open_rules.add(rule)
        elif rule in open_rules:
            observe(hb, rule, "ok", at)
            open_rules.discard(rule)
    hb.open_rules = sorted(open_rules)


def clear_all(hb: Heartbeat, at: dt.datetime, reason: str) -> None:
    """Observe "ok" for every open rule (the heartbeat was paused or deleted)."""
    _settle(hb, dict.fromkeys(hb.open_rules or [], False), at, reason)


# --- Pings ------------------------------------------------------------------------------------


def _run_duration(hb: Heartbeat, at: dt.datetime) -> dt.timedelta | None:
    if hb.last_start_at is None or hb.last_start_at > at:
        return None
    return at - hb.last_start_at


def _start(hb: Heartbeat, at: dt.datetime) -> None:
    hb.state = Heartbeat.State.RUNNING
    hb.last_start_at = at
    hb.alert_after, _rule = sched.running_deadline(
        hb.schedule, started_at=at, max_run=hb.limits.max_run
    )
    _settle(hb, {"late": False}, at)  # it showed up


def _finish(hb: Heartbeat, signal: Signal, ping: Ping) -> None:
    at = signal.at
    ping.duration = _run_duration(hb, at)
    hb.last_start_at = None
    hb.last_duration = ping.duration
    if ping.kind == Ping.Kind.FAIL:
        hb.state = Heartbeat.State.FAILED
        hb.alert_after = None  # a failure is already the alarm; the next ping re-arms it
        code = f" (exit status {signal.exit_status})" if signal.exit_status is not None else ""
        _settle(hb, {"late": False, "failed": True}, at, code)
        return
    verdicts = {"late": False, "failed": False}
    verdicts.update(
        sched.run_verdicts(
            hb.limits, duration=ping.duration, at=at, previous_success_at=hb.last_success_at
        )
    )
    hb.state = Heartbeat.State.UP
    hb.last_success_at = at
    hb.alert_after = sched.deadline(hb.schedule, at)
    detail = f" (run time {ping.duration})" if ping.duration is not None else ""
    _settle(hb, verdicts, at, detail)


def _apply(hb: Heartbeat, signal: Signal, ping: Ping) -> None:
    hb.ping_count += 1
    if ping.kind == Ping.Kind.LOG:
        return  # a message for the log; says nothing about the schedule
    hb.last_ping_at = signal.at
    if hb.paused:
        return  # recorded, not judged: a paused heartbeat raises nothing
    if ping.kind == Ping.Kind.START:
        _start(hb, signal.at)
    else:
        _finish(hb, signal, ping)


def _new_ping(hb: Heartbeat, signal: Signal) -> Ping:
    body = signal.body[:BODY_LIMIT]
    kind = signal.kind
    if signal.exit_status is not None:
        kind = Ping.Kind.SUCCESS if signal.exit_status == 0 else Ping.Kind.FAIL
    return Ping(
        heartbeat=hb,
        at=signal.at,
        kind=kind,
        exit_status=signal.exit_status,
        method=signal.method[:8],
        remote_addr=signal.remote_addr[:45],
        user_agent=signal.user_agent[:200],
        # Stored as text; a cut in the middle of a UTF-8 sequence becomes U+FFFD. NUL is dropped
        # because PostgreSQL text cannot hold it.
        body=body.decode("utf-8", "replace").replace("\x00", ""),
        body_truncated=len(signal.body) > BODY_LIMIT,
    )


def record_ping(key: uuid.UUID, signal: Signal) -> Ping | None:
    """Store one ping and what it changes; None when no heartbeat has this key."""
    return record_pings([(key, signal)])[0]


@transaction.atomic
def record_pings(batch: Sequence[tuple[uuid.UUID, Signal]]) -> list[Ping | None]:
    """Store pings in one transaction, in the order given; per ping its Ping, or None when no
    heartbeat has its key.

    The heartbeats named are locked in primary-key order (two batches never wait on each other
    in a circle) for the few statements this takes, so two pings of one job arriving together
    are applied one after the other (the start before the end it measures), whether they come in
    one batch or two. Applying a batch is exactly applying its pings one by one: the same
    heartbeat object carries the state from one ping to the next."""
    keys = {key for key, _signal in batch}
    locked = Heartbeat.objects.select_for_update().filter(ping_key__in=keys).order_by("pk")
    by_key = {hb.ping_key: hb for hb in locked}
    stored: list[Ping | None] = []
    touched: dict[int, Heartbeat] = {}
    for key, signal in batch:
        hb = by_key.get(key)
        if hb is None:
            stored.append(None)
            continue
        ping = _new_ping(hb, signal)
        _apply(hb, signal, ping)
        touched[hb.pk] = hb
        stored.append(ping)
    if not touched:
        return stored
    _save_ping_fields(list(touched.values()))
    Ping.objects.bulk_create([p for p in stored if p is not None])
    counts: dict[int, int] = {}
    for item in stored:
        if item is not None:
            counts[item.heartbeat_id] = counts.get(item.heartbeat_id, 0) + 1
    for pk, hb in touched.items():  # prune when this batch crossed a multiple of PRUNE_EVERY
        if hb.ping_count // PRUNE_EVERY != (hb.ping_count - counts[pk]) // PRUNE_EVERY:
            prune_pings(hb)
    return stored


def _save_ping_fields(heartbeats: list[Heartbeat]) -> None:
    """`save(update_fields=_PING_FIELDS)` of each, as one prepared UPDATE run for every row:
    `bulk_update`'s CASE expressions cost more than the rest of a batch together (profiled)."""
    meta = Heartbeat._meta
    fields = [cast(Field[Any, Any], meta.get_field(name)) for name in _PING_FIELDS]
    quote = connection.ops.quote_name
    # Identifiers from our own model, quoted; every value is a parameter.
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    table, pk = quote(meta.db_table), quote(str(meta.pk.column))
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(hb, f.attname), connection) for f in fields] + [hb.pk]
        for hb in heartbeats
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def prune_pings(hb: Heartbeat, keep: int | None = None) -> int:
    """Drop all but the newest *keep* pings: two range scans of the (heartbeat, at) index, so
    the log stays bounded without a table-wide sweep."""
    keep = keep or KEEP_PINGS
    oldest_kept = (
        Ping.objects.filter(heartbeat=hb).order_by("-at", "-pk").values_list("at", flat=True)
    )[keep - 1 : keep]
    cutoff = next(iter(oldest_kept), None)
    if cutoff is None:
        return 0
    deleted, _ = Ping.objects.filter(heartbeat=hb, at__lt=cutoff).delete()
    return deleted


# --- The late detector ------------------------------------------------------------------------


def _claim(row: Heartbeat, now: dt.datetime) -> str | None:
    """Flip one due heartbeat, unless a ping or another detector changed it since it was read."""
    deadline = row.alert_after
    assert deadline is not None
    limits = row.limits
    rule = sched.due_rule(
        running=row.state == Heartbeat.State.RUNNING,
        started_at=row.last_start_at,
        max_run=limits.max_run,
        alert_after=deadline,
    )
    claim = Heartbeat.objects.filter(pk=row.pk, alert_after=deadline)
    if rule == "too_long":
        assert row.last_start_at is not None
        late_at = sched.deadline(row.schedule, row.last_start_at)
        opened = sorted({*row.open_rules, "too_long"})
        if not claim.update(alert_after=late_at, open_rules=opened):
            return None
        row.alert_after, row.open_rules = late_at, opened
        observe(row, "too_long", SEVERITY["too_long"], now, f" (over {limits.max_run})")
        return rule
    opened = sorted({*row.open_rules, "late"})
    if not claim.update(state=Heartbeat.State.LATE, alert_after=None, open_rules=opened):
        return None
    row.state, row.alert_after, row.open_rules = Heartbeat.State.LATE, None, opened
    observe(row, "late", SEVERITY["late"], now, f" (deadline {deadline.isoformat()})")
    return rule


def detect_late(*, now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Flag heartbeats whose deadline passed; return (id, rule) of each one this run flagged.

    One indexed query finds the due rows (partial index on alert_after); each is claimed with an
    UPDATE conditional on the deadline it was read with, so a ping that lands in between, or a
    second detector running at the same time, wins cleanly and nothing is observed twice."""
    now = now or timezone.now()
    due: Iterable[Heartbeat] = Heartbeat.objects.filter(alert_after__lte=now).order_by(
        "alert_after"
    )[:LATE_BATCH]
    flagged = []
    for row in list(due):
        with transaction.atomic():
            rule = _claim(row, now)
        if rule is not None:
            flagged.append((row.pk, rule))
    return flagged
