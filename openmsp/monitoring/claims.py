"""The poller's side of the database: claim due checks, record their results.

Claiming is one indexed query plus one conditional UPDATE per batch. On PostgreSQL the query takes
`FOR UPDATE SKIP LOCKED`, so pollers claiming at the same instant take disjoint batches instead of
waiting on each other; on SQLite, transactions begin IMMEDIATE (settings.py), which serialises
them. The UPDATE moves each check's deadline to its next slot and takes a lease with a token that
only the claiming run holds: a check whose run is still going (its lease not expired) is never
claimed again, and a poller that died only delays its checks until the lease runs out.

Results are telemetry (ADR 0004): stored in CheckResult with the check's current state, and handed
to `spine.observe()` in the same transaction, never written to the audit chain.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, DateTimeField, Q, Value, When

from openmsp.core import spine
from openmsp.monitoring.models import Check, CheckResult
from openmsp.monitoring.observe import observation_of
from openmsp.monitoring.probes.base import ProbeResult
from openmsp.monitoring.schedule import next_slot

log = logging.getLogger("openmsp.poller")
LEASE_MARGIN = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Claimed:
    check: Check  # as it was read at claim time
    scheduled_at: dt.datetime  # the slot this run is for
    token: str


@dataclass(frozen=True)
class Outcome:
    claimed: Claimed
    result: ProbeResult
    at: dt.datetime  # when the run finished
    lag_ms: int  # start of the run minus its slot
    attempts: int


def lease_for(check: Check) -> dt.timedelta:
    return dt.timedelta(seconds=check.timeout_seconds * (check.retries + 1)) + LEASE_MARGIN


def _due(now: dt.datetime) -> Sequence[Check]:
    lease_free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    qs = (
        Check.objects.filter(enabled=True, next_check_at__lte=now)
        .filter(lease_free)
        .order_by("next_check_at")
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def claim_due(*, now: dt.datetime, limit: int) -> list[Claimed]:
    """Claim up to *limit* due checks for one run each; return what this poller won."""
    with transaction.atomic():
        checks = list(_due(now)[:limit])
        if not checks:
            return []
        token = uuid.uuid4().hex
        slots = {c.pk: next_slot(c.pk, c.interval_seconds, c.next_check_at or now, now) for c in checks}
        lease = now + max(lease_for(c) for c in checks)
        won = (
            Check.objects.filter(pk__in=slots)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .update(
                next_check_at=Case(
                    *(When(pk=pk, then=Value(at)) for pk, at in slots.items()),
                    output_field=DateTimeField(),
                ),
                claimed_until=lease,
                claim_token=token,
            )
        )
        if won != len(checks):  # cannot happen under the locks above; stay correct regardless
            mine = set(Check.objects.filter(claim_token=token).values_list("pk", flat=True))
            checks = [c for c in checks if c.pk in mine]
    return [Claimed(c, c.next_check_at or now, token) for c in checks]


def _store(outcome: Outcome) -> CheckResult | None:
    """Update the check's state if this run still holds its lease; None when it does not (the
    check was deleted, or disabled and its lease released, while the probe ran)."""
    check, result = outcome.claimed.check, outcome.result
    changes: dict[str, object] = {
        "last_status": result.status,
        "last_result_at": outcome.at,
        "last_latency_ms": result.latency_ms,
        "last_summary": result.summary,
        "claimed_until": None,
        "claim_token": "",
    }
    if result.state is not None:
        changes["probe_state"] = dict(result.state)
    won = Check.objects.filter(pk=check.pk, claim_token=outcome.claimed.token).update(**changes)
    if not won:
        return None
    spine.observe(observation_of(check, result, outcome.at, attempts=outcome.attempts))
    return CheckResult(
        for_check_id=check.pk,
        at=outcome.at,
        status=result.status,
        latency_ms=result.latency_ms,
        summary=result.summary,
        details=dict(result.details),
        lag_ms=outcome.lag_ms,
        attempts=outcome.attempts,
    )


def record_outcomes(outcomes: Sequence[Outcome]) -> int:
    """Store a small batch of results in one transaction; when any of them fails (a sink
    refusing an observation), store the others one by one so one bad result loses nothing
    else. Returns how many were stored."""
    try:
        with transaction.atomic():
            rows = [row for row in map(_store, outcomes) if row is not None]
            CheckResult.objects.bulk_create(rows)
            return len(rows)
    except Exception:
        log.exception("storing %d results failed; retrying them one by one", len(outcomes))
    stored = 0
    for outcome in outcomes:
        try:
            with transaction.atomic():
                row = _store(outcome)
                if row is not None:
                    row.save()
                    stored += 1
        except Exception:
            log.exception("result of check %s lost", outcome.claimed.check.pk)
    return stored
